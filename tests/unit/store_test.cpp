// occhat::store against a real SQLite file in a fresh temp dir: what is particular to SQLite
// files and to open_store(). The contract both backends meet is tested in store_users_test.cpp
// and the other store_*_test.cpp suites, on each backend.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "occhat/store/store.hpp"

namespace {

namespace fs = std::filesystem;
using occhat::ErrorCode;
using occhat::store::open_store;
using occhat::store::Store;
using occhat::store::StoreError;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/occhat-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = open_store(db_path().string());
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path db_path() const { return dir_ / "occhat.db"; }
  void reopen() {
    store_.reset();
    store_ = open_store(db_path().string());
  }
  // Every byte SQLite wrote: the main file plus the WAL (recent commits live there first).
  std::string all_db_bytes() const {
    std::string bytes;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      std::ifstream in(entry.path(), std::ios::binary);
      bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return bytes;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, OnlyTheHashReachesTheFile) {
  ASSERT_GE(sodium_init(), 0);
  const std::string password = "correct horse battery staple";
  char hash[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE),
            0);
  const std::uint32_t id = 424242;
  ASSERT_TRUE(store_->create_user(id, "a@x", "alice", hash));
  ASSERT_EQ(crypto_pwhash_str_verify(store_->password_hash(id)->c_str(), password.data(), password.size()), 0);

  const std::string bytes = all_db_bytes();
  EXPECT_NE(bytes.find("$argon2id$"), std::string::npos) << "the hash should be stored";
  EXPECT_EQ(bytes.find(password), std::string::npos) << "the password must never be stored";
  reopen();
  EXPECT_EQ(all_db_bytes().find(password), std::string::npos);
}

TEST_F(StoreTest, OpeningAFileThatIsNotADatabaseFails) {
  store_.reset();
  const auto path = dir_ / "junk.db";
  std::ofstream(path) << std::string(8192, 'x');
  EXPECT_THROW(open_store(path.string()), StoreError);
}

TEST_F(StoreTest, TheDatabaseIsCreatedOwnerOnly) {
  struct stat info {};
  ASSERT_EQ(::stat(db_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

// ---- open_store: the location picks the backend ----

ErrorCode open_error(const std::string& location) {
  try {
    open_store(location);
  } catch (const StoreError& e) {
    return e.code();
  }
  return ErrorCode::ok;
}

TEST_F(StoreTest, SqliteLocationsNameTheSameFile) {
  ASSERT_TRUE(store_->create_user(424242, "a@x", "alice", "h"));
  store_.reset();
  for (const std::string& location : {"sqlite:" + db_path().string(), "sqlite://" + db_path().string()}) {
    SCOPED_TRACE(location);
    const auto store = open_store(location);
    ASSERT_TRUE(store->find_user(424242));
  }
  // A path with a colon in it is still a path.
  const auto odd = dir_ / "a:b.db";
  ASSERT_TRUE(open_store(odd.string())->create_user(424242, "a@x", "alice", "h"));
  EXPECT_TRUE(fs::is_regular_file(odd));
}

TEST_F(StoreTest, PostgresqlLocationsGoToPostgresql) {
  // Nothing listens on port 1: both schemes reach libpq, which cannot connect.
  for (const std::string location : {"postgresql://occhat@127.0.0.1:1/occhat", "postgres://occhat@127.0.0.1:1/occhat"}) {
    SCOPED_TRACE(location);
    try {
      open_store(location);
      FAIL() << "expected StoreError";
    } catch (const StoreError& e) {
      EXPECT_EQ(e.code(), ErrorCode::unavailable);
      EXPECT_THAT(e.what(), ::testing::StartsWith("cannot connect to PostgreSQL: "));
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
    }
  }
}

TEST_F(StoreTest, BadLocationsAreRefused) {
  EXPECT_EQ(open_error(""), ErrorCode::invalid_argument);
  EXPECT_EQ(open_error("sqlite:"), ErrorCode::invalid_argument);
  EXPECT_EQ(open_error("sqlite://somehost/x.db"), ErrorCode::invalid_argument);
  EXPECT_EQ(open_error("mysql://localhost/occhat"), ErrorCode::invalid_argument);
  // A missing directory is a storage failure, not a bad location.
  EXPECT_EQ(open_error((dir_ / "missing" / "x.db").string()), ErrorCode::internal);
}

}  // namespace

// Checkpoints run on a thread of the store's own (wal_checkpointer.hpp), not inside commits: the
// WAL must still be copied into the database file and started over while the store stays open,
// or it would grow with every message ever sent.
TEST_F(StoreTest, TheWalStaysBoundedWhileTheStoreIsOpen) {
  ASSERT_TRUE(store_->create_user(314159, "a@x", "alice", "$h"));
  ASSERT_TRUE(store_->create_user(271828, "b@x", "bob", "$h"));
  store_->add_friend(314159, 271828);
  store_->add_friend(271828, 314159);
  const std::string text(3000, 'x');
  const fs::path wal = dir_ / "occhat.db-wal";
  std::uintmax_t largest = 0;
  // About 40 MB of pages written, 10x SQLite's 1,000-page checkpoint threshold.
  for (int i = 0; i < 6000; ++i) {
    store_->send_message(314159, 271828, text, "");
    if (i % 100 == 0) {
      std::error_code ec;
      largest = std::max(largest, fs::file_size(wal, ec));
    }
  }
  EXPECT_GT(fs::file_size(db_path()), 15u * 1024 * 1024);  // the messages reached the database file
  EXPECT_LT(largest, 24u * 1024 * 1024);                   // while the WAL started over
}

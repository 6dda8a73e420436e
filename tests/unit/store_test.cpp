// occhat::store against a real SQLite file in a fresh temp dir.

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
using occhat::store::TokenHash;

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

  static TokenHash hash_of(std::uint8_t seed) {
    TokenHash hash{};
    for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<std::uint8_t>(seed + i);
    return hash;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, SchemaVersionIsSet) { EXPECT_GE(store_->schema_version(), 1); }

TEST_F(StoreTest, CreateAndFindUser) {
  ASSERT_TRUE(store_->create_user(424242, "a@x", "alice", "$argon2id$fake"));
  const auto user = store_->find_user(424242);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->id, 424242u);
  EXPECT_EQ(user->email, "a@x");
  EXPECT_EQ(user->nick, "alice");
  EXPECT_GT(user->created_at, 0);
  EXPECT_EQ(store_->password_hash(424242), "$argon2id$fake");
}

TEST_F(StoreTest, ATakenIdIsRefusedAndNothingChanges) {
  ASSERT_TRUE(store_->create_user(424242, "a@x", "alice", "h1"));
  EXPECT_FALSE(store_->create_user(424242, "b@x", "bob", "h2"));
  EXPECT_EQ(store_->find_user(424242)->nick, "alice");
  EXPECT_EQ(store_->password_hash(424242), "h1");
  EXPECT_EQ(store_->user_count(), 1u);
}

TEST_F(StoreTest, UserCountCountsUsers) {
  EXPECT_EQ(store_->user_count(), 0u);
  for (std::uint32_t id = 100000; id < 100010; ++id) ASSERT_TRUE(store_->create_user(id, "u@x", "u", "h"));
  EXPECT_EQ(store_->user_count(), 10u);
  reopen();
  EXPECT_EQ(store_->user_count(), 10u);
}

TEST_F(StoreTest, UnknownUserIsNullopt) {
  EXPECT_FALSE(store_->find_user(123456));
  EXPECT_FALSE(store_->password_hash(123456));
  EXPECT_FALSE(store_->find_user(0));
}

TEST_F(StoreTest, UnicodeNickRoundTrips) {
  ASSERT_TRUE(store_->create_user(555555, "b@y", "Zoë 李", "h"));
  EXPECT_EQ(store_->find_user(555555)->nick, "Zoë 李");
}

TEST_F(StoreTest, SessionsCreateLookupDelete) {
  const std::uint32_t alice = 111111, bob = 222222;
  ASSERT_TRUE(store_->create_user(alice, "a@x", "alice", "h"));
  ASSERT_TRUE(store_->create_user(bob, "b@x", "bob", "h"));
  store_->create_session(alice, hash_of(1));
  store_->create_session(alice, hash_of(2));  // a second device
  store_->create_session(bob, hash_of(3));
  EXPECT_EQ(store_->user_for_session(hash_of(1)), alice);
  EXPECT_EQ(store_->user_for_session(hash_of(2)), alice);
  EXPECT_EQ(store_->user_for_session(hash_of(3)), bob);
  EXPECT_FALSE(store_->user_for_session(hash_of(4)));

  EXPECT_TRUE(store_->delete_session(hash_of(1)));
  EXPECT_FALSE(store_->delete_session(hash_of(1)));
  EXPECT_FALSE(store_->user_for_session(hash_of(1)));
  EXPECT_EQ(store_->user_for_session(hash_of(2)), alice);
}

TEST_F(StoreTest, SessionForUnknownUserFails) {
  try {
    store_->create_session(654321, hash_of(9));
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), occhat::ErrorCode::not_found);
  }
}

TEST_F(StoreTest, DataSurvivesReopen) {
  const std::uint32_t id = 424242;
  ASSERT_TRUE(store_->create_user(id, "a@x", "alice", "$argon2id$x"));
  store_->create_session(id, hash_of(7));
  const int version = store_->schema_version();
  reopen();
  EXPECT_EQ(store_->schema_version(), version);
  ASSERT_TRUE(store_->find_user(id));
  EXPECT_EQ(store_->find_user(id)->nick, "alice");
  EXPECT_EQ(store_->password_hash(id), "$argon2id$x");
  EXPECT_EQ(store_->user_for_session(hash_of(7)), id);
}

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

TEST_F(StoreTest, PostgresqlIsRefusedClearly) {
  try {
    open_store("postgresql://occhat@localhost/occhat");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_STREQ(e.what(), "PostgreSQL is not supported yet (issue: PostgreSQL store)");
  }
  EXPECT_EQ(open_error("postgres://localhost/occhat"), ErrorCode::invalid_argument);
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

// occhat::store against a real SQLite file in a fresh temp dir.

#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "occhat/store/store.hpp"

namespace {

namespace fs = std::filesystem;
using occhat::store::open_sqlite_store;
using occhat::store::Store;
using occhat::store::StoreError;
using occhat::store::TokenHash;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/occhat-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = open_sqlite_store(db_path());
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path db_path() const { return dir_ / "occhat.db"; }
  void reopen() {
    store_.reset();
    store_ = open_sqlite_store(db_path());
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
  const auto id = store_->create_user("a@x", "alice", "$argon2id$fake");
  EXPECT_GE(id, occhat::store::kMinUserId);
  EXPECT_LE(id, occhat::store::kMaxUserId);
  const auto user = store_->find_user(id);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->id, id);
  EXPECT_EQ(user->email, "a@x");
  EXPECT_EQ(user->nick, "alice");
  EXPECT_GT(user->created_at, 0);
  EXPECT_EQ(store_->password_hash(id), "$argon2id$fake");
}

TEST_F(StoreTest, UnknownUserIsNullopt) {
  EXPECT_FALSE(store_->find_user(123456));
  EXPECT_FALSE(store_->password_hash(123456));
  EXPECT_FALSE(store_->find_user(0));
}

TEST_F(StoreTest, UnicodeNickRoundTrips) {
  const auto id = store_->create_user("b@y", "Zoë 李", "h");
  EXPECT_EQ(store_->find_user(id)->nick, "Zoë 李");
}

TEST_F(StoreTest, IdsAreInRangeAndUnique) {
  constexpr int kUsers = 2000;
  std::set<std::uint32_t> ids;
  for (int i = 0; i < kUsers; ++i) {
    const auto id = store_->create_user("u@x", "u" + std::to_string(i), "h");
    ASSERT_GE(id, occhat::store::kMinUserId);
    ASSERT_LE(id, occhat::store::kMaxUserId);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kUsers));
  // Random, not sequential: 2000 ids spread over 900000 values are not one dense run.
  EXPECT_GT(*ids.rbegin() - *ids.begin(), 100000u);
}

TEST_F(StoreTest, SessionsCreateLookupDelete) {
  const auto alice = store_->create_user("a@x", "alice", "h");
  const auto bob = store_->create_user("b@x", "bob", "h");
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
  const auto id = store_->create_user("a@x", "alice", "$argon2id$x");
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
  const auto id = store_->create_user("a@x", "alice", hash);
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
  EXPECT_THROW(open_sqlite_store(path), StoreError);
}

}  // namespace

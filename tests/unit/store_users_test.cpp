// The store contract for accounts and sessions, on every backend (store_backends.hpp).

#include <gtest/gtest.h>

#include <string>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::store::StoreError;
using occhat::store::TokenHash;

class StoreUsersTest : public occhat::testing::StoreBackendTest {
 protected:
  static TokenHash hash_of(std::uint8_t seed) {
    TokenHash hash{};
    for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<std::uint8_t>(seed + i);
    return hash;
  }
};

TEST_P(StoreUsersTest, SchemaVersionIsSet) { EXPECT_GE(store_->schema_version(), 1); }

TEST_P(StoreUsersTest, CreateAndFindUser) {
  ASSERT_TRUE(store_->create_user(424242, "a@x", "alice", "$argon2id$fake"));
  const auto user = store_->find_user(424242);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->id, 424242u);
  EXPECT_EQ(user->email, "a@x");
  EXPECT_EQ(user->nick, "alice");
  EXPECT_GT(user->created_at, 0);
  EXPECT_EQ(store_->password_hash(424242), "$argon2id$fake");
}

TEST_P(StoreUsersTest, ATakenIdIsRefusedAndNothingChanges) {
  ASSERT_TRUE(store_->create_user(424242, "a@x", "alice", "h1"));
  EXPECT_FALSE(store_->create_user(424242, "b@x", "bob", "h2"));
  EXPECT_EQ(store_->find_user(424242)->nick, "alice");
  EXPECT_EQ(store_->password_hash(424242), "h1");
  EXPECT_EQ(store_->user_count(), 1u);
}

TEST_P(StoreUsersTest, UserCountCountsUsers) {
  EXPECT_EQ(store_->user_count(), 0u);
  for (std::uint32_t id = 100000; id < 100010; ++id) ASSERT_TRUE(store_->create_user(id, "u@x", "u", "h"));
  EXPECT_EQ(store_->user_count(), 10u);
  reopen();
  EXPECT_EQ(store_->user_count(), 10u);
}

TEST_P(StoreUsersTest, UnknownUserIsNullopt) {
  EXPECT_FALSE(store_->find_user(123456));
  EXPECT_FALSE(store_->password_hash(123456));
  EXPECT_FALSE(store_->find_user(0));
}

TEST_P(StoreUsersTest, UnicodeNickRoundTrips) {
  ASSERT_TRUE(store_->create_user(555555, "b@y", "Zoë 李", "h"));
  EXPECT_EQ(store_->find_user(555555)->nick, "Zoë 李");
}

TEST_P(StoreUsersTest, SessionsCreateLookupDelete) {
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

TEST_P(StoreUsersTest, SessionForUnknownUserFails) {
  try {
    store_->create_session(654321, hash_of(9));
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), occhat::ErrorCode::not_found);
  }
}

TEST_P(StoreUsersTest, DataSurvivesReopen) {
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

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreUsersTest);

}  // namespace

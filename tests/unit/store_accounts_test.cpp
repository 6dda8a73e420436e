// The Store calls behind accounts people manage themselves (and an operator's tool): sessions,
// password hash, nick, discoverable + find by nick, deleting a user and its tombstone; on every
// backend (store_backends.hpp).
#include <gtest/gtest.h>

#include <string>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::ErrorCode;
using occhat::store::SessionOrigin;
using occhat::store::StoreError;
using occhat::store::TokenHash;

class StoreAccountsTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_user(kAlice, "a@x.org", "alice", "hash-a"));
    ASSERT_TRUE(store_->create_user(kBob, "b@x.org", "bob", "hash-b"));
  }
  static TokenHash hash_of(std::uint8_t seed) {
    TokenHash hash{};
    hash.fill(seed);
    return hash;
  }

  static constexpr std::uint32_t kAlice = 111111;
  static constexpr std::uint32_t kBob = 222222;
};

TEST_P(StoreAccountsTest, SessionsRememberClientAndAddress) {
  store_->create_session(kAlice, hash_of(1), SessionOrigin{"occhat-cli/1", "10.0.0.1"});
  store_->create_session(kAlice, hash_of(2), SessionOrigin{"occhat-python/1", "10.0.0.2"});
  store_->create_session(kBob, hash_of(3));
  ASSERT_EQ(store_->user_for_session(hash_of(1), SessionOrigin{"", "10.0.0.9"}), kAlice);
  const auto sessions = store_->sessions(kAlice);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].client_name, "occhat-cli/1");  // an empty name keeps the stored one
  EXPECT_EQ(sessions[0].last_address, "10.0.0.9");
  EXPECT_EQ(sessions[1].client_name, "occhat-python/1");
}

TEST_P(StoreAccountsTest, DeleteSessionsKeepsOneOrNone) {
  for (std::uint8_t i = 1; i <= 3; ++i) store_->create_session(kAlice, hash_of(i));
  store_->create_session(kBob, hash_of(9));
  EXPECT_EQ(store_->delete_sessions(kAlice, hash_of(2)), 2u);
  EXPECT_EQ(store_->user_for_session(hash_of(2)), kAlice);
  EXPECT_FALSE(store_->user_for_session(hash_of(1)));
  EXPECT_EQ(store_->delete_sessions(kAlice, std::nullopt), 1u);
  EXPECT_EQ(store_->user_for_session(hash_of(9)), kBob);  // another user's untouched
}

TEST_P(StoreAccountsTest, PasswordNickDiscoverable) {
  EXPECT_TRUE(store_->set_password_hash(kAlice, "new-hash"));
  EXPECT_EQ(store_->password_hash(kAlice), "new-hash");
  EXPECT_FALSE(store_->set_password_hash(999999, "x"));
  EXPECT_TRUE(store_->set_nick(kAlice, "Alice"));
  EXPECT_EQ(store_->find_user(kAlice)->nick, "Alice");
  EXPECT_TRUE(store_->find_users_by_nick("al", true, 20).empty());
  EXPECT_TRUE(store_->set_discoverable(kAlice, true));
  EXPECT_TRUE(store_->find_user(kAlice)->discoverable);
  ASSERT_EQ(store_->find_users_by_nick("al", true, 20).size(), 1u);
  EXPECT_EQ(store_->find_users_by_nick("ALICE", false, 20).size(), 1u);
  EXPECT_TRUE(store_->find_users_by_nick("a_", true, 20).empty());  // '_' is literal
  EXPECT_TRUE(store_->find_users_by_nick("al", true, 0).empty());   // the limit holds
}

TEST_P(StoreAccountsTest, DeletedUserIsGoneButItsIdStaysTaken) {
  store_->create_session(kAlice, hash_of(1));
  store_->add_friend(kAlice, kBob);
  store_->add_friend(kBob, kAlice);
  store_->send_message(kAlice, kBob, "hello", "");
  store_->block_user(kBob, kAlice);
  store_->delete_user(kAlice);
  EXPECT_FALSE(store_->find_user(kAlice));
  EXPECT_FALSE(store_->password_hash(kAlice));
  EXPECT_FALSE(store_->user_for_session(hash_of(1)));
  EXPECT_TRUE(store_->friends(kBob).empty());
  EXPECT_TRUE(store_->blocked_users(kBob).empty());
  EXPECT_EQ(store_->history(kBob, kAlice, 10, 0).messages.size(), 1u);
  EXPECT_FALSE(store_->create_user(kAlice, "new@x.org", "impostor", "h"));  // the tombstone
  try {
    store_->delete_user(kAlice);
    ADD_FAILURE() << "deleting twice must fail";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreAccountsTest);

}  // namespace

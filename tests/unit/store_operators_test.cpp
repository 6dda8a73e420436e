// The operators' Store calls (occhat-server user ... / stats, the metrics' inbox backlog), on
// every backend (store_backends.hpp).

#include <gtest/gtest.h>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::store::TokenHash;

class StoreOperatorsTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "h1"));
    ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "h2"));
  }
  static TokenHash hash_of(std::uint8_t seed) {
    TokenHash hash{};
    hash.fill(seed);
    return hash;
  }
  std::uint32_t alice_ = 111111, bob_ = 222222;
};

TEST_P(StoreOperatorsTest, ListUsersPagesByIdWithSessions) {
  store_->create_session(bob_, hash_of(1));
  store_->create_session(bob_, hash_of(2));
  const auto first = store_->list_users(0, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].user.id, alice_);
  EXPECT_EQ(first[0].sessions, 0u);
  EXPECT_EQ(first[0].last_seen_at, 0);
  const auto rest = store_->list_users(alice_, 10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].user.nick, "bob");
  EXPECT_EQ(rest[0].sessions, 2u);
  EXPECT_GT(rest[0].last_seen_at, 0);
  EXPECT_FALSE(rest[0].disabled);
}

TEST_P(StoreOperatorsTest, DisablingEndsSessionsAndRecordsAnEvent) {
  store_->create_session(alice_, hash_of(1));
  EXPECT_TRUE(store_->account_events(0).empty());
  ASSERT_TRUE(store_->set_user_disabled(alice_, true));
  EXPECT_TRUE(store_->user_disabled(alice_));
  EXPECT_FALSE(store_->user_for_session(hash_of(1)));
  const auto events = store_->account_events(0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].user_id, alice_);
  EXPECT_TRUE(store_->account_events(events[0].seq).empty());
  ASSERT_TRUE(store_->set_user_disabled(alice_, false));
  EXPECT_FALSE(store_->user_disabled(alice_));
  EXPECT_EQ(store_->account_events(0).size(), 1u) << "enabling ends nothing";
  EXPECT_FALSE(store_->set_user_disabled(999999, true));
  EXPECT_FALSE(store_->user_disabled(999999));
}

TEST_P(StoreOperatorsTest, ResetPasswordReplacesTheHashAndEndsSessions) {
  store_->create_session(bob_, hash_of(3));
  ASSERT_TRUE(store_->reset_password(bob_, "h9"));
  EXPECT_EQ(store_->password_hash(bob_), "h9");
  EXPECT_FALSE(store_->user_for_session(hash_of(3)));
  EXPECT_EQ(store_->account_events(0).size(), 1u);
  EXPECT_FALSE(store_->reset_password(999999, "x"));
}

TEST_P(StoreOperatorsTest, StatsAndInboxBacklogCount) {
  store_->add_friend(alice_, bob_);  // bob's inbox: a request notice
  store_->add_friend(bob_, alice_);  // alice's: an accepted notice
  store_->send_message(alice_, bob_, "hi", "");  // bob's inbox, and alice's (the carbon)
  store_->set_user_disabled(bob_, true);
  const auto stats = store_->stats();
  EXPECT_EQ(stats.users, 2u);
  EXPECT_EQ(stats.disabled_users, 1u);
  EXPECT_EQ(stats.messages, 1u);
  EXPECT_EQ(stats.rooms, 0u);
  EXPECT_EQ(stats.inbox_backlog, 4u);
  EXPECT_EQ(store_->inbox_backlog(), 4u);
  store_->ack(bob_, 100);
  EXPECT_EQ(store_->inbox_backlog(), 2u);
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreOperatorsTest);

}  // namespace

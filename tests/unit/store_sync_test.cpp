// occhat::store carbons and read markers (issue 14 §4), on every backend (store_backends.hpp): a sent
// message is in the sender's inbox too, written with the recipient's in one call, and unread
// counts follow each user's read marker.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <functional>
#include <string>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::ErrorCode;
using occhat::store::AddFriendState;
using occhat::store::InboxItem;
using occhat::store::StoreError;

class StoreSyncTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "$h"));
    ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "$h"));
    ASSERT_EQ(store_->add_friend(alice_, bob_).state, AddFriendState::requested);
    ASSERT_EQ(store_->add_friend(bob_, alice_).state, AddFriendState::now_friends);
    // The friend-request notices are not what these tests look at.
    store_->ack(alice_, 1000);
    store_->ack(bob_, 1000);
  }
  static ErrorCode code_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const StoreError& e) {
      return e.code();
    }
    return ErrorCode::ok;
  }

  std::uint32_t alice_ = 314159, bob_ = 271828;
};

TEST_P(StoreSyncTest, SendStoresTheCarbonInTheSendersInbox) {
  const auto result = store_->send_message(alice_, bob_, "hi bob", "c1");
  ASSERT_TRUE(result.item && result.carbon);
  EXPECT_EQ(result.carbon->user_id, alice_);
  EXPECT_EQ(result.carbon->message.id, result.message_id);

  const auto mine = store_->fetch_inbox(alice_, 0, 10).items;
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].seq, result.carbon->seq);
  EXPECT_EQ(mine[0].kind, InboxItem::Kind::message);
  EXPECT_EQ(mine[0].message.from, alice_);
  EXPECT_EQ(mine[0].message.from_nick, "alice");
  EXPECT_EQ(mine[0].message.to, bob_);
  EXPECT_EQ(mine[0].message.to_nick, "bob");
  EXPECT_EQ(mine[0].message.text, "hi bob");

  const auto theirs = store_->fetch_inbox(bob_, 0, 10).items;
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].message.from_nick, "alice");
  EXPECT_TRUE(theirs[0].message.to_nick.empty());

  // A retry stores neither again.
  const auto again = store_->send_message(alice_, bob_, "hi bob", "c1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.carbon);
  EXPECT_EQ(store_->fetch_inbox(alice_, 0, 10).items.size(), 1u);
}

TEST_P(StoreSyncTest, UnreadCountsFollowTheReadMarker) {
  EXPECT_EQ(store_->unread_count(alice_, bob_), 0u);
  std::uint64_t last = 0;
  for (int i = 0; i < 4; ++i) last = store_->send_message(bob_, alice_, "m" + std::to_string(i), "").message_id;
  EXPECT_EQ(store_->unread_count(alice_, bob_), 4u);
  EXPECT_EQ(store_->unread_count(bob_, alice_), 0u);
  store_->mark_read(alice_, bob_, last - 2);
  EXPECT_EQ(store_->unread_count(alice_, bob_), 2u);
  store_->mark_read(alice_, bob_, 1);  // never back
  EXPECT_EQ(store_->unread_count(alice_, bob_), 2u);
  store_->mark_read(alice_, bob_, last + 1000);  // never past the newest message
  EXPECT_EQ(store_->unread_count(alice_, bob_), 0u);
  store_->send_message(bob_, alice_, "later", "");
  EXPECT_EQ(store_->unread_count(alice_, bob_), 1u);
  store_->send_message(alice_, bob_, "answer", "");  // sending reads the conversation
  EXPECT_EQ(store_->unread_count(alice_, bob_), 0u);

  EXPECT_EQ(code_of([&] { store_->mark_read(alice_, alice_, 0); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { store_->mark_read(alice_, 999999, 0); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { store_->mark_read(alice_, 1000001, 0); }), ErrorCode::not_allowed);
}

TEST_P(StoreSyncTest, TheReadMarkerSurvivesAReopen) {
  store_->send_message(bob_, alice_, "one", "");
  store_->mark_read(alice_, bob_, 0);
  store_->send_message(bob_, alice_, "two", "");
  reopen();
  EXPECT_EQ(store_->unread_count(alice_, bob_), 1u);
  EXPECT_GE(store_->schema_version(), 6);
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreSyncTest);

}  // namespace

// Friend-request notices, on every backend (store_backends.hpp) (issue 12 item 7, friend-request spam): a
// user who asks, withdraws and asks again must not put a notice into the target's inbox each
// time. At most one unacknowledged friend-request notice per (asker, target) until the target
// acknowledges past it or answers (accepts, or removes the asker).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::store::AddFriendState;
using occhat::store::FriendLink;
using occhat::store::InboxItem;

class StoreFriendRequestTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "$h"));
    ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "$h"));
    ASSERT_TRUE(store_->create_user(carol_, "c@x", "carol", "$h"));
  }
  // The friend-request notices (not accepted ones) from `from` in `user`'s unacknowledged inbox.
  std::size_t pending_notices(std::uint32_t user, std::uint32_t from) {
    std::size_t n = 0;
    for (const auto& item : store_->fetch_inbox(user, 0, 100000).items) {
      if (item.kind == InboxItem::Kind::friend_request && !item.accepted && item.other_user == from) ++n;
    }
    return n;
  }
  // Inbox seqs are 1..last_seq without gaps, in order.
  void expect_gap_free(std::uint32_t user) {
    const auto state = store_->inbox_state(user);
    const auto page = store_->fetch_inbox(user, 0, 100000);
    ASSERT_EQ(page.items.size(), state.last_seq - state.acked_seq);
    for (std::size_t i = 0; i < page.items.size(); ++i) EXPECT_EQ(page.items[i].seq, state.acked_seq + i + 1);
  }

  std::uint32_t alice_ = 314159, bob_ = 271828, carol_ = 141421;
};

TEST_P(StoreFriendRequestTest, AddRemoveLoopLeavesOneNotice) {
  const auto first = store_->add_friend(alice_, bob_);
  ASSERT_TRUE(first.notice);
  EXPECT_EQ(first.notice->seq, 1u);
  EXPECT_FALSE(first.coalesced);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store_->remove_friend(alice_, bob_));  // withdraw
    const auto again = store_->add_friend(alice_, bob_);
    EXPECT_EQ(again.state, AddFriendState::requested);
    EXPECT_FALSE(again.notice) << "round " << i;
    EXPECT_TRUE(again.coalesced);
  }
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 1u);
  EXPECT_EQ(pending_notices(bob_, alice_), 1u);
  // The request itself is pending (the latest one).
  const auto requests = store_->friend_requests(bob_);
  ASSERT_EQ(requests.incoming.size(), 1u);
  EXPECT_EQ(requests.incoming[0].user_id, alice_);
  // Kept across a restart.
  reopen();
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  EXPECT_TRUE(store_->add_friend(alice_, bob_).coalesced);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 1u);
}

TEST_P(StoreFriendRequestTest, RepeatWhilePendingIsNotCoalescedButIdempotent) {
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);
  const auto again = store_->add_friend(alice_, bob_);
  EXPECT_FALSE(again.notice);
  EXPECT_FALSE(again.coalesced);  // nothing new stored at all
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 1u);
}

TEST_P(StoreFriendRequestTest, AfterAcknowledgingTheNoticeANewRequestNotifiesAgain) {
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);
  EXPECT_EQ(store_->ack(bob_, 1), 1u);  // bob saw it and ignored it
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  const auto again = store_->add_friend(alice_, bob_);
  ASSERT_TRUE(again.notice);
  EXPECT_EQ(again.notice->seq, 2u);
  // ...and then only once more until bob acknowledges that one.
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  EXPECT_TRUE(store_->add_friend(alice_, bob_).coalesced);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 2u);
}

TEST_P(StoreFriendRequestTest, AcknowledgingOnlyEarlierItemsKeepsCoalescing) {
  // carol's request is bob's seq 1, alice's seq 2; bob acknowledges only seq 1.
  ASSERT_TRUE(store_->add_friend(carol_, bob_).notice);
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);
  EXPECT_EQ(store_->ack(bob_, 1), 1u);
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  EXPECT_TRUE(store_->add_friend(alice_, bob_).coalesced);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 2u);
}

TEST_P(StoreFriendRequestTest, DecliningCountsAsAnAnswer) {
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);  // bob's seq 1, never acknowledged
  ASSERT_TRUE(store_->remove_friend(bob_, alice_));      // bob declines
  const auto again = store_->add_friend(alice_, bob_);
  ASSERT_TRUE(again.notice);
  EXPECT_EQ(again.notice->seq, 2u);
  EXPECT_FALSE(again.coalesced);
  expect_gap_free(bob_);
}

TEST_P(StoreFriendRequestTest, BecomingFriendsCountsAsAnAnswer) {
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);  // bob's seq 1, never acknowledged
  ASSERT_EQ(store_->add_friend(bob_, alice_).state, AddFriendState::now_friends);
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));  // they part
  const auto again = store_->add_friend(alice_, bob_);
  ASSERT_TRUE(again.notice);
  EXPECT_EQ(again.notice->seq, 2u);
  // The same when the friendship came from the other direction.
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  ASSERT_TRUE(store_->remove_friend(bob_, alice_) == false);  // nothing left to remove
  ASSERT_TRUE(store_->add_friend(bob_, alice_).notice);       // alice's seq 2 (alice never acks)
  ASSERT_EQ(store_->add_friend(alice_, bob_).state, AddFriendState::now_friends);
  ASSERT_TRUE(store_->remove_friend(bob_, alice_));
  EXPECT_TRUE(store_->add_friend(bob_, alice_).notice);
}

TEST_P(StoreFriendRequestTest, OtherAskersAndTargetsAreUnaffected) {
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);   // bob 1
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  ASSERT_TRUE(store_->add_friend(carol_, bob_).notice);   // bob 2: another asker
  ASSERT_TRUE(store_->add_friend(alice_, carol_).notice); // carol 1: another target
  EXPECT_TRUE(store_->add_friend(alice_, bob_).coalesced);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 2u);
  EXPECT_EQ(pending_notices(bob_, alice_), 1u);
  EXPECT_EQ(pending_notices(bob_, carol_), 1u);
  expect_gap_free(bob_);
  expect_gap_free(carol_);
  // A message after a coalesced request takes the next seq: no gap, no reuse.
  ASSERT_EQ(store_->add_friend(bob_, carol_).state, AddFriendState::now_friends);
  const auto sent = store_->send_message(carol_, bob_, "hi", "");
  ASSERT_TRUE(sent.item);
  EXPECT_EQ(sent.item->seq, 3u);
  expect_gap_free(bob_);
}

TEST_P(StoreFriendRequestTest, AcceptedNoticesAreNotCoalesced) {
  // alice asks bob, withdraws, asks again (coalesced); bob accepts: alice gets her accepted
  // notice as before.
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  ASSERT_TRUE(store_->add_friend(alice_, bob_).coalesced);
  const auto accept = store_->add_friend(bob_, alice_);
  ASSERT_EQ(accept.state, AddFriendState::now_friends);
  ASSERT_TRUE(accept.notice);
  EXPECT_TRUE(accept.notice->accepted);
  EXPECT_EQ(accept.notice->user_id, alice_);
}

TEST_P(StoreFriendRequestTest, FriendLink) {
  EXPECT_EQ(store_->friend_link(alice_, bob_), FriendLink::none);
  EXPECT_EQ(store_->friend_link(alice_, 999999), FriendLink::none);  // unknown id
  store_->add_friend(alice_, bob_);
  EXPECT_EQ(store_->friend_link(alice_, bob_), FriendLink::request_sent);
  EXPECT_EQ(store_->friend_link(bob_, alice_), FriendLink::request_received);
  store_->add_friend(bob_, alice_);
  EXPECT_EQ(store_->friend_link(alice_, bob_), FriendLink::friends);
  EXPECT_EQ(store_->friend_link(bob_, alice_), FriendLink::friends);
  store_->remove_friend(bob_, alice_);
  EXPECT_EQ(store_->friend_link(alice_, bob_), FriendLink::none);
}

TEST_P(StoreFriendRequestTest, MigrationFromSchema3RemembersUnacknowledgedNotices) {
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);  // bob 1: unacknowledged
  ASSERT_TRUE(store_->add_friend(carol_, bob_).notice);  // bob 2: unacknowledged
  ASSERT_TRUE(store_->add_friend(carol_, alice_).notice);  // alice 1, unacknowledged ...
  ASSERT_EQ(store_->add_friend(alice_, carol_).state, AddFriendState::now_friends);  // ... but answered
  const std::uint32_t dave = 173205;
  ASSERT_TRUE(store_->create_user(dave, "d@x", "dave", "$h"));
  ASSERT_TRUE(store_->add_friend(bob_, dave).notice);  // dave 1, acknowledged
  EXPECT_EQ(store_->ack(dave, 1), 1u);
  // Back to a schema-3 file: no notice table, as a server of the previous release left it.
  // (Steps 7 -> 8, accounts, 6 -> 7, read markers, 5 -> 6, operators, and 4 -> 5, rooms and
  // blocking, undone first.)
  const std::string undo_accounts =
      "DROP INDEX users_discoverable_by_nick; ALTER TABLE users DROP COLUMN deleted_ms; "
      "ALTER TABLE users DROP COLUMN discoverable; ALTER TABLE sessions DROP COLUMN client_name; "
      "ALTER TABLE sessions DROP COLUMN last_address;";
  raw_sql(undo_accounts, undo_accounts);
  raw_sql("ALTER TABLE users DROP COLUMN disabled; DROP TABLE account_events; "
          "DELETE FROM sqlite_sequence WHERE name = 'account_events';",
          "ALTER TABLE users DROP COLUMN disabled; DROP TABLE account_events;");
  const std::string undo_rooms =
      "DROP TABLE read_markers; DROP INDEX uploads_by_room; DROP INDEX files_by_room; ALTER TABLE uploads DROP COLUMN room_id; "
      "ALTER TABLE files DROP COLUMN room_id; ALTER TABLE inbox DROP COLUMN room_message_id; "
      "ALTER TABLE inbox DROP COLUMN room_id; ALTER TABLE inbox DROP COLUMN room_name; "
      "ALTER TABLE inbox DROP COLUMN event_kind; ALTER TABLE inbox DROP COLUMN subject; "
      "ALTER TABLE inbox DROP COLUMN role; DROP TABLE blocks; DROP TABLE room_messages; DROP TABLE room_invites; "
      "DROP TABLE room_members; DROP TABLE rooms; ";
  raw_sql(undo_rooms + "DELETE FROM sqlite_sequence WHERE name = 'rooms';", undo_rooms);
  raw_sql("DROP TABLE friend_request_notices; PRAGMA user_version = 3;",
          "DROP TABLE friend_request_notices; UPDATE schema_version SET version = 3;");
  reopen();
  EXPECT_GE(store_->schema_version(), 4);
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  EXPECT_TRUE(store_->add_friend(alice_, bob_).coalesced);  // bob's seq 1 is still pending
  ASSERT_TRUE(store_->remove_friend(carol_, bob_));
  EXPECT_TRUE(store_->add_friend(carol_, bob_).coalesced);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 2u);
  // alice's unacknowledged notice from carol was answered by their friendship: not remembered.
  ASSERT_TRUE(store_->remove_friend(carol_, alice_));
  EXPECT_TRUE(store_->add_friend(carol_, alice_).notice);
  // dave's acknowledged notice from bob: not remembered either.
  ASSERT_TRUE(store_->remove_friend(bob_, dave));
  EXPECT_TRUE(store_->add_friend(bob_, dave).notice);
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreFriendRequestTest);

}  // namespace

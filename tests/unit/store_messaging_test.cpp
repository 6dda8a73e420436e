// occhat::store friends, messages, inbox and history, on every backend (store_backends.hpp).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::ErrorCode;
using occhat::store::AddFriendState;
using occhat::store::InboxItem;
using occhat::store::StoreError;

class StoreMessagingTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "$h"));
    ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "$h"));
    ASSERT_TRUE(store_->create_user(carol_, "c@x", "carol", "$h"));
  }
  void befriend(std::uint32_t a, std::uint32_t b) {
    ASSERT_EQ(store_->add_friend(a, b).state, AddFriendState::requested);
    ASSERT_EQ(store_->add_friend(b, a).state, AddFriendState::now_friends);
  }
  static ErrorCode code_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const StoreError& e) {
      return e.code();
    }
    return ErrorCode::ok;
  }

  std::uint32_t alice_ = 314159, bob_ = 271828, carol_ = 141421;
};

TEST_P(StoreMessagingTest, SchemaIncludesTheMessagingMigration) { EXPECT_GE(store_->schema_version(), 2); }

TEST_P(StoreMessagingTest, RequestThenAcceptMakesFriends) {
  const auto first = store_->add_friend(alice_, bob_);
  EXPECT_EQ(first.state, AddFriendState::requested);
  EXPECT_EQ(first.other.id, bob_);
  EXPECT_EQ(first.other.nick, "bob");
  ASSERT_TRUE(first.notice);
  EXPECT_EQ(first.notice->user_id, bob_);
  EXPECT_EQ(first.notice->seq, 1u);
  EXPECT_EQ(first.notice->kind, InboxItem::Kind::friend_request);
  EXPECT_EQ(first.notice->other_user, alice_);
  EXPECT_EQ(first.notice->other_nick, "alice");
  EXPECT_FALSE(first.notice->accepted);

  const auto bob_requests = store_->friend_requests(bob_);
  ASSERT_EQ(bob_requests.incoming.size(), 1u);
  EXPECT_EQ(bob_requests.incoming[0].user_id, alice_);
  EXPECT_EQ(bob_requests.incoming[0].nick, "alice");
  EXPECT_GT(bob_requests.incoming[0].time_ms, 0);
  EXPECT_TRUE(bob_requests.outgoing.empty());
  const auto alice_requests = store_->friend_requests(alice_);
  ASSERT_EQ(alice_requests.outgoing.size(), 1u);
  EXPECT_EQ(alice_requests.outgoing[0].user_id, bob_);
  EXPECT_TRUE(store_->friends(alice_).empty());

  const auto accept = store_->add_friend(bob_, alice_);
  EXPECT_EQ(accept.state, AddFriendState::now_friends);
  ASSERT_TRUE(accept.notice);
  EXPECT_EQ(accept.notice->user_id, alice_);
  EXPECT_EQ(accept.notice->other_user, bob_);
  EXPECT_TRUE(accept.notice->accepted);
  EXPECT_TRUE(store_->friend_requests(alice_).outgoing.empty());
  EXPECT_TRUE(store_->friend_requests(bob_).incoming.empty());
  ASSERT_EQ(store_->friends(alice_).size(), 1u);
  EXPECT_EQ(store_->friends(alice_)[0].id, bob_);
  EXPECT_EQ(store_->friends(alice_)[0].nick, "bob");
  ASSERT_EQ(store_->friends(bob_).size(), 1u);
  EXPECT_EQ(store_->friends(bob_)[0].id, alice_);

  const auto again = store_->add_friend(alice_, bob_);
  EXPECT_EQ(again.state, AddFriendState::already_friends);
  EXPECT_FALSE(again.notice);
}

TEST_P(StoreMessagingTest, RepeatedRequestStoresOneNotice) {
  ASSERT_TRUE(store_->add_friend(alice_, bob_).notice);
  const auto second = store_->add_friend(alice_, bob_);
  EXPECT_EQ(second.state, AddFriendState::requested);
  EXPECT_FALSE(second.notice);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 1u);
  EXPECT_EQ(store_->friend_requests(bob_).incoming.size(), 1u);
}

TEST_P(StoreMessagingTest, AddFriendErrors) {
  EXPECT_EQ(code_of([&] { store_->add_friend(alice_, alice_); }), ErrorCode::invalid_argument);
  const std::uint32_t nobody = alice_ == 999999 || bob_ == 999999 || carol_ == 999999 ? 100000 : 999999;
  EXPECT_EQ(code_of([&] { store_->add_friend(alice_, nobody); }), ErrorCode::not_found);
}

TEST_P(StoreMessagingTest, FriendsSortedByNick) {
  befriend(alice_, carol_);
  befriend(alice_, bob_);
  const auto list = store_->friends(alice_);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].nick, "bob");
  EXPECT_EQ(list[1].nick, "carol");
}

TEST_P(StoreMessagingTest, RemoveFriendAndRequests) {
  befriend(alice_, bob_);
  EXPECT_TRUE(store_->remove_friend(bob_, alice_));
  EXPECT_TRUE(store_->friends(alice_).empty());
  EXPECT_TRUE(store_->friends(bob_).empty());
  EXPECT_FALSE(store_->remove_friend(alice_, bob_));
  // A pending request can be withdrawn by its sender or declined by its recipient.
  store_->add_friend(alice_, carol_);
  EXPECT_TRUE(store_->remove_friend(carol_, alice_));
  EXPECT_TRUE(store_->friend_requests(alice_).outgoing.empty());
  EXPECT_FALSE(store_->remove_friend(carol_, alice_));
}

TEST_P(StoreMessagingTest, SendRequiresFriendship) {
  EXPECT_EQ(code_of([&] { store_->send_message(alice_, bob_, "hi", ""); }), ErrorCode::not_allowed);
  EXPECT_EQ(code_of([&] { store_->send_message(alice_, alice_, "hi", ""); }), ErrorCode::invalid_argument);
  const std::uint32_t nobody = alice_ == 999999 || bob_ == 999999 || carol_ == 999999 ? 100000 : 999999;
  EXPECT_EQ(code_of([&] { store_->send_message(alice_, nobody, "hi", ""); }), ErrorCode::not_found);
  try {
    store_->send_message(alice_, bob_, "hi", "");
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()), std::to_string(bob_) + " is not your friend");
  }
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, 0u);
}

TEST_P(StoreMessagingTest, SendIsIdempotentByClientId) {
  befriend(alice_, bob_);
  const auto base = store_->inbox_state(bob_).last_seq;
  const auto first = store_->send_message(alice_, bob_, "hello", "cid-1");
  EXPECT_FALSE(first.duplicate);
  ASSERT_TRUE(first.item);
  EXPECT_EQ(first.item->seq, base + 1);
  EXPECT_EQ(first.item->message.text, "hello");
  EXPECT_EQ(first.item->message.from_nick, "alice");
  const auto retry = store_->send_message(alice_, bob_, "hello", "cid-1");
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.message_id, first.message_id);
  EXPECT_EQ(retry.time_ms, first.time_ms);
  EXPECT_FALSE(retry.item);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, base + 1);
  // The same client id from another sender is a different message; empty ids never dedupe.
  const auto from_bob = store_->send_message(bob_, alice_, "hello", "cid-1");
  EXPECT_FALSE(from_bob.duplicate);
  const auto a = store_->send_message(alice_, bob_, "x", "");
  const auto b = store_->send_message(alice_, bob_, "x", "");
  EXPECT_NE(a.message_id, b.message_id);
  EXPECT_FALSE(b.duplicate);
  // Non-UTF-8 bytes are a fine client id.
  EXPECT_FALSE(store_->send_message(alice_, bob_, "y", std::string("\xff\x00\x01", 3)).duplicate);
  EXPECT_TRUE(store_->send_message(alice_, bob_, "y", std::string("\xff\x00\x01", 3)).duplicate);
  EXPECT_EQ(store_->history(alice_, bob_, 100, 0).messages.size(), 5u);
}

TEST_P(StoreMessagingTest, DuplicateAnsweredEvenAfterUnfriend) {
  befriend(alice_, bob_);
  const auto first = store_->send_message(alice_, bob_, "hello", "cid");
  store_->remove_friend(alice_, bob_);
  const auto retry = store_->send_message(alice_, bob_, "hello", "cid");
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.message_id, first.message_id);
}

TEST_P(StoreMessagingTest, SeqIsGaplessPerRecipient) {
  befriend(alice_, bob_);
  befriend(carol_, bob_);
  befriend(alice_, carol_);
  std::uint64_t bob_seq = store_->inbox_state(bob_).last_seq;
  std::uint64_t carol_seq = store_->inbox_state(carol_).last_seq;
  for (int i = 0; i < 20; ++i) {
    const auto to_bob = store_->send_message(i % 2 ? alice_ : carol_, bob_, "m" + std::to_string(i), "");
    ASSERT_TRUE(to_bob.item);
    EXPECT_EQ(to_bob.item->seq, ++bob_seq);
    if (i % 2 == 0) {
      EXPECT_EQ(to_bob.carbon->seq, ++carol_seq);  // carol's own copy (a carbon)
    }
    const auto to_carol = store_->send_message(alice_, carol_, "c" + std::to_string(i), "");
    EXPECT_EQ(to_carol.item->seq, ++carol_seq);
  }
  // A refused send allocates no seq.
  EXPECT_THROW(store_->send_message(alice_, alice_, "x", ""), StoreError);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, bob_seq);
  const auto page = store_->fetch_inbox(bob_, 0, 1000);
  ASSERT_EQ(page.items.size(), bob_seq);
  for (std::size_t i = 0; i < page.items.size(); ++i) EXPECT_EQ(page.items[i].seq, i + 1);
}

TEST_P(StoreMessagingTest, FetchAckAndLimit) {
  befriend(alice_, bob_);  // bob's seq 1: alice's request; alice's seq 1: bob's acceptance
  for (int i = 0; i < 5; ++i) store_->send_message(alice_, bob_, "m" + std::to_string(i), "");
  auto page = store_->fetch_inbox(bob_, 0, 3);
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_TRUE(page.more);
  EXPECT_EQ(page.items[0].kind, InboxItem::Kind::friend_request);
  EXPECT_EQ(page.items[1].kind, InboxItem::Kind::message);
  EXPECT_EQ(page.items[1].message.text, "m0");
  EXPECT_EQ(page.items[1].message.from, alice_);
  EXPECT_EQ(page.items[1].message.to, bob_);
  EXPECT_EQ(page.items[1].message.from_nick, "alice");
  EXPECT_GT(page.items[1].message.id, 0u);
  page = store_->fetch_inbox(bob_, 3, 10);
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_FALSE(page.more);
  EXPECT_EQ(page.items[0].seq, 4u);

  EXPECT_EQ(store_->ack(bob_, 4), 4u);
  page = store_->fetch_inbox(bob_, 0, 10);  // after_seq below the ack: the ack wins
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].seq, 5u);
  EXPECT_EQ(store_->fetch_inbox(bob_, 5, 10).items.size(), 1u);
  // Never backwards, never beyond last_seq.
  EXPECT_EQ(store_->ack(bob_, 2), 4u);
  EXPECT_EQ(store_->inbox_state(bob_).acked_seq, 4u);
  EXPECT_EQ(store_->ack(bob_, 1000), 6u);
  EXPECT_EQ(store_->inbox_state(bob_).acked_seq, 6u);
  EXPECT_TRUE(store_->fetch_inbox(bob_, 0, 10).items.empty());
  // New items continue the sequence after an ack.
  EXPECT_EQ(store_->send_message(alice_, bob_, "late", "").item->seq, 7u);
}

TEST_P(StoreMessagingTest, AckWithoutInboxIsZero) { EXPECT_EQ(store_->ack(carol_, 5), 0u); }

TEST_P(StoreMessagingTest, HistoryPagination) {
  befriend(alice_, bob_);
  befriend(alice_, carol_);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 7; ++i) {
    const bool from_alice = i % 2 == 0;
    ids.push_back(store_->send_message(from_alice ? alice_ : bob_, from_alice ? bob_ : alice_, "h" + std::to_string(i), "")
                      .message_id);
    store_->send_message(alice_, carol_, "other conversation", "");
  }
  auto page = store_->history(bob_, alice_, 3, 0);
  ASSERT_EQ(page.messages.size(), 3u);
  EXPECT_TRUE(page.more);
  EXPECT_EQ(page.messages[0].text, "h4");
  EXPECT_EQ(page.messages[2].text, "h6");
  EXPECT_EQ(page.messages[2].id, ids[6]);
  EXPECT_EQ(page.messages[2].from, alice_);
  EXPECT_EQ(page.messages[2].from_nick, "alice");
  EXPECT_EQ(page.messages[1].from, bob_);
  EXPECT_EQ(page.messages[1].from_nick, "bob");
  page = store_->history(alice_, bob_, 3, page.messages.front().id);
  ASSERT_EQ(page.messages.size(), 3u);
  EXPECT_EQ(page.messages[0].text, "h1");
  EXPECT_TRUE(page.more);
  page = store_->history(alice_, bob_, 3, page.messages.front().id);
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_EQ(page.messages[0].text, "h0");
  EXPECT_FALSE(page.more);
  EXPECT_TRUE(store_->history(bob_, carol_, 10, 0).messages.empty());
  // Exactly `limit` messages left: no "more".
  page = store_->history(alice_, bob_, 7, 0);
  EXPECT_EQ(page.messages.size(), 7u);
  EXPECT_FALSE(page.more);
}

TEST_P(StoreMessagingTest, SurvivesReopen) {
  befriend(alice_, bob_);
  store_->add_friend(carol_, alice_);
  const auto sent = store_->send_message(alice_, bob_, "persisted", "cid-p");
  store_->ack(bob_, 1);
  reopen();
  EXPECT_GE(store_->schema_version(), 2);
  ASSERT_EQ(store_->friends(bob_).size(), 1u);
  EXPECT_EQ(store_->friend_requests(alice_).incoming.size(), 1u);
  const auto state = store_->inbox_state(bob_);
  EXPECT_EQ(state.acked_seq, 1u);
  EXPECT_EQ(state.last_seq, 2u);
  const auto page = store_->fetch_inbox(bob_, 0, 10);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].message.text, "persisted");
  EXPECT_TRUE(store_->send_message(alice_, bob_, "persisted", "cid-p").duplicate);
  EXPECT_EQ(store_->history(bob_, alice_, 10, 0).messages.at(0).id, sent.message_id);
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreMessagingTest);

}  // namespace

// Subscription: inbox catch-up and presence coalescing, without a server. The inbox it reads
// is a list the test appends to, standing in for the store's fetch_inbox.

#include "subscription.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <memory>
#include <numeric>
#include <vector>

#include "server_test_support.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

using testing::seqs_of;
using testing::TestOutbox;

constexpr std::uint32_t kUser = 100001;

asio::awaitable<store::InboxPage> read_from(const std::vector<store::InboxItem>& inbox, std::size_t& reads,
                                            std::uint64_t after_seq, std::uint32_t limit) {
  ++reads;
  store::InboxPage page;
  for (const auto& item : inbox) {
    if (item.seq <= after_seq) continue;
    if (page.items.size() == limit) {
      page.more = true;
      break;
    }
    page.items.push_back(item);
  }
  co_return page;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out(last - first + 1);
  std::iota(out.begin(), out.end(), first);
  return out;
}

class SubscriptionTest : public ::testing::Test {
 protected:
  void make(std::size_t outbox_capacity) {
    outbox_ = std::make_shared<TestOutbox>(io_, outbox_capacity);
    InboxReader reader = [this](std::uint32_t, std::uint64_t after_seq, std::uint32_t limit) {
      return read_from(inbox_, reads_, after_seq, limit);
    };
    subscription_ = std::make_shared<Subscription>(io_.get_executor(), outbox_, std::move(reader), kUser, 7);
  }

  // A committed item: stored first (the inbox), then pushed live, as the server does.
  store::InboxItem commit() {
    store::InboxItem item;
    item.user_id = kUser;
    item.seq = inbox_.size() + 1;
    item.kind = store::InboxItem::Kind::message;
    item.message.id = item.seq;
    item.message.text = "message " + std::to_string(item.seq);
    inbox_.push_back(item);
    return item;
  }
  void deliver(const store::InboxItem& item) {
    wire::Envelope body;
    fill_inbox_item(*body.mutable_inbox_items()->add_items(), item);
    subscription_->deliver(item, encode_push(body));
  }
  void settle() {
    io_.restart();
    io_.poll();
  }
  // Takes the outbox's room with a frame that is not an inbox item.
  void fill_queue() {
    wire::Envelope body;
    body.mutable_presence_event()->set_user_id(42);
    while (outbox_->try_push(encode_push(body))) {
    }
  }
  // Plays a client that reads everything until nothing more comes.
  std::vector<std::uint64_t> read_until_quiet() {
    std::vector<SharedFrame> all;
    for (;;) {
      settle();
      auto frames = outbox_->read_all();
      if (frames.empty()) break;
      all.insert(all.end(), frames.begin(), frames.end());
    }
    return seqs_of(all);
  }

  asio::io_context io_;
  std::vector<store::InboxItem> inbox_;
  std::size_t reads_ = 0;
  std::shared_ptr<TestOutbox> outbox_;
  std::shared_ptr<Subscription> subscription_;
};

TEST_F(SubscriptionTest, StartingPushesTheBacklogFromTheStoreInOrder) {
  make(256);
  for (int i = 0; i < 600; ++i) commit();
  subscription_->start(0);
  EXPECT_EQ(read_until_quiet(), range(1, 600));
  EXPECT_EQ(subscription_->pushed_seq(), 600u);
  EXPECT_FALSE(subscription_->catching_up());
}

TEST_F(SubscriptionTest, StartingAfterASeqSkipsWhatTheClientHas) {
  make(256);
  for (int i = 0; i < 10; ++i) commit();
  subscription_->start(6);
  EXPECT_EQ(read_until_quiet(), range(7, 10));
}

TEST_F(SubscriptionTest, TheNextItemGoesOutAsTheSharedFrameWithoutAStoreRead) {
  make(256);
  subscription_->start(0);
  settle();
  const std::size_t reads_before = reads_;
  const auto item = commit();
  wire::Envelope body;
  fill_inbox_item(*body.mutable_inbox_items()->add_items(), item);
  const SharedFrame frame = encode_push(body);
  subscription_->deliver(item, frame);
  ASSERT_EQ(outbox_->queued.size(), 1u);
  EXPECT_EQ(outbox_->queued.front().get(), frame.get());  // the very bytes, not a copy
  settle();
  EXPECT_EQ(reads_, reads_before);
}

TEST_F(SubscriptionTest, AGapIsFilledFromTheStoreWithoutSkipsOrRepeats) {
  make(256);
  subscription_->start(0);
  settle();
  const auto first = commit();
  const auto second = commit();
  const auto third = commit();
  deliver(third);  // arrives before the others: out of order
  deliver(first);
  deliver(second);
  EXPECT_EQ(read_until_quiet(), range(1, 3));
}

TEST_F(SubscriptionTest, AFullQueueLeavesItemsInTheStoreUntilTheClientReads) {
  make(4);
  subscription_->start(0);
  settle();
  for (int i = 0; i < 50; ++i) deliver(commit());
  settle();
  // The live pushes stopped at the queue's bound; the rest waits in the store.
  EXPECT_LE(outbox_->queued.size(), 4u);
  EXPECT_EQ(read_until_quiet(), range(1, 50));
  // Later items go live again once the subscription caught up.
  deliver(commit());
  EXPECT_EQ(outbox_->queued.size(), 1u);
  EXPECT_EQ(read_until_quiet(), range(51, 51));
}

TEST_F(SubscriptionTest, ItemsCommittedDuringACatchUpAreNotLost) {
  make(1);
  for (int i = 0; i < 5; ++i) commit();
  fill_queue();
  subscription_->start(0);
  settle();
  EXPECT_TRUE(subscription_->catching_up());
  deliver(commit());  // while the catch-up waits for room
  deliver(commit());
  EXPECT_EQ(read_until_quiet(), range(1, 7));
}

// PostgreSQL down: the catch-up's store read fails. Once the store answers again, what was
// committed before reaches the connection by itself, without waiting for a new item.
TEST_F(SubscriptionTest, AFailedCatchUpIsRetriedUntilTheStoreAnswers) {
  outbox_ = std::make_shared<TestOutbox>(io_, 256);
  int failures_left = 2;
  InboxReader reader = [this, &failures_left](std::uint32_t, std::uint64_t after_seq, std::uint32_t limit) {
    if (failures_left > 0) {
      --failures_left;
      throw store::StoreError(ErrorCode::unavailable, "PostgreSQL: connection lost");
    }
    return read_from(inbox_, reads_, after_seq, limit);
  };
  subscription_ = std::make_shared<Subscription>(io_.get_executor(), outbox_, std::move(reader), kUser, 7,
                                                 std::chrono::milliseconds(10));
  for (int i = 0; i < 3; ++i) commit();
  subscription_->start(0);
  settle();
  EXPECT_TRUE(outbox_->queued.empty());
  io_.restart();
  io_.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(failures_left, 0);
  EXPECT_FALSE(subscription_->catching_up());
  EXPECT_EQ(read_until_quiet(), range(1, 3));
}

TEST_F(SubscriptionTest, AnAcknowledgedItemIsNotPushed) {
  make(256);
  subscription_->start(0);
  settle();
  const auto first = commit();
  const auto second = commit();
  subscription_->acknowledged(2);  // read by fetch_inbox and acknowledged on this connection
  deliver(first);
  deliver(second);
  deliver(commit());
  EXPECT_EQ(read_until_quiet(), range(3, 3));
}

TEST_F(SubscriptionTest, StartingAgainOnlyMovesForward) {
  make(256);
  for (int i = 0; i < 3; ++i) commit();
  subscription_->start(0);
  EXPECT_EQ(read_until_quiet(), range(1, 3));
  subscription_->start(1);
  EXPECT_EQ(read_until_quiet(), std::vector<std::uint64_t>{});
}

TEST_F(SubscriptionTest, ACancelledSubscriptionPushesNothingMore) {
  make(1);
  for (int i = 0; i < 5; ++i) commit();
  fill_queue();
  subscription_->start(0);  // its catch-up waits for room
  settle();
  subscription_->cancel();
  deliver(commit());
  EXPECT_EQ(read_until_quiet(), std::vector<std::uint64_t>{});
}

wire::PresenceEvent presence(std::uint32_t user, bool online) {
  wire::PresenceEvent event;
  event.set_user_id(user);
  event.set_online(online);
  event.set_nick("friend");
  return event;
}

void push_presence(Subscription& subscription, const wire::PresenceEvent& event) {
  wire::Envelope body;
  *body.mutable_presence_event() = event;
  subscription.presence(event, encode_push(body));
}

std::vector<std::pair<std::uint32_t, bool>> presence_of(const std::vector<SharedFrame>& frames) {
  std::vector<std::pair<std::uint32_t, bool>> out;
  for (const auto& frame : frames) {
    const auto body = testing::decode(frame);
    if (body.has_presence_event()) out.emplace_back(body.presence_event().user_id(), body.presence_event().online());
  }
  return out;
}

TEST_F(SubscriptionTest, PresenceWaitingForRoomKeepsOnlyTheLatestStatePerFriend) {
  make(1);
  subscription_->start(0);
  settle();
  push_presence(*subscription_, presence(200001, true));  // fills the queue
  push_presence(*subscription_, presence(200002, true));
  push_presence(*subscription_, presence(200002, false));
  push_presence(*subscription_, presence(200002, true));
  push_presence(*subscription_, presence(200003, false));
  std::vector<SharedFrame> seen = outbox_->read_all();
  for (int i = 0; i < 4; ++i) {
    subscription_->room_made();
    auto more = outbox_->read_all();
    seen.insert(seen.end(), more.begin(), more.end());
  }
  EXPECT_EQ(presence_of(seen), (std::vector<std::pair<std::uint32_t, bool>>{
                                   {200001, true}, {200002, true}, {200003, false}}));
}

}  // namespace
}  // namespace occhat::server

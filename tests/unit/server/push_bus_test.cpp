// InProcessPushBus: who receives what, presence counting, revocation; without a server.

#include "in_process_push_bus.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "server_test_support.hpp"

namespace occhat::server {
namespace {

constexpr std::uint32_t kAlice = 100001;
constexpr std::uint32_t kBob = 100002;
constexpr std::uint32_t kCarol = 100003;

store::TokenHash token(std::uint8_t n) {
  store::TokenHash hash{};
  hash[0] = n;
  return hash;
}

// Records what reaches one connection.
class RecordingSink final : public PushSink {
 public:
  void push_inbox_item(const store::InboxItem& item, const SharedFrame& frame) override {
    items.push_back(item.seq);
    frames.push_back(frame);
  }
  void push_presence(const wire::PresenceEvent& event, const SharedFrame& frame) override {
    presence.push_back(event);
    frames.push_back(frame);
  }
  void token_revoked(std::string_view) override {
    ++revoked;
    if (on_revoked) on_revoked();
  }
  void catch_up() override { ++catch_ups; }

  std::vector<std::uint64_t> items;
  std::vector<wire::PresenceEvent> presence;
  std::vector<SharedFrame> frames;
  int revoked = 0;
  int catch_ups = 0;
  std::function<void()> on_revoked;
};

class PushBusTest : public ::testing::Test {
 protected:
  PushBusTest()
      : bus_([this](std::uint32_t user_id, bool online) { changes_.emplace_back(user_id, online); }) {}

  std::shared_ptr<RecordingSink> attach(std::uint64_t connection, std::uint32_t user, std::uint8_t token_n,
                                        bool announce = true) {
    auto sink = std::make_shared<RecordingSink>();
    bus_.attach(Attachment{connection, user, token(token_n), announce}, sink);
    return sink;
  }

  static store::InboxItem item(std::uint32_t user, std::uint64_t seq) {
    store::InboxItem out;
    out.user_id = user;
    out.seq = seq;
    out.message.text = "hi";
    return out;
  }

  std::vector<std::pair<std::uint32_t, bool>> changes_;
  InProcessPushBus bus_;
};

TEST_F(PushBusTest, AnInboxItemReachesEveryConnectionOfItsUserAsOneSharedFrame) {
  auto phone = attach(1, kAlice, 1);
  auto laptop = attach(2, kAlice, 2);
  auto bob = attach(3, kBob, 3);
  bus_.publish_inbox_item(item(kAlice, 9));
  EXPECT_EQ(phone->items, std::vector<std::uint64_t>{9});
  EXPECT_EQ(laptop->items, std::vector<std::uint64_t>{9});
  EXPECT_TRUE(bob->items.empty());
  ASSERT_EQ(phone->frames.size(), 1u);
  EXPECT_EQ(phone->frames[0].get(), laptop->frames[0].get());  // encoded once
  EXPECT_EQ(testing::decode(phone->frames[0]).inbox_items().items(0).seq(), 9u);
}

TEST_F(PushBusTest, ADetachedConnectionReceivesNothing) {
  auto phone = attach(1, kAlice, 1);
  bus_.detach(1);
  bus_.publish_inbox_item(item(kAlice, 1));
  EXPECT_TRUE(phone->items.empty());
  bus_.detach(1);  // twice is harmless
}

TEST_F(PushBusTest, AUserIsOnlineWhileAnyAnnouncingConnectionIsAttached) {
  attach(1, kAlice, 1);
  attach(2, kAlice, 1);
  attach(3, kAlice, 1, /*announce=*/false);
  EXPECT_TRUE(bus_.online(kAlice));
  bus_.detach(1);
  EXPECT_TRUE(bus_.online(kAlice));
  bus_.detach(2);
  EXPECT_FALSE(bus_.online(kAlice));  // a silent connection does not count
  EXPECT_EQ(changes_, (std::vector<std::pair<std::uint32_t, bool>>{{kAlice, true}, {kAlice, false}}));
}

TEST_F(PushBusTest, LoggingInAgainChangesPresenceOnlyWhenTheAnnounceFlagChanges) {
  attach(1, kAlice, 1, true);
  attach(1, kAlice, 2, true);  // same connection, same user: no flap
  EXPECT_EQ(changes_.size(), 1u);
  attach(1, kAlice, 2, false);
  EXPECT_EQ(changes_, (std::vector<std::pair<std::uint32_t, bool>>{{kAlice, true}, {kAlice, false}}));
  attach(1, kBob, 3, true);  // the connection logs in as someone else
  EXPECT_TRUE(bus_.online(kBob));
  bus_.publish_inbox_item(item(kAlice, 1));
  EXPECT_FALSE(bus_.online(kAlice));
}

TEST_F(PushBusTest, PresenceReachesTheObserversOnlyAndNeverTheUserItself) {
  auto alice = attach(1, kAlice, 1);
  auto bob = attach(2, kBob, 2);
  auto carol = attach(3, kCarol, 3);
  bus_.publish_presence(PresenceChange{kAlice, "alice", true, {kBob, kAlice}});
  ASSERT_EQ(bob->presence.size(), 1u);
  EXPECT_EQ(bob->presence[0].user_id(), kAlice);
  EXPECT_TRUE(bob->presence[0].online());
  EXPECT_EQ(bob->presence[0].nick(), "alice");
  EXPECT_TRUE(alice->presence.empty());
  EXPECT_TRUE(carol->presence.empty());
}

TEST_F(PushBusTest, RevokingATokenReachesItsOtherConnectionsOnly) {
  auto caller = attach(1, kAlice, 7);
  auto same_token = attach(2, kAlice, 7);
  auto other_token = attach(3, kAlice, 8);
  bus_.revoke_token(kAlice, token(7), /*except_connection=*/1, "revoked");
  EXPECT_EQ(caller->revoked, 0);
  EXPECT_EQ(same_token->revoked, 1);
  EXPECT_EQ(other_token->revoked, 0);
}

TEST_F(PushBusTest, ASinkMayDetachItselfWhileBeingCalled) {
  auto first = attach(1, kAlice, 7);
  auto second = attach(2, kAlice, 7);
  first->on_revoked = [this] { bus_.detach(1); };
  second->on_revoked = [this] { bus_.detach(2); };
  bus_.revoke_token(kAlice, token(7), 0, "revoked");
  EXPECT_EQ(first->revoked + second->revoked, 2);
  EXPECT_FALSE(bus_.online(kAlice));
}

}  // namespace
}  // namespace occhat::server

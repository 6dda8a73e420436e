// The cluster's replicated presence (server/cluster/presence_map.hpp), without NATS: what each
// node concludes from its own changes, the others' deltas and heartbeats, and silence.

#include "presence_map.hpp"

#include <gtest/gtest.h>

namespace occhat::cluster {
namespace {

using namespace std::chrono_literals;
using Transitions = std::vector<PresenceTransition>;

constexpr std::uint32_t kAlice = 100001;
constexpr std::uint32_t kBob = 100002;

const NodeIdentity kSelf{"n1", 11, 1000};
const NodeIdentity kOther{"n2", 22, 1000};
// n2 restarted: a new incarnation that started later.
const NodeIdentity kOtherRestarted{"n2", 33, 2000};

class PresenceMapTest : public ::testing::Test {
 protected:
  PresenceMap map_{kSelf, 8s};
  PresenceMap::Clock::time_point t0_ = PresenceMap::Clock::now();
};

TEST_F(PresenceMapTest, ALocalUserIsOnlineUntilTheirLastConnectionGoes) {
  EXPECT_EQ(map_.set_local(kAlice, true), (Transitions{{kAlice, true}}));
  EXPECT_TRUE(map_.online(kAlice));
  EXPECT_EQ(map_.set_local(kAlice, true), Transitions{});  // already
  EXPECT_EQ(map_.set_local(kAlice, false), (Transitions{{kAlice, false}}));
  EXPECT_FALSE(map_.online(kAlice));
}

TEST_F(PresenceMapTest, AUserOnlineOnTwoNodesStaysOnlineWhileEitherListsThem) {
  EXPECT_EQ(map_.apply_delta(kOther, 1, kAlice, true, t0_), (Transitions{{kAlice, true}}));
  EXPECT_EQ(map_.set_local(kAlice, true), Transitions{});
  EXPECT_EQ(map_.apply_delta(kOther, 2, kAlice, false, t0_), Transitions{});
  EXPECT_TRUE(map_.online(kAlice));
  EXPECT_EQ(map_.set_local(kAlice, false), (Transitions{{kAlice, false}}));
}

TEST_F(PresenceMapTest, AHeartbeatHealsLostDeltas) {
  EXPECT_EQ(map_.apply_heartbeat(kOther, 1, {kAlice}, t0_), (Transitions{{kAlice, true}}));
  // The delta "bob online" and "alice offline" were lost: the next heartbeat says it all.
  EXPECT_EQ(map_.apply_heartbeat(kOther, 5, {kBob}, t0_ + 2s), (Transitions{{kAlice, false}, {kBob, true}}));
  EXPECT_FALSE(map_.online(kAlice));
  EXPECT_TRUE(map_.online(kBob));
}

TEST_F(PresenceMapTest, AnOlderMessageOfTheSameNodeIsIgnored) {
  map_.apply_heartbeat(kOther, 5, {kAlice}, t0_);
  EXPECT_EQ(map_.apply_delta(kOther, 4, kAlice, false, t0_), Transitions{});  // sent before the heartbeat
  EXPECT_TRUE(map_.online(kAlice));
}

TEST_F(PresenceMapTest, ASilentNodeIsDroppedWithItsUsers) {
  map_.apply_heartbeat(kOther, 1, {kAlice, kBob}, t0_);
  map_.set_local(kBob, true);
  EXPECT_EQ(map_.expire(t0_ + 7s), Transitions{});
  EXPECT_EQ(map_.live_nodes(), 2u);
  // Bob is still online here, on this node.
  EXPECT_EQ(map_.expire(t0_ + 9s), (Transitions{{kAlice, false}}));
  EXPECT_EQ(map_.live_nodes(), 1u);
  EXPECT_TRUE(map_.online(kBob));
}

TEST_F(PresenceMapTest, HeartbeatsKeepANodeAlive) {
  map_.apply_heartbeat(kOther, 1, {kAlice}, t0_);
  map_.apply_heartbeat(kOther, 2, {kAlice}, t0_ + 6s);
  EXPECT_EQ(map_.expire(t0_ + 12s), Transitions{});
  EXPECT_TRUE(map_.online(kAlice));
}

TEST_F(PresenceMapTest, ARestartedNodeReplacesItsOldIncarnationAtOnce) {
  map_.apply_heartbeat(kOther, 40, {kAlice, kBob}, t0_);
  // The new process lists only bob; its seq starts again at 1.
  EXPECT_EQ(map_.apply_heartbeat(kOtherRestarted, 1, {kBob}, t0_ + 1s), (Transitions{{kAlice, false}}));
  EXPECT_TRUE(map_.online(kBob));
  EXPECT_EQ(map_.live_nodes(), 2u);
  // A late message of the dead process does not bring alice back.
  EXPECT_EQ(map_.apply_delta(kOther, 41, kAlice, true, t0_ + 2s), Transitions{});
  EXPECT_FALSE(map_.online(kAlice));
}

TEST_F(PresenceMapTest, OurOwnMessagesAndOurPreviousIncarnationAreIgnored) {
  EXPECT_EQ(map_.apply_heartbeat(kSelf, 1, {kAlice}, t0_), Transitions{});
  const NodeIdentity previous_self{"n1", 99, 500};
  EXPECT_EQ(map_.apply_heartbeat(previous_self, 1, {kAlice}, t0_), Transitions{});
  EXPECT_FALSE(map_.online(kAlice));
  EXPECT_EQ(map_.live_nodes(), 1u);
}

}  // namespace
}  // namespace occhat::cluster

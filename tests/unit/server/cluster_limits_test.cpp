// ClusterLimits: the login throttle and the per-user message rate shared by the nodes of a
// cluster. Three nodes, each with its own throttle and limiter, are wired to each other through
// lambdas as the bus would (every node receives every event, its own included), on a fake clock.

#include "cluster_limits.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "occhat/proto/cluster.pb.h"

namespace occhat::server {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;

constexpr LoginLimits kDefaultLogin{};  // 5 per (user, address), 100 per user, 20 per address, 30 s

struct Node {
  Node(asio::io_context& io, LoginLimits login, double rate, double burst)
      : throttle(login), send_limiter(rate, burst), limits(io.get_executor(), throttle, send_limiter) {}
  LoginThrottle throttle;
  SendRateLimiter send_limiter;
  ClusterLimits limits;
  bool link_up = true;  // false: what this node publishes is lost on the way
};

// N nodes on one bus. Delivery is immediate: "within a bus round trip" is before anything else.
class Cluster {
 public:
  Cluster(int nodes, LoginLimits login = kDefaultLogin, double rate = 0, double burst = 1) {
    for (int i = 0; i < nodes; ++i) nodes_.push_back(std::make_unique<Node>(io_, login, rate, burst));
    for (int i = 0; i < nodes; ++i) {
      Node& from = *nodes_[i];
      from.limits.connect(1000 + i, [this, &from](std::string bytes) {
        if (!from.link_up) return;
        for (auto& to : nodes_) to->limits.apply_remote(bytes, now);
      });
    }
  }
  Node& operator[](int i) { return *nodes_[i]; }
  int size() const { return static_cast<int>(nodes_.size()); }

  Clock::time_point now = Clock::now();

 private:
  asio::io_context io_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

void fail(Node& node, std::uint32_t id, const std::string& address, Clock::time_point now) {
  LoginThrottle::Attempt attempt(node.throttle, id, address);
  attempt.failed(now);
}

TEST(ClusterLimitsTest, SpreadingWrongPasswordsOverNodesGainsNothing) {
  Cluster cluster(3);
  const auto t0 = cluster.now;
  // Five guesses, one after the other, round-robin over the nodes: the sixth is refused on every
  // node, for the same 30 s a single node would impose.
  for (int i = 0; i < 5; ++i) {
    Node& node = cluster[i % 3];
    ASSERT_EQ(node.throttle.retry_after(1, "attacker", t0), 0ms) << "guess " << i + 1;
    fail(node, 1, "attacker", t0);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cluster[i].throttle.retry_after(1, "attacker", t0), 30'000ms) << "node " << i;
    EXPECT_EQ(cluster[i].throttle.retry_after(1, "owner", t0), 0ms) << "node " << i;  // the owner elsewhere
  }
}

TEST(ClusterLimitsTest, AttemptsInFlightOnOtherNodesCount) {
  Cluster cluster(3);
  const auto t0 = cluster.now;
  // Five guesses in parallel, still being checked, spread over the nodes.
  std::vector<std::unique_ptr<LoginThrottle::Attempt>> in_flight;
  for (int i = 0; i < 5; ++i) {
    Node& node = cluster[i % 3];
    ASSERT_EQ(node.throttle.retry_after(1, "attacker", t0), 0ms) << "guess " << i + 1;
    in_flight.push_back(std::make_unique<LoginThrottle::Attempt>(node.throttle, 1, "attacker"));
  }
  // The sixth may start nowhere, although no node holds more than two of them.
  for (int i = 0; i < 3; ++i) EXPECT_GT(cluster[i].throttle.retry_after(1, "attacker", t0), 0ms) << "node " << i;
  for (auto& attempt : in_flight) attempt->failed(t0);
  in_flight.clear();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cluster[i].throttle.retry_after(1, "attacker", t0), 30'000ms) << "node " << i;
    EXPECT_EQ(cluster[i].throttle.remote_in_flight(), 0u) << "node " << i;
  }
}

TEST(ClusterLimitsTest, ARemoteSuccessClearsThePairAsALocalOneDoes) {
  Cluster cluster(3);
  const auto t0 = cluster.now;
  for (int i = 0; i < 4; ++i) fail(cluster[i % 3], 1, "home", t0);
  // The owner gets it right on node 2: the four failures are forgotten everywhere, so four more
  // on node 0 do not reach the threshold of five.
  { LoginThrottle::Attempt(cluster[2].throttle, 1, "home").succeeded(); }
  for (int i = 0; i < 4; ++i) fail(cluster[0], 1, "home", t0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cluster[i].throttle.retry_after(1, "home", t0), 0ms) << "node " << i;
  fail(cluster[1], 1, "home", t0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cluster[i].throttle.retry_after(1, "home", t0), 30'000ms) << "node " << i;
}

// Every node offers user 7 a message each millisecond for `duration`; the nodes flush their
// batches every 5 ms. Returns how many were let through in all.
int messages_let_through(Cluster& cluster, std::chrono::milliseconds duration) {
  int sent = 0;
  for (auto t = 0ms; t < duration; t += 1ms) {
    cluster.now += 1ms;
    for (int i = 0; i < cluster.size(); ++i) {
      Node& node = cluster[i];
      if (node.send_limiter.take(7, cluster.now)) continue;  // refused
      node.limits.message_token_taken(7);
      ++sent;
    }
    if (t.count() % ClusterLimits::kFlushInterval.count() == 0) {
      for (int i = 0; i < cluster.size(); ++i) cluster[i].limits.flush();
    }
  }
  return sent;
}

TEST(ClusterLimitsTest, AUsersMessageRateIsTheClustersNotEachNodes) {
  constexpr double kRate = 100;  // per second
  constexpr double kBurst = 10;
  Cluster one(1, kDefaultLogin, kRate, kBurst);
  Cluster three(3, kDefaultLogin, kRate, kBurst);
  const int on_one = messages_let_through(one, 5s);
  const int on_three = messages_let_through(three, 5s);
  // One node: the burst plus 5 s at the rate.
  EXPECT_NEAR(on_one, kBurst + 5 * kRate, 2);
  // Three nodes: the same, give or take what races within one batch interval (each node may let
  // one through before hearing of the others'; the debt is paid back) — not three times as many.
  EXPECT_LE(on_three, kBurst * 3 + 5 * kRate);
  EXPECT_GE(on_three, 5 * kRate * 0.95);
}

TEST(ClusterLimitsTest, BatchedTokensAreFlushedByTheTimer) {
  asio::io_context io;
  Node sender(io, kDefaultLogin, 1, 3);
  Node receiver(io, kDefaultLogin, 1, 3);
  int events = 0;
  sender.limits.connect(1, [&](std::string bytes) {
    ++events;
    receiver.limits.apply_remote(bytes);
  });
  const auto now = Clock::now();
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(sender.send_limiter.take(7, now));
    sender.limits.message_token_taken(7);
  }
  EXPECT_EQ(events, 0);  // batched, not one event per message
  EXPECT_FALSE(receiver.send_limiter.take(7, now));
  io.run_for(100ms);
  EXPECT_EQ(events, 1);  // three tokens, one event
  // The receiver's bucket of user 7 is empty now too: three taken there, one of its own.
  EXPECT_TRUE(receiver.send_limiter.take(7, Clock::now()));
}

TEST(ClusterLimitsTest, ALostEndFreesTheSlotAfterTheTimeout) {
  Cluster cluster(2, {.per_account_address = 1, .per_account = 100, .per_address = 20, .delay = 30s});
  const auto t0 = cluster.now;
  {
    LoginThrottle::Attempt attempt(cluster[0].throttle, 1, "a");
    EXPECT_EQ(cluster[1].throttle.remote_in_flight(), 1u);
    EXPECT_GT(cluster[1].throttle.retry_after(1, "a", t0), 0ms);
    cluster[0].link_up = false;  // node 0 is cut off (or dies): its end never arrives
  }
  EXPECT_GT(cluster[1].throttle.retry_after(1, "a", t0 + 29s), 0ms);
  EXPECT_EQ(cluster[1].throttle.retry_after(1, "a", t0 + LoginThrottle::kRemoteInFlightTimeout), 0ms);
  EXPECT_EQ(cluster[1].throttle.remote_in_flight(), 0u);
}

TEST(ClusterLimitsTest, AnEndWithoutOutcomeFreesTheSlotAtOnce) {
  Cluster cluster(2, {.per_account_address = 1, .per_account = 100, .per_address = 20, .delay = 30s});
  const auto t0 = cluster.now;
  { LoginThrottle::Attempt attempt(cluster[0].throttle, 1, "a"); }  // e.g. the store failed
  EXPECT_EQ(cluster[1].throttle.retry_after(1, "a", t0), 0ms);
  EXPECT_EQ(cluster[1].throttle.remote_in_flight(), 0u);
}

TEST(ClusterLimitsTest, OwnEventsAreIgnored) {
  Cluster cluster(2, kDefaultLogin, 1, 2);  // every node hears its own events back, as on NATS
  const auto t0 = cluster.now;
  for (int i = 0; i < 4; ++i) fail(cluster[0], 1, "a", t0);
  // Four failures, not eight: one more is allowed.
  EXPECT_EQ(cluster[0].throttle.retry_after(1, "a", t0), 0ms);
  EXPECT_EQ(cluster[0].limits.counters().own_ignored, 8u);  // four starts, four ends
  EXPECT_EQ(cluster[1].limits.counters().applied, 8u);
  // A message token (buckets of two): taken once from node 0's bucket, not twice.
  ASSERT_FALSE(cluster[0].send_limiter.take(7, t0));
  cluster[0].limits.message_token_taken(7);
  cluster[0].limits.flush();
  EXPECT_FALSE(cluster[0].send_limiter.take(7, t0));  // the second token
  EXPECT_FALSE(cluster[1].send_limiter.take(7, t0));  // node 1 has one left as well
  EXPECT_TRUE(cluster[1].send_limiter.take(7, t0));
}

TEST(ClusterLimitsTest, MalformedEventsAreCountedAndIgnored) {
  asio::io_context io;
  Node node(io, {.per_account_address = 1, .per_account = 1, .per_address = 1, .delay = 30s}, 1, 1);
  node.limits.connect(1, [](std::string) {});
  const auto now = Clock::now();
  std::vector<std::string> bad{"", "\xff\xff\xff\xff garbage", std::string(3, '\0')};
  const auto add = [&](auto fill) {
    occhat::cluster::LimitsEvent event;
    event.set_origin(2);
    fill(event);
    bad.push_back(event.SerializeAsString());
  };
  add([](auto&) {});                                                        // no event at all
  add([](auto& e) { e.mutable_login_started()->set_user_id(1); });          // serial 0
  add([](auto& e) { e.mutable_login_ended()->set_serial(1); });             // no outcome
  add([](auto& e) { e.mutable_login_ended()->set_outcome(static_cast<decltype(e.login_ended().outcome())>(99)); });
  add([](auto& e) {
    e.mutable_login_started()->set_serial(1);
    e.mutable_login_started()->set_address(std::string(10'000, 'x'));       // not an address
  });
  add([](auto& e) { e.mutable_message_tokens()->add_users()->set_user_id(7); });  // zero tokens
  add([](auto& e) { e.mutable_message_tokens(); });                         // empty batch
  {
    occhat::cluster::LimitsEvent no_origin;
    no_origin.mutable_login_started()->set_serial(1);
    no_origin.mutable_login_started()->set_user_id(1);
    bad.push_back(no_origin.SerializeAsString());
  }
  for (const auto& bytes : bad) node.limits.apply_remote(bytes, now);
  EXPECT_EQ(node.limits.counters().malformed, bad.size());
  EXPECT_EQ(node.limits.counters().applied, 0u);
  EXPECT_EQ(node.throttle.remote_in_flight(), 0u);
  EXPECT_EQ(node.throttle.retry_after(1, "", now), 0ms);
  EXPECT_FALSE(node.send_limiter.take(7, now));
}

TEST(ClusterLimitsTest, UnconnectedPublishesNothing) {
  asio::io_context io;
  Node node(io, {.per_account_address = 1, .per_account = 1, .per_address = 1, .delay = 30s}, 1, 5);
  fail(node, 1, "a", Clock::now());
  node.limits.message_token_taken(7);
  node.limits.flush();
  EXPECT_EQ(node.limits.counters().published, 0u);
  EXPECT_EQ(io.poll(), 0u);  // no batch timer armed either
}

}  // namespace
}  // namespace occhat::server

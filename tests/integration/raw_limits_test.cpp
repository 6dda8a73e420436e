// The server's limits, on a real occhat-server process with hand-built frames: messages per
// second per user, connections in all, connections not logged in and their time to log in, and
// the memory a subscriber that never reads can cost.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "raw_client.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace occhat::test;
using occhat::ErrorCode;
namespace proto = occhat::proto;
namespace wire = occhat::wire;

// Registers and logs in; returns the new user's id.
std::uint32_t sign_up(RawClient& client, const std::string& nick) {
  const auto id = register_user(client, nick);
  EXPECT_TRUE(client.call(3, rq::login(id, kPassword)).has_login_ok());
  return id;
}

void befriend(RawClient& a, std::uint32_t a_id, RawClient& b, std::uint32_t b_id) {
  ASSERT_TRUE(a.call(4, rq::add_friend(b_id)).has_add_friend_result());
  ASSERT_TRUE(b.call(4, rq::add_friend(a_id)).has_add_friend_result());
}

// The final push a refused connection gets, then the server closes it.
void expect_refused(RawClient& client, ErrorCode code, const std::string& why) {
  proto::Frame frame;
  ASSERT_EQ(client.read_frame(frame), RawClient::Read::frame) << why << ": no error push";
  EXPECT_TRUE(frame.is_push()) << why;
  ASSERT_TRUE(frame.body.has_error()) << why << ": " << frame.body.ShortDebugString();
  EXPECT_EQ(code_of(frame.body), code) << why << ": " << frame.body.error().message();
  EXPECT_TRUE(client.closed_by_server()) << why << ": still open";
}

TEST(RawLimits, MessageRateLimitSaysWhenToRetry) {
  ServerProcess server({}, {"--message-rate", "5", "--message-burst", "5"});
  auto a = greeted(server);
  auto b = greeted(server);
  const auto alice = sign_up(*a, "alice");
  const auto bob = sign_up(*b, "bob");
  befriend(*a, alice, *b, bob);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->call(10 + i, rq::send_message(bob, "burst")).has_message_sent()) << i;
  const auto limited = a->call(20, rq::send_message(bob, "one too many"));
  ASSERT_EQ(code_of(limited), ErrorCode::rate_limited) << limited.ShortDebugString();
  const auto retry_after = std::chrono::milliseconds(limited.error().retry_after_ms());
  EXPECT_GT(retry_after.count(), 0);
  EXPECT_LE(retry_after.count(), 1000) << "one token comes back every 200 ms";
  EXPECT_NE(limited.error().message().find("retry in"), std::string::npos) << limited.error().message();
  // The limit is per user, not per connection: bob is unaffected.
  EXPECT_TRUE(b->call(21, rq::send_message(alice, "bob has his own budget")).has_message_sent());
  std::this_thread::sleep_for(retry_after + 50ms);
  EXPECT_TRUE(a->call(22, rq::send_message(bob, "after waiting")).has_message_sent());
}

TEST(RawLimits, ConnectionsBeyondTheLimitAreRefusedClearly) {
  ServerProcess server({}, {"--max-connections", "3"});
  auto c1 = greeted(server);
  auto c2 = greeted(server);
  auto c3 = greeted(server);
  RawClient c4(server.port());
  c4.send(1, rq::hello(kClientName));
  expect_refused(c4, ErrorCode::resource_exhausted, "the 4th connection");
  // The ones already open keep working; once one closes there is room again.
  EXPECT_TRUE(c2->call(2, rq::ping()).has_pong());
  c4.close();  // (a refused connection counts until it is gone: at most the 3 s close grace)
  c1->close();
  std::this_thread::sleep_for(200ms);
  auto c5 = greeted(server);
  EXPECT_TRUE(c5->call(2, rq::ping()).has_pong());
}

TEST(RawLimits, ConnectionsWaitingToLogInAreLimited) {
  ServerProcess server({}, {"--max-unauthenticated", "2"});
  auto u1 = greeted(server);
  auto u2 = greeted(server);
  RawClient u3(server.port());
  u3.send(1, rq::hello(kClientName));
  expect_refused(u3, ErrorCode::resource_exhausted, "a 3rd connection not logged in");
  u3.close();
  // A connection that logs in no longer counts.
  sign_up(*u1, "alice");
  std::this_thread::sleep_for(200ms);
  auto u4 = greeted(server);
  EXPECT_TRUE(u4->call(2, rq::ping()).has_pong());
}

TEST(RawLimits, ConnectionsThatDoNotLogInAreClosed) {
  ServerProcess server({}, {"--login-timeout-seconds", "2"});
  auto idle = greeted(server);
  auto user = greeted(server);
  sign_up(*user, "alice");
  // Pings keep the connection from looking idle, but they are no login.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle->call(5, rq::ping()).has_pong());
  expect_refused(*idle, ErrorCode::unauthenticated, "a connection that never logged in");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(user->call(6, rq::ping()).has_pong()) << "a logged-in connection has no deadline";
}

// A subscriber that reads nothing while 100,000 messages are sent to it: the server keeps at
// most its bounded push queue for it (the rest waits in the store) and its memory stays flat;
// once it reads, every message arrives in order.
TEST(RawLimits, NeverReadingSubscriberCostsBoundedMemory) {
  // The subscriber reads nothing for as long as the sends take: no write-stall close meanwhile.
  ServerProcess server({}, {"--message-rate", "0", "--idle-timeout-seconds", "600", "--write-stall-timeout-seconds", "600"});
  auto a = greeted(server);
  auto b = greeted(server, /*receive_buffer=*/4096);
  const auto alice = sign_up(*a, "alice");
  const auto bob = sign_up(*b, "bob");
  befriend(*b, bob, *a, alice);  // bob's seq 1: alice accepted
  ASSERT_TRUE(b->call(7, rq::subscribe(0)).has_ok());
  const auto base = server.rss_bytes();

  constexpr int kMessages = 100000;
  constexpr int kWindow = 256;
  const std::string filler(80, 'x');
  std::uint64_t peak = base;
  int answered = 0;
  auto read_answer = [&] {
    proto::Frame frame;
    ASSERT_EQ(a->read_frame(frame, 30s), RawClient::Read::frame);
    ASSERT_TRUE(frame.body.has_message_sent()) << frame.body.ShortDebugString();
    ++answered;
  };
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(a->send(1000 + static_cast<std::uint32_t>(i), rq::send_message(bob, std::to_string(i) + " " + filler)));
    if (i - answered >= kWindow) {
      ASSERT_NO_FATAL_FAILURE(read_answer());
    }
    if (i % 5000 == 0) peak = std::max(peak, server.rss_bytes());
  }
  while (answered < kMessages) ASSERT_NO_FATAL_FAILURE(read_answer());
  peak = std::max(peak, server.rss_bytes());
  std::printf("server RSS: %.1f MiB before, at most %.1f MiB while %d messages were sent to a subscriber that "
              "read nothing (growth %.1f MiB; bound 64 MiB)\n",
              static_cast<double>(base) / (1 << 20), static_cast<double>(peak) / (1 << 20), kMessages,
              static_cast<double>(peak - base) / (1 << 20));
  EXPECT_LT(peak - base, std::uint64_t{64} << 20) << "server memory grew with the unread messages";

  std::uint64_t expected = 1;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (expected <= kMessages + 1 && std::chrono::steady_clock::now() < deadline) {
    proto::Frame frame;
    ASSERT_EQ(b->read_frame(frame, 15s), RawClient::Read::frame) << "stalled after seq " << expected - 1;
    if (!frame.is_push() || !frame.body.has_inbox_items()) continue;
    for (const auto& item : frame.body.inbox_items().items()) {
      ASSERT_EQ(item.seq(), expected) << "skipped, reordered or repeated";
      if (expected > 1) {
        ASSERT_EQ(item.message().text(), std::to_string(expected - 2) + " " + filler);
      }
      ++expected;
    }
  }
  EXPECT_EQ(expected, static_cast<std::uint64_t>(kMessages + 2)) << "not every message arrived";
}

}  // namespace

// Enumerating users with find (find_user_request), on a real occhat-server process. Ids are only
// 6 digits (100000..999999), so before the limit any logged-in user could walk all 900,000 and
// collect every id's nick. Lookups are now limited per user (--find-rate/--find-burst).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "raw_client.hpp"
#include "raw_peer.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace occhat::test;
using occhat::ErrorCode;

TEST(RawEnumeration, LookupsAreLimitedPerUser) {
  // Five at once, then one every 2 s.
  ServerProcess server({}, {"--find-rate", "1800", "--find-burst", "5"});
  RawPeer a(server), b(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  // Walking ids: misses and hits take a token alike.
  std::uint32_t probe = 100000;
  for (int i = 0; i < 4; ++i, ++probe) {
    if (probe == alice || probe == bob) ++probe;
    EXPECT_EQ(code_of(a.call(rq::find_user(probe))), ErrorCode::not_found) << probe;
  }
  EXPECT_EQ(a.call(rq::find_user(bob)).user_info().nick(), "bob");
  const auto limited = a.call(rq::find_user(bob));
  ASSERT_EQ(code_of(limited), ErrorCode::rate_limited) << limited.ShortDebugString();
  const auto retry_after = std::chrono::milliseconds(limited.error().retry_after_ms());
  EXPECT_GT(retry_after.count(), 0);
  EXPECT_LE(retry_after.count(), 2000) << "one token comes back every 2 s";
  EXPECT_NE(limited.error().message().find("too many user lookups; retry in"), std::string::npos)
      << limited.error().message();
  // Per user: bob has his own budget.
  EXPECT_EQ(b.call(rq::find_user(alice)).user_info().nick(), "alice");
  std::this_thread::sleep_for(retry_after + 50ms);
  EXPECT_EQ(a.call(rq::find_user(bob)).user_info().nick(), "bob");
}

TEST(RawEnumeration, DefaultIsSixtyAtOnceThenSixHundredAnHour) {
  ServerProcess server;
  RawPeer a(server);
  const auto alice = sign_up(a, "alice");
  for (int i = 0; i < 60; ++i) {
    const auto answer = a.call(rq::find_user(alice));
    ASSERT_TRUE(answer.has_user_info()) << i << " " << answer.ShortDebugString();
  }
  const auto limited = a.call(rq::find_user(alice));
  ASSERT_EQ(code_of(limited), ErrorCode::rate_limited) << limited.ShortDebugString();
  // 600 an hour: a token every 6 s.
  EXPECT_GT(limited.error().retry_after_ms(), 4'000u);
  EXPECT_LE(limited.error().retry_after_ms(), 6'000u);
}

}  // namespace

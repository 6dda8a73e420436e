// RateLimiter: the token buckets behind --message-rate and the registration limits.

#include "rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace occhat::server {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter<std::string>::Clock;

TEST(RateLimiterTest, BurstThenRate) {
  AddressRateLimiter limiter(20.0 / 3600.0, 3);  // 20 an hour, bursts of 3
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("10.0.0.1", t0)) << i;
  const auto wait = limiter.take("10.0.0.1", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 180'000ms);  // one token every 3 minutes
  EXPECT_FALSE(limiter.take("10.0.0.2", t0));  // another key has its own bucket
  EXPECT_EQ(limiter.wait("10.0.0.1", t0 + 60s), 120'000ms);
  EXPECT_EQ(limiter.wait("10.0.0.1", t0 + 180s), 0ms);
  EXPECT_FALSE(limiter.take("10.0.0.1", t0 + 180s));
  EXPECT_TRUE(limiter.take("10.0.0.1", t0 + 180s));
}

TEST(RateLimiterTest, WaitTakesNothing) {
  GlobalRateLimiter limiter(1, 1);
  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.wait({}, t0), 0ms);
  EXPECT_FALSE(limiter.take({}, t0));
  EXPECT_EQ(limiter.wait({}, t0), 1000ms);
  EXPECT_EQ(limiter.wait({}, t0 + 400ms), 600ms);
  EXPECT_EQ(*limiter.take({}, t0 + 400ms), 600ms);
}

// What another node of a cluster took (ClusterLimits) is taken here too, into debt if need be.
TEST(RateLimiterTest, ConsumeTakesTokensSpentElsewhereIntoDebt) {
  SendRateLimiter limiter(10, 2);  // 10 a second, bursts of 2
  const auto t0 = Clock::now();
  limiter.consume(7, 5, t0);  // 2 - 5 = -3: four tokens short of the next message
  EXPECT_EQ(limiter.wait(7, t0), 400ms);
  EXPECT_EQ(*limiter.take(7, t0 + 100ms), 300ms);
  EXPECT_FALSE(limiter.take(7, t0 + 400ms));
  // The debt is capped at a minute of refill: no report makes a user wait longer.
  limiter.consume(8, 1e9, t0);
  EXPECT_EQ(limiter.wait(8, t0), 60'100ms);
}

TEST(RateLimiterTest, ZeroRateIsUnlimited) {
  SendRateLimiter limiter(0, 1);
  const auto t0 = Clock::now();
  for (std::uint32_t i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.take(7, t0));
  EXPECT_EQ(limiter.wait(7, t0), 0ms);
}

}  // namespace
}  // namespace occhat::server

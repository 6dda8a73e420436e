// LoginThrottle: the three levels behind --login-max-failures, --login-account-max-failures and
// --login-address-max-failures, on a fake clock.

#include "login_throttle.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace occhat::server {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;

void fail(LoginThrottle& throttle, std::uint32_t id, const std::string& address, Clock::time_point now) {
  LoginThrottle::Attempt attempt(throttle, id, address);
  attempt.failed(now);
}

TEST(LoginThrottleTest, APairIsDelayedOthersAreNot) {
  LoginThrottle throttle({.per_account_address = 3, .per_account = 10, .per_address = 10, .delay = 30s});
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) fail(throttle, 1, "attacker", t0);
  EXPECT_EQ(throttle.retry_after(1, "attacker", t0), 30'000ms);
  EXPECT_EQ(throttle.retry_after(1, "owner", t0), 0ms);     // the owner elsewhere
  EXPECT_EQ(throttle.retry_after(2, "attacker", t0), 0ms);  // another id from there
  EXPECT_EQ(throttle.retry_after(1, "attacker", t0 + 30s), 0ms);
  // A further round doubles the wait.
  for (int i = 0; i < 3; ++i) fail(throttle, 1, "attacker", t0 + 30s);
  EXPECT_EQ(throttle.retry_after(1, "attacker", t0 + 30s), 60'000ms);
}

TEST(LoginThrottleTest, TheAccountCeilingCountsEveryAddress) {
  LoginThrottle throttle({.per_account_address = 5, .per_account = 3, .per_address = 10, .delay = 30s});
  const auto t0 = Clock::now();
  for (const char* address : {"a", "b", "c"}) fail(throttle, 1, address, t0);
  EXPECT_EQ(throttle.retry_after(1, "owner", t0), 30'000ms);
  EXPECT_EQ(throttle.retry_after(2, "a", t0), 0ms);
}

TEST(LoginThrottleTest, TheAddressCeilingCountsEveryId) {
  LoginThrottle throttle({.per_account_address = 5, .per_account = 10, .per_address = 3, .delay = 30s});
  const auto t0 = Clock::now();
  for (std::uint32_t id : {1u, 2u, 3u}) fail(throttle, id, "attacker", t0);
  EXPECT_EQ(throttle.retry_after(4, "attacker", t0), 30'000ms);
  EXPECT_EQ(throttle.retry_after(4, "elsewhere", t0), 0ms);
}

TEST(LoginThrottleTest, SuccessClearsThePairAndTheIdNotTheAddress) {
  LoginThrottle throttle({.per_account_address = 2, .per_account = 3, .per_address = 3, .delay = 30s});
  const auto t0 = Clock::now();
  fail(throttle, 1, "home", t0);
  fail(throttle, 2, "home", t0);
  { LoginThrottle::Attempt(throttle, 1, "home").succeeded(); }
  // id 1's failure is forgotten, the address's two are not: one more failure there reaches 3.
  fail(throttle, 1, "home", t0);
  EXPECT_EQ(throttle.retry_after(1, "home", t0), 30'000ms);
}

TEST(LoginThrottleTest, AttemptsInFlightCount) {
  LoginThrottle throttle({.per_account_address = 2, .per_account = 10, .per_address = 10, .delay = 30s});
  const auto t0 = Clock::now();
  LoginThrottle::Attempt first(throttle, 1, "a");
  LoginThrottle::Attempt second(throttle, 1, "a");
  EXPECT_GT(throttle.retry_after(1, "a", t0), 0ms);
  EXPECT_EQ(throttle.retry_after(1, "b", t0), 0ms);
}

}  // namespace
}  // namespace occhat::server

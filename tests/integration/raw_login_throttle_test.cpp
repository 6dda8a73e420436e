// Failed-login throttling against a real occhat-server process, from several local client
// addresses (all of 127/8 is local on Linux). Before, five wrong passwords from anyone locked the
// account for everyone, its owner included: a denial of service open to any stranger who knew an
// id. Now the delay falls on the (id, address) pair that failed, with a much higher ceiling per id
// and a per-address ceiling against one address guessing many ids.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "raw_client.hpp"
#include "server_process.hpp"

namespace {

using namespace occhat::test;
using occhat::ErrorCode;

void expect_delayed(const wire::Envelope& answer) {
  ASSERT_EQ(code_of(answer), ErrorCode::rate_limited) << answer.ShortDebugString();
  EXPECT_GT(answer.error().retry_after_ms(), 0u);
  EXPECT_NE(answer.error().message().find("too many failed logins; retry in"), std::string::npos)
      << answer.error().message();
}

TEST(RawLoginThrottle, AnAttackerElsewhereDoesNotLockTheOwnerOut) {
  ServerProcess server;  // the default limits
  auto owner = greeted_from(server, "127.0.0.1");
  const auto alice = register_user(*owner, "alice");
  auto attacker = greeted_from(server, "127.0.0.2");
  std::uint32_t request = 10;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(code_of(attacker->call(request++, rq::login(alice, "guess " + std::to_string(i)))),
              ErrorCode::auth_failed)
        << i;
  }
  // The attacker's address must wait now, even with the right password...
  for (int i = 0; i < 5; ++i) expect_delayed(attacker->call(request++, rq::login(alice, "more guessing")));
  expect_delayed(attacker->call(request++, rq::login(alice, kPassword)));
  // ...while the owner, at another address, logs in as usual.
  const auto ok = owner->call(request++, rq::login(alice, kPassword));
  EXPECT_TRUE(ok.has_login_ok()) << ok.ShortDebugString();
}

TEST(RawLoginThrottle, ThePerAccountCeilingDelaysEveryAddress) {
  ServerProcess server({}, {"--login-account-max-failures", "3"});
  auto owner = greeted_from(server, "127.0.0.1");
  const auto alice = register_user(*owner, "alice");
  // One guess each from three addresses: no pair is near its limit, the account is at its.
  for (const char* address : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
    auto attacker = greeted_from(server, address);
    EXPECT_EQ(code_of(attacker->call(3, rq::login(alice, "a guess"))), ErrorCode::auth_failed) << address;
  }
  expect_delayed(owner->call(3, rq::login(alice, kPassword)));
}

TEST(RawLoginThrottle, OneAddressGuessingManyAccountsIsDelayed) {
  ServerProcess server({}, {"--login-address-max-failures", "3"});
  auto registrar = greeted_from(server, "127.0.0.1");
  std::vector<std::uint32_t> ids;
  for (const char* nick : {"alice", "bob", "carol", "dave"}) ids.push_back(register_user(*registrar, nick));
  auto attacker = greeted_from(server, "127.0.0.2");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(code_of(attacker->call(10 + i, rq::login(ids[i], "a guess"))), ErrorCode::auth_failed) << i;
  }
  // A fourth id, never tried from there, is delayed too; from another address it is not.
  expect_delayed(attacker->call(20, rq::login(ids[3], kPassword)));
  const auto ok = registrar->call(21, rq::login(ids[3], kPassword));
  EXPECT_TRUE(ok.has_login_ok()) << ok.ShortDebugString();
}

}  // namespace

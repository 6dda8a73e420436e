// --registration closed, on a real occhat-server process: a private server where nobody can make
// an account, while the accounts it has keep working.

#include <gtest/gtest.h>

#include <cstdint>

#include "raw_client.hpp"
#include "server_process.hpp"

namespace {

using namespace occhat::test;
using occhat::ErrorCode;

TEST(RawRegistrationClosed, RegisterIsRefusedExistingAccountsLogIn) {
  ServerProcess open_server;
  std::uint32_t alice = 0;
  {
    auto client = greeted(open_server);
    alice = register_user(*client, "alice");
  }
  open_server.stop();
  // The same database, now closed.
  ServerProcess closed(open_server.data_dir(), {"--registration", "closed"});
  auto client = greeted(closed);
  // Refused before anything is checked or hashed: even an invalid request gets the same answer.
  for (const auto& request : {rq::register_user("bob@example.org", "bob", kPassword),
                              rq::register_user("no-at-sign", "", "short")}) {
    const auto refused = client->call(2, request);
    ASSERT_EQ(code_of(refused), ErrorCode::not_allowed) << refused.ShortDebugString();
    EXPECT_EQ(refused.error().message(), "registration is closed on this server");
  }
  const auto login = client->call(3, rq::login(alice, kPassword));
  EXPECT_TRUE(login.has_login_ok()) << login.ShortDebugString();
}

TEST(RawRegistrationClosed, OpenIsTheDefault) {
  ServerProcess server;
  auto client = greeted(server);
  EXPECT_NE(register_user(*client, "alice"), 0u);
}

}  // namespace

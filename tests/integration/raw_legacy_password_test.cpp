// Accounts imported from PyChat (scripts/import-pychat.py) carry a legacy password hash:
// "legacy-md5+" and an argon2id hash over the MD5 hex of the password, since PyChat stored
// unsalted MD5 only. Against a real occhat-server process whose store holds such an account: the
// old password logs in, and that first login replaces the hash by a normal argon2id one; wrong
// passwords (the leaked MD5 itself among them) fail and count towards the login throttle.

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "occhat/store/store.hpp"
#include "raw_client.hpp"
#include "server_process.hpp"

namespace {

using namespace occhat::test;
using occhat::ErrorCode;

const std::string kOldPassword = "老密码-pass1";
// md5("老密码-pass1") in lower-case hex, computed independently (Python's hashlib), as PyChat stored it.
const std::string kOldPasswordMd5 = "ad84b358c241d4c716bfa2dd0377e445";
const std::string kMarker = "legacy-md5+";

std::string store_location(const ServerProcess& server) {
  return (std::filesystem::path(server.data_dir()) / "occhat.db").string();
}

// What the importer writes: the marker, then argon2id over the MD5 hex.
std::string legacy_hash(const std::string& md5_hex) {
  char out[crypto_pwhash_STRBYTES];
  EXPECT_EQ(crypto_pwhash_str(out, md5_hex.data(), md5_hex.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE),
            0);
  return kMarker + out;
}

std::optional<std::string> stored_hash(const ServerProcess& server, std::uint32_t id) {
  return occhat::store::open_store(store_location(server))->password_hash(id);
}

// An account registered normally, then given a legacy hash for `kOldPassword` while the server is
// stopped (as `occhat-server import` of the PyChat importer's output would store it).
std::uint32_t make_legacy_account(ServerProcess& server) {
  std::uint32_t id = 0;
  {
    auto client = greeted(server);
    id = register_user(*client, "legacy");
  }
  server.stop();
  EXPECT_TRUE(occhat::store::open_store(store_location(server))->set_password_hash(id, legacy_hash(kOldPasswordMd5)));
  server.start();
  return id;
}

TEST(RawLegacyPassword, OldPasswordLogsInOnceAndTheHashIsUpgraded) {
  ASSERT_GE(sodium_init(), 0);
  ServerProcess server;
  const auto id = make_legacy_account(server);
  auto client = greeted(server);
  // The leaked MD5 is not the password, nor is anything else.
  for (const auto& wrong : {kOldPasswordMd5, std::string("wrong password"), kPassword}) {
    EXPECT_EQ(code_of(client->call(3, rq::login(id, wrong))), ErrorCode::auth_failed) << wrong;
  }
  const auto login = client->call(4, rq::login(id, kOldPassword));
  ASSERT_TRUE(login.has_login_ok()) << login.ShortDebugString();
  EXPECT_EQ(login.login_ok().user().id(), id);

  server.stop();
  const auto hash = stored_hash(server, id);
  ASSERT_TRUE(hash);
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find(kMarker), std::string::npos) << *hash;
  EXPECT_EQ(hash->find(kOldPasswordMd5), std::string::npos) << *hash;
  EXPECT_EQ(crypto_pwhash_str_verify(hash->c_str(), kOldPassword.data(), kOldPassword.size()), 0);

  // After a restart, on the upgraded hash: the same password logs in, a wrong one still fails.
  server.start();
  auto again = greeted(server);
  EXPECT_EQ(code_of(again->call(3, rq::login(id, kOldPasswordMd5))), ErrorCode::auth_failed);
  const auto relogin = again->call(4, rq::login(id, kOldPassword));
  EXPECT_TRUE(relogin.has_login_ok()) << relogin.ShortDebugString();
}

TEST(RawLegacyPassword, FailuresAgainstALegacyHashAreThrottledAndChangeNothing) {
  ASSERT_GE(sodium_init(), 0);
  ServerProcess server;
  const auto id = make_legacy_account(server);
  auto guesser = greeted_from(server, "127.0.0.2");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(code_of(guesser->call(10 + i, rq::login(id, "guess " + std::to_string(i)))), ErrorCode::auth_failed) << i;
  }
  // The default limit is 5 failures per (id, address): the right password must wait too.
  const auto delayed = guesser->call(20, rq::login(id, kOldPassword));
  ASSERT_EQ(code_of(delayed), ErrorCode::rate_limited) << delayed.ShortDebugString();
  EXPECT_GT(delayed.error().retry_after_ms(), 0u);

  server.stop();
  const auto untouched = stored_hash(server, id);
  ASSERT_TRUE(untouched);
  EXPECT_EQ(untouched->rfind(kMarker, 0), 0u) << "no successful login, so still the legacy hash";
  server.start();

  // The owner, from another address, logs in with the old password.
  auto owner = greeted_from(server, "127.0.0.1");
  const auto login = owner->call(3, rq::login(id, kOldPassword));
  EXPECT_TRUE(login.has_login_ok()) << login.ShortDebugString();
}

}  // namespace

// occhat::Client for accounts people manage themselves, against a real occhat-server: login
// revoking earlier tokens, password change revoking (and disconnecting) the other sessions,
// nick, sessions, logout everywhere / one session, discoverable + find by nick, deleting an
// account (and its id never coming back).

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "expect_error.hpp"
#include "occhat/client.hpp"
#include "server_process.hpp"

namespace occhat {
namespace {

using namespace std::chrono_literals;
using test::ServerProcess;
using test::error_of;

constexpr const char* kPassword = "correct horse battery";
constexpr const char* kNewPassword = "a much better passphrase";

class SdkAccountsTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<ServerProcess>(); }

  std::unique_ptr<Client> client() {
    auto c = std::make_unique<Client>();
    c->connect(server_->address());
    return c;
  }

  UserId register_user(const std::string& nick) { return client()->register_user(nick + "@example.org", nick, kPassword); }

  // Waits for the event of type `type` (the revoked connection's "disconnected").
  static bool saw_event(Client& c, const std::string& type) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto e = c.next_event(200ms); e && e->type == type) return true;
    }
    return false;
  }

  std::unique_ptr<ServerProcess> server_;
};

TEST_F(SdkAccountsTest, LoginRevokesTheTokensItIsGiven) {
  const UserId alice = register_user("alice");
  const std::string old_token = client()->login(alice, kPassword).token;
  auto holder = client();
  holder->resume(old_token, /*announce_presence=*/true);
  const Session fresh = client()->login(alice, kPassword, false, {old_token, "not a token"});
  EXPECT_EQ(fresh.revoked_sessions, 1u);
  EXPECT_TRUE(saw_event(*holder, "disconnected"));  // the live connection of the old token is closed
  EXPECT_EQ(error_of([&] { client()->resume(old_token); }).code(), ErrorCode::unauthenticated);
  EXPECT_NO_THROW(client()->resume(fresh.token));
  // Too many at once is a bad request.
  EXPECT_EQ(error_of([&] { client()->login(alice, kPassword, false, std::vector<std::string>(17, old_token)); }).code(),
            ErrorCode::invalid_argument);
}

TEST_F(SdkAccountsTest, ChangePasswordRevokesOtherSessionsAndKeepsThisOne) {
  const UserId alice = register_user("alice");
  auto other = client();
  const std::string other_token = other->login(alice, kPassword, true).token;
  auto me = client();
  me->login(alice, kPassword);
  EXPECT_EQ(error_of([&] { me->change_password("wrong password", kNewPassword); }).code(), ErrorCode::auth_failed);
  EXPECT_EQ(error_of([&] { me->change_password(kPassword, "short"); }).code(), ErrorCode::invalid_argument);
  me->change_password(kPassword, kNewPassword);
  EXPECT_TRUE(saw_event(*other, "disconnected"));
  EXPECT_EQ(error_of([&] { client()->resume(other_token); }).code(), ErrorCode::unauthenticated);
  EXPECT_EQ(me->find_user(alice).id, alice);  // still logged in
  EXPECT_EQ(error_of([&] { client()->login(alice, kPassword); }).code(), ErrorCode::auth_failed);
  EXPECT_NO_THROW(client()->login(alice, kNewPassword));
}

TEST_F(SdkAccountsTest, SessionsListAndEndOne) {
  const UserId alice = register_user("alice");
  const UserId bob = register_user("bob");
  auto first = client();
  first->login(alice, kPassword);
  auto me = client();
  me->login(alice, kPassword);
  auto sessions = me->sessions();
  ASSERT_EQ(sessions.size(), 2u);
  // Both were created within the same second: their order is not fixed.
  if (sessions[0].current) std::swap(sessions[0], sessions[1]);
  EXPECT_FALSE(sessions[0].current);
  EXPECT_TRUE(sessions[1].current);
  EXPECT_EQ(sessions[0].client_name, "occhat-sdk/0.1.0");
  EXPECT_EQ(sessions[0].last_address, "127.0.0.1");
  EXPECT_EQ(sessions[0].id.size(), 12u);
  // Another user's session id is not found for alice.
  auto bobs = client();
  bobs->login(bob, kPassword);
  const std::string bob_session = bobs->sessions().at(0).id;
  EXPECT_EQ(error_of([&] { me->end_session(bob_session); }).code(), ErrorCode::not_found);
  me->end_session(sessions[0].id);
  EXPECT_TRUE(saw_event(*first, "disconnected"));
  EXPECT_EQ(me->sessions().size(), 1u);
  EXPECT_EQ(bobs->sessions().size(), 1u);
}

TEST_F(SdkAccountsTest, LogoutAllEndsEverySession) {
  const UserId alice = register_user("alice");
  auto other = client();
  const std::string token = other->login(alice, kPassword, true).token;
  auto me = client();
  me->login(alice, kPassword);
  me->logout_all();
  EXPECT_FALSE(me->current_user());
  EXPECT_TRUE(saw_event(*other, "disconnected"));
  EXPECT_EQ(error_of([&] { client()->resume(token); }).code(), ErrorCode::unauthenticated);
}

TEST_F(SdkAccountsTest, NickAndFindByNickOnlyForOptedInUsers) {
  const UserId alice = register_user("alice");
  const UserId bob = register_user("bob");
  auto a = client();
  a->login(alice, kPassword);
  auto b = client();
  b->login(bob, kPassword);
  a->add_friend(bob);
  b->add_friend(alice);
  EXPECT_EQ(a->set_nick("Alice L.").nick, "Alice L.");
  EXPECT_EQ(b->friends().at(0).nick, "Alice L.");
  EXPECT_EQ(error_of([&] { a->set_nick(""); }).code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(b->find_users("ali", true).empty());
  EXPECT_TRUE(a->set_discoverable(true).discoverable);
  const auto found = b->find_users("ALI", true);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, alice);
  EXPECT_TRUE(found[0].email.empty());
  EXPECT_TRUE(b->find_users("ali", false).empty());
  EXPECT_EQ(b->find_users("alice l.", false).size(), 1u);
}

TEST_F(SdkAccountsTest, DeleteAccountRemovesItAndKeepsTheIdTaken) {
  const UserId alice = register_user("alice");
  const UserId bob = register_user("bob");
  auto a = client();
  a->login(alice, kPassword);
  auto b = client();
  b->login(bob, kPassword);
  a->add_friend(bob);
  b->add_friend(alice);
  a->send_message(bob, "remember me");
  const Room room = a->create_room("club");
  a->invite_to_room(room.id, {bob});
  b->join_room(room.id);
  auto other = client();
  other->login(alice, kPassword, true);
  EXPECT_EQ(error_of([&] { a->delete_account("wrong password"); }).code(), ErrorCode::auth_failed);
  a->delete_account(kPassword);
  EXPECT_TRUE(saw_event(*other, "disconnected"));
  EXPECT_TRUE(b->friends().empty());
  EXPECT_EQ(error_of([&] { b->find_user(alice); }).code(), ErrorCode::not_found);
  EXPECT_EQ(error_of([&] { b->add_friend(alice); }).code(), ErrorCode::not_found);
  EXPECT_EQ(b->history(alice).messages.size(), 1u);  // what bob received stays
  const auto rooms = b->rooms();
  ASSERT_EQ(rooms.rooms.size(), 1u);
  EXPECT_EQ(rooms.rooms[0].role, RoomRole::owner);  // handed on
  EXPECT_EQ(error_of([&] { client()->login(alice, kPassword); }).code(), ErrorCode::auth_failed);
}

}  // namespace
}  // namespace occhat

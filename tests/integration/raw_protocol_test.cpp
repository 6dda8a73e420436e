// The server as a black box: a real occhat-server process spoken to with hand-built frames over
// plain POSIX sockets (no SDK), like Mosquitto's broker tests.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>

#include "occhat/proto/error_code.hpp"
#include "occhat/proto/frame.hpp"
#include "raw_client.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using occhat::test::ServerProcess;
using namespace occhat::test;
namespace proto = occhat::proto;
namespace wire = occhat::wire;

std::string frame_header(std::uint32_t size, std::uint16_t type, std::uint16_t flags, std::uint32_t request_id) {
  std::string h;
  for (int shift : {24, 16, 8, 0}) h.push_back(static_cast<char>(size >> shift));
  h.push_back(static_cast<char>(type >> 8));
  h.push_back(static_cast<char>(type));
  h.push_back(static_cast<char>(flags >> 8));
  h.push_back(static_cast<char>(flags));
  for (int shift : {24, 16, 8, 0}) h.push_back(static_cast<char>(request_id >> shift));
  return h;
}

// Expects one PROTOCOL_ERROR frame and then the close.
void expect_protocol_error_and_close(RawClient& client, std::optional<std::uint32_t> request_id = std::nullopt) {
  proto::Frame frame;
  ASSERT_EQ(client.read_frame(frame), RawClient::Read::frame);
  EXPECT_EQ(code_of(frame.body), occhat::ErrorCode::protocol_error) << frame.body.DebugString();
  if (request_id) {
    EXPECT_EQ(frame.request_id, *request_id);
  }
  EXPECT_TRUE(client.closed_by_server());
}

void expect_still_serving(RawClient& client) {
  const auto answer = client.call(77, rq::ping());
  EXPECT_TRUE(answer.has_pong()) << answer.DebugString();
}

std::string read_all_files(const std::filesystem::path& dir) {
  std::string bytes;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

TEST(RawProtocol, HelloHandshake) {
  ServerProcess server;
  RawClient client(server.port());
  const auto answer = client.call(5, rq::hello(kClientName));
  ASSERT_TRUE(answer.has_hello_ok()) << answer.DebugString();
  EXPECT_EQ(answer.hello_ok().protocol_version(), proto::kProtocolVersion);
  EXPECT_EQ(answer.hello_ok().server_name(), "occhat-server/0.1.0");
  EXPECT_EQ(answer.hello_ok().max_payload(), proto::kMaxControlPayload);
  EXPECT_EQ(answer.hello_ok().max_bulk_payload(), proto::kMaxBulkPayload);
  expect_still_serving(client);
}

TEST(RawProtocol, WrongVersionIsRefused) {
  ServerProcess server;
  RawClient client(server.port());
  const auto answer = client.call(3, rq::hello(kClientName, 99));
  EXPECT_EQ(code_of(answer), occhat::ErrorCode::unsupported_version);
  EXPECT_TRUE(client.closed_by_server());
}

TEST(RawProtocol, RequestBeforeHelloIsRefused) {
  ServerProcess server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send(4, rq::ping()));
  expect_protocol_error_and_close(client, 4);
}

TEST(RawProtocol, RequestBeforeLoginIsUnauthenticated) {
  ServerProcess server;
  auto client = greeted(server);
  EXPECT_EQ(code_of(client->call(2, rq::find_user(123456))), occhat::ErrorCode::unauthenticated);
  EXPECT_EQ(code_of(client->call(3, rq::logout())), occhat::ErrorCode::unauthenticated);
  expect_still_serving(*client);  // the connection stays open
}

TEST(RawProtocol, RegisterLoginFindLogout) {
  ServerProcess server;
  auto client = greeted(server);
  const auto alice = register_user(*client, "alice");
  const auto bob = register_user(*client, "bob");
  EXPECT_GE(alice, 100000u);
  EXPECT_LE(alice, 999999u);
  EXPECT_NE(alice, bob);

  const auto login = client->call(10, rq::login(alice, kPassword));
  ASSERT_TRUE(login.has_login_ok()) << login.DebugString();
  EXPECT_EQ(login.login_ok().user().id(), alice);
  EXPECT_EQ(login.login_ok().user().nick(), "alice");
  EXPECT_EQ(login.login_ok().user().email(), "alice@example.org");
  const std::string token = login.login_ok().token();
  EXPECT_EQ(token.size(), 64u);

  const auto own = client->call(11, rq::find_user(alice));
  ASSERT_TRUE(own.has_user_info());
  EXPECT_EQ(own.user_info().email(), "alice@example.org");
  const auto other = client->call(12, rq::find_user(bob));
  ASSERT_TRUE(other.has_user_info());
  EXPECT_EQ(other.user_info().nick(), "bob");
  EXPECT_EQ(other.user_info().email(), "") << "email is private to its owner";
  EXPECT_EQ(code_of(client->call(13, rq::find_user(alice == 999999 ? 999998 : 999999))), occhat::ErrorCode::not_found);

  // A second connection resumes with the token instead of the password.
  auto second = greeted(server);
  const auto resumed = second->call(20, rq::resume(token));
  ASSERT_TRUE(resumed.has_login_ok()) << resumed.DebugString();
  EXPECT_EQ(resumed.login_ok().user().id(), alice);
  EXPECT_EQ(resumed.login_ok().token(), token);

  EXPECT_TRUE(client->call(14, rq::logout()).has_ok());
  EXPECT_EQ(code_of(client->call(15, rq::find_user(bob))), occhat::ErrorCode::unauthenticated);
  auto third = greeted(server);
  EXPECT_EQ(code_of(third->call(21, rq::resume(token))), occhat::ErrorCode::unauthenticated) << "token revoked";
  EXPECT_EQ(code_of(third->call(22, rq::resume("not-a-token"))), occhat::ErrorCode::unauthenticated);
}

TEST(RawProtocol, UnknownIdAndWrongPasswordLookTheSame) {
  ServerProcess server;
  auto client = greeted(server);
  const auto alice = register_user(*client, "alice");
  const auto wrong = client->call(3, rq::login(alice, "not the password"));
  const auto unknown = client->call(4, rq::login(alice == 999999 ? 999998 : 999999, kPassword));
  EXPECT_EQ(code_of(wrong), occhat::ErrorCode::auth_failed);
  EXPECT_EQ(code_of(unknown), occhat::ErrorCode::auth_failed);
  EXPECT_EQ(wrong.error().message(), "wrong id or password");
  EXPECT_EQ(unknown.error().message(), wrong.error().message());
}

TEST(RawProtocol, InvalidFieldsAreNamed) {
  ServerProcess server;
  auto client = greeted(server);
  const auto bad_email = client->call(2, rq::register_user("no-at-sign", "alice", kPassword));
  EXPECT_EQ(code_of(bad_email), occhat::ErrorCode::invalid_argument);
  EXPECT_NE(bad_email.error().message().find("email"), std::string::npos);
  const auto bad_nick = client->call(3, rq::register_user("a@x", std::string(33, 'n'), kPassword));
  EXPECT_EQ(code_of(bad_nick), occhat::ErrorCode::invalid_argument);
  EXPECT_NE(bad_nick.error().message().find("nick"), std::string::npos);
  const auto bad_password = client->call(4, rq::register_user("a@x", "alice", "short"));
  EXPECT_EQ(code_of(bad_password), occhat::ErrorCode::invalid_argument);
  EXPECT_NE(bad_password.error().message().find("password"), std::string::npos);
  const auto control = client->call(5, rq::register_user("a@x", "al\x01ice", kPassword));
  EXPECT_EQ(code_of(control), occhat::ErrorCode::invalid_argument);
  // Bad UTF-8 is a bad argument naming the field, not a protocol error: the connection stays.
  const auto bad_utf8 = client->call(6, rq::register_user("a@x", "bad\xff utf8", kPassword));
  EXPECT_EQ(code_of(bad_utf8), occhat::ErrorCode::invalid_argument) << bad_utf8.DebugString();
  EXPECT_NE(bad_utf8.error().message().find("nick"), std::string::npos);
  const auto bad_utf8_email = client->call(7, rq::register_user("a\xff@x", "alice", kPassword));
  EXPECT_EQ(code_of(bad_utf8_email), occhat::ErrorCode::invalid_argument) << bad_utf8_email.DebugString();
  expect_still_serving(*client);
}

TEST(RawProtocol, RepeatedFailuresAreThrottled) {
  ServerProcess server({}, {"--login-max-failures", "2", "--login-lockout-seconds", "30"});
  auto client = greeted(server);
  const auto alice = register_user(*client, "alice");
  EXPECT_EQ(code_of(client->call(3, rq::login(alice, "wrong password 1"))), occhat::ErrorCode::auth_failed);
  EXPECT_EQ(code_of(client->call(4, rq::login(alice, "wrong password 2"))), occhat::ErrorCode::auth_failed);
  // This address must wait now: even the right password is refused from it, with a hint when to
  // retry (other addresses are not affected: raw_login_throttle_test.cpp).
  const auto locked = client->call(5, rq::login(alice, kPassword));
  ASSERT_EQ(code_of(locked), occhat::ErrorCode::rate_limited) << locked.DebugString();
  EXPECT_GT(locked.error().retry_after_ms(), 25000u);
  EXPECT_LE(locked.error().retry_after_ms(), 30000u);
  EXPECT_NE(locked.error().message().find("too many failed logins; retry in"), std::string::npos);
}

TEST(RawProtocol, HugeAnnouncedLengthEndsOnlyThatConnection) {
  ServerProcess server;
  auto bystander = greeted(server);
  auto attacker = greeted(server);
  ASSERT_TRUE(attacker->send_bytes(frame_header(0xFFFFFFFFu, 4, 0, 9)));
  expect_protocol_error_and_close(*attacker, 9);
  expect_still_serving(*bystander);
  EXPECT_TRUE(server.running());
}

TEST(RawProtocol, RandomBytesEndOnlyThatConnection) {
  ServerProcess server;
  auto bystander = greeted(server);
  RawClient attacker(server.port());
  std::mt19937 rng(20240601);
  std::string garbage(64 * 1024, '\0');
  for (auto& c : garbage) c = static_cast<char>(rng());
  attacker.send_bytes(garbage);  // the server may close before all of it is sent
  expect_protocol_error_and_close(attacker);
  expect_still_serving(*bystander);
  // Garbage after a proper hello, too.
  auto greeted_attacker = greeted(server);
  greeted_attacker->send_bytes(garbage);
  expect_protocol_error_and_close(*greeted_attacker);
  expect_still_serving(*bystander);
}

TEST(RawProtocol, HalfFrameThenCloseEndsOnlyThatConnection) {
  ServerProcess server;
  auto bystander = greeted(server);
  {
    RawClient half_header(server.port());
    ASSERT_TRUE(half_header.send_bytes(proto::encode_frame(1, rq::hello(kClientName)).substr(0, 6)));
  }
  {
    auto half_payload = greeted(server);
    const std::string frame = proto::encode_frame(2, rq::register_user("a@x", "alice", kPassword));
    ASSERT_TRUE(half_payload->send_bytes(frame.substr(0, frame.size() / 2)));
  }
  expect_still_serving(*bystander);
  auto newcomer = greeted(server);
  expect_still_serving(*newcomer);
  EXPECT_TRUE(server.running());
}

TEST(RawProtocol, UnknownTypeIsAProtocolError) {
  ServerProcess server;
  auto client = greeted(server);
  ASSERT_TRUE(client->send_bytes(frame_header(0, 999, 0, 42)));
  expect_protocol_error_and_close(*client, 42);
}

TEST(RawProtocol, BadFlagsAndMismatchedPayloadAreProtocolErrors) {
  ServerProcess server;
  {
    auto client = greeted(server);
    ASSERT_TRUE(client->send_bytes(frame_header(0, 4, 1, 7)));
    expect_protocol_error_and_close(*client, 7);
  }
  {
    auto client = greeted(server);
    // Header says ping (4), payload is a find_user_request.
    std::string frame = proto::encode_frame(8, rq::find_user(123456));
    frame[5] = 4;
    ASSERT_TRUE(client->send_bytes(frame));
    expect_protocol_error_and_close(*client, 8);
  }
}

TEST(RawProtocol, ExitsZeroOnSigterm) {
  ServerProcess server;
  auto client = greeted(server);  // an open connection must not hold up the shutdown
  const int status = server.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(client->closed_by_server());
}

TEST(RawProtocol, LoginStillWorksAfterRestart) {
  ServerProcess server;
  std::uint32_t alice = 0;
  std::string token;
  {
    auto client = greeted(server);
    alice = register_user(*client, "alice");
    const auto login = client->call(3, rq::login(alice, kPassword));
    ASSERT_TRUE(login.has_login_ok());
    token = login.login_ok().token();
  }
  const int status = server.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  server.start();
  auto client = greeted(server);
  const auto login = client->call(4, rq::login(alice, kPassword));
  ASSERT_TRUE(login.has_login_ok()) << login.DebugString();
  EXPECT_EQ(login.login_ok().user().nick(), "alice");
  auto other = greeted(server);
  const auto resumed = other->call(5, rq::resume(token));
  EXPECT_TRUE(resumed.has_login_ok()) << "a token outlives a restart: " << resumed.DebugString();
}

TEST(RawProtocol, NoSecretInDataDirOrLog) {
  ServerProcess server;
  std::string token;
  {
    auto client = greeted(server);
    const auto alice = register_user(*client, "alice");
    const auto login = client->call(3, rq::login(alice, kPassword));
    ASSERT_TRUE(login.has_login_ok());
    token = login.login_ok().token();
    client->call(4, rq::login(alice, "a wrong password"));  // failures get logged too
  }
  const auto check = [&](const std::string& when) {
    const std::string files = read_all_files(server.data_dir());
    const std::string log = server.log();
    EXPECT_EQ(files.find(kPassword), std::string::npos) << when;
    EXPECT_EQ(files.find(token), std::string::npos) << when;
    EXPECT_EQ(log.find(kPassword), std::string::npos) << when;
    EXPECT_EQ(log.find("a wrong password"), std::string::npos) << when;
    EXPECT_EQ(log.find(token), std::string::npos) << when;
    EXPECT_NE(log.find("logged in"), std::string::npos) << "the log should record the event: " << log;
  };
  check("while running (commits still in the -wal file)");
  server.stop(SIGTERM);
  check("after shutdown");
}

}  // namespace

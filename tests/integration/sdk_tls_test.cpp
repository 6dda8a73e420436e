// occhat::Client with Options::tls against a real occhat-server started with --tls-cert/--tls-key
// (certificates from scripts/make-certs.sh): the basics work over TLS, and a wrong CA, a wrong
// name, a plaintext client and a TLS client of a plaintext server all fail with clear errors.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "expect_error.hpp"
#include "frame_socket.hpp"
#include "occhat/client.hpp"
#include "server_process.hpp"

namespace occhat {
namespace {

using namespace std::chrono_literals;
using test::ServerProcess;
using test::error_of;

constexpr const char* kPassword = "correct horse battery";

// The repository root, from this file's (absolute) path: tests/integration/sdk_tls_test.cpp.
std::filesystem::path repo_root() { return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path(); }

// A fresh temp directory with ca.pem, server.pem and server.key for `names`, removed at the end.
class Certs {
 public:
  explicit Certs(const std::string& names = "") {
    char tmpl[] = "/tmp/occhat-certs-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    const std::string command = "bash '" + (repo_root() / "scripts" / "make-certs.sh").string() + "' '" +
                                dir_.string() + "' " + names + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("make-certs.sh failed: " + command);
  }
  ~Certs() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string ca() const { return (dir_ / "ca.pem").string(); }
  std::vector<std::string> server_args() const {
    return {"--tls-cert", (dir_ / "server.pem").string(), "--tls-key", (dir_ / "server.key").string()};
  }

 private:
  std::filesystem::path dir_;
};

Client::Options tls_options(const std::string& ca_file) {
  Client::Options options;
  options.tls = true;
  options.tls_ca_file = ca_file;
  options.connect_timeout = 5s;
  return options;
}

std::string with_host(const std::string& host, std::uint16_t port) { return host + ":" + std::to_string(port); }

TEST(SdkTls, RegisterLoginMessageAndPushOverTls) {
  Certs certs;
  ServerProcess server({}, certs.server_args());
  Client alice(tls_options(certs.ca()));
  alice.connect(server.address());
  const UserId alice_id = alice.register_user("alice@example.org", "alice", kPassword);
  alice.login(alice_id, kPassword);

  // By name (localhost) as well as by IP: both are in the certificate.
  Client bob(tls_options(certs.ca()));
  bob.connect(with_host("localhost", server.port()));
  const UserId bob_id = bob.register_user("bob@example.org", "bob", kPassword);
  bob.login(bob_id, kPassword, /*announce_presence=*/true);

  alice.add_friend(bob_id);
  bob.add_friend(alice_id);
  bob.subscribe(0);
  // Together large enough to span several TLS records.
  const std::string text(8000, 'x');
  alice.send_message(bob_id, "hello over TLS");
  for (int i = 0; i < 5; ++i) alice.send_message(bob_id, text);
  std::vector<std::string> texts;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (texts.size() < 6 && std::chrono::steady_clock::now() < deadline) {
    if (auto event = bob.next_event(200ms); event && event->type == "message") texts.push_back(event->message->text);
  }
  ASSERT_EQ(texts.size(), 6u);
  EXPECT_EQ(texts[0], "hello over TLS");
  EXPECT_EQ(texts[5], text);
  EXPECT_EQ(alice.history(bob_id, 10).messages.size(), 6u);
}

TEST(SdkTls, WrongCaFailsWithCertificateVerification) {
  Certs certs;
  Certs other;
  ServerProcess server({}, certs.server_args());
  Client client(tls_options(other.ca()));
  const Error e = error_of([&] { client.connect(server.address()); });
  EXPECT_EQ(e.code(), ErrorCode::unavailable);
  EXPECT_NE(std::string(e.what()).find("TLS handshake with " + server.address() +
                                       " failed: certificate verification failed"),
            std::string::npos)
      << e.what();
  EXPECT_FALSE(client.connected());
  // The server is unaffected.
  Client good(tls_options(certs.ca()));
  good.connect(server.address());
  EXPECT_TRUE(good.connected());
}

TEST(SdkTls, NameMismatchFails) {
  Certs certs("chat.example.org");
  ServerProcess server({}, certs.server_args());
  {
    Client client(tls_options(certs.ca()));
    const Error e = error_of([&] { client.connect(server.address()); });
    EXPECT_EQ(e.code(), ErrorCode::unavailable);
    EXPECT_NE(std::string(e.what()).find("IP address mismatch"), std::string::npos) << e.what();
  }
  {
    Client client(tls_options(certs.ca()));
    const Error e = error_of([&] { client.connect(with_host("localhost", server.port())); });
    EXPECT_NE(std::string(e.what()).find("hostname mismatch"), std::string::npos) << e.what();
  }
  {
    // Overriding the verified name makes it acceptable.
    auto options = tls_options(certs.ca());
    options.tls_server_name = "chat.example.org";
    Client client(options);
    client.connect(server.address());
    EXPECT_TRUE(client.connected());
  }
}

TEST(SdkTls, PlaintextClientOfTlsServerIsRefused) {
  Certs certs;
  ServerProcess server({}, certs.server_args());
  Client plain;
  const Error e = error_of([&] { plain.connect(server.address()); });
  EXPECT_EQ(e.code(), ErrorCode::unavailable);
  EXPECT_NE(std::string(e.what()).find("requires TLS"), std::string::npos) << e.what();
  Client good(tls_options(certs.ca()));
  good.connect(server.address());
  EXPECT_GT(good.register_user("carol@example.org", "carol", kPassword), 0u);
}

// TLS handshakes in progress hold login slots of their address: one address that opens
// connections and never says hello cannot take every handshake slot (hardening round two).
TEST(SdkTls, OneAddressCannotHoldEveryHandshakeSlot) {
  Certs certs;
  auto args = certs.server_args();
  args.insert(args.end(), {"--max-unauthenticated-per-address", "3", "--tls-handshake-timeout-seconds", "60"});
  ServerProcess server({}, args);
  std::vector<std::unique_ptr<harness::FrameSocket>> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(std::make_unique<harness::FrameSocket>(server.port()));
  // Give the server time to accept all three before the fourth arrives.
  std::this_thread::sleep_for(300ms);
  harness::FrameSocket fourth(server.port());
  EXPECT_TRUE(fourth.wait_closed(std::chrono::steady_clock::now() + 5s)) << server.log();
  harness::FrameSocket elsewhere(server.port(), 0, "127.0.0.2");
  EXPECT_FALSE(elsewhere.wait_closed(std::chrono::steady_clock::now() + 1s)) << server.log();

  // The address's slots come free as its silent connections go.
  silent.clear();
  Client client(tls_options(certs.ca()));
  for (int attempt = 0;; ++attempt) {
    try {
      client.connect(server.address());
      break;
    } catch (const Error& e) {
      ASSERT_LT(attempt, 50) << e.what() << server.log();
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_GT(client.register_user("dave@example.org", "dave", kPassword), 0u);
}

TEST(SdkTls, TlsClientOfPlaintextServerFails) {
  Certs certs;
  ServerProcess server;
  Client client(tls_options(certs.ca()));
  const Error e = error_of([&] { client.connect(server.address()); });
  EXPECT_EQ(e.code(), ErrorCode::unavailable);
  EXPECT_NE(std::string(e.what()).find("TLS handshake with " + server.address() + " failed"), std::string::npos)
      << e.what();
}

TEST(SdkTls, UnreadableCaFileIsInvalidArgument) {
  Client client(tls_options("/nonexistent/ca.pem"));
  const Error e = error_of([&] { client.connect("127.0.0.1:1"); });
  EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
  EXPECT_NE(std::string(e.what()).find("cannot use CA file /nonexistent/ca.pem"), std::string::npos) << e.what();
}

TEST(SdkTls, ServerStopsCleanlyWithTlsClientsConnected) {
  Certs certs;
  ServerProcess server({}, certs.server_args());
  Client client(tls_options(certs.ca()));
  client.connect(server.address());
  const int status = server.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace occhat

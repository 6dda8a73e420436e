// occhat::Client against a real occhat-server process (and, for the failure modes a healthy
// server never shows, against a tiny scripted fake server speaking raw frames).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "expect_error.hpp"
#include "occhat/client.hpp"
#include "occhat/proto/frame.hpp"
#include "server_process.hpp"

namespace occhat {
namespace {

using namespace std::chrono_literals;
using test::ServerProcess;
using test::error_of;

constexpr const char* kPassword = "correct horse battery";

using harness::unused_port;

// A scripted server on 127.0.0.1 for one connection: `reply` maps each received frame to the
// bytes to send back (empty: send nothing).
class FakeServer {
 public:
  using Reply = std::function<std::string(const proto::Frame&)>;

  explicit FakeServer(Reply reply) : reply_(std::move(reply)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 4) != 0) {
      throw std::runtime_error("fake server: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { run(); });
  }

  ~FakeServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  const std::string& address() const { return address_; }

  static std::string frame(std::uint32_t request_id, const wire::Envelope& body) {
    return proto::encode_frame(request_id, body);
  }

 private:
  bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (!stop_) {
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void run() {
    if (!wait_readable(listen_fd_)) return;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    proto::FrameDecoder decoder;
    proto::Frame frame;
    char buffer[4096];
    while (wait_readable(fd)) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      decoder.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
      while (decoder.next(frame) == proto::FrameDecoder::Status::frame) {
        const std::string out = reply_(frame);
        if (!out.empty() && ::write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) break;
      }
    }
    ::close(fd);
  }

  Reply reply_;
  int listen_fd_ = -1;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Answers hello properly and hands every other frame to `other`.
FakeServer::Reply hello_then(std::function<std::string(const proto::Frame&)> other) {
  return [other = std::move(other)](const proto::Frame& f) -> std::string {
    if (f.body.has_hello()) {
      wire::Envelope body;
      body.mutable_hello_ok()->set_protocol_version(proto::kProtocolVersion);
      return FakeServer::frame(f.request_id, body);
    }
    return other(f);
  };
}

class SdkClientTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<ServerProcess>(); }

  std::unique_ptr<Client> connected_client(Client::Options options = {}) {
    auto client = std::make_unique<Client>(options);
    client->connect(server_->address());
    return client;
  }

  // Registers a fresh account; returns its id.
  UserId register_user(Client& client, const std::string& nick) {
    return client.register_user(nick + "@example.org", nick, kPassword);
  }

  std::unique_ptr<ServerProcess> server_;
};

// ---- connecting ---------------------------------------------------------------------------------

TEST(SdkConnectTest, RefusedPortIsUnavailable) {
  Client client;
  const std::string address = "127.0.0.1:" + std::to_string(unused_port());
  const auto e = error_of([&] { client.connect(address); });
  EXPECT_EQ(e.code(), ErrorCode::unavailable);
  EXPECT_NE(std::string(e.what()).find("cannot reach server " + address), std::string::npos) << e.what();
  EXPECT_FALSE(client.connected());
}

TEST(SdkConnectTest, BadAddressIsInvalidArgument) {
  Client client;
  for (const std::string address : {"", "localhost", "localhost:", ":7878", "host:port", "host:0", "host:65536",
                                    "::1:7878", "a b:7878"}) {
    EXPECT_EQ(error_of([&] { client.connect(address); }).code(), ErrorCode::invalid_argument) << address;
  }
}

TEST(SdkConnectTest, CallsBeforeConnectAreUnavailable) {
  Client client;
  EXPECT_EQ(error_of([&] { client.find_user(123456); }).code(), ErrorCode::unavailable);
  EXPECT_FALSE(client.current_user().has_value());
}

TEST(SdkConnectTest, SilentServerTimesOutTheHandshake) {
  FakeServer fake([](const proto::Frame&) { return std::string(); });
  Client::Options options;
  options.connect_timeout = 300ms;
  Client client(options);
  EXPECT_EQ(error_of([&] { client.connect(fake.address()); }).code(), ErrorCode::timeout);
  EXPECT_FALSE(client.connected());
}

TEST(SdkConnectTest, UnsupportedVersionIsReported) {
  FakeServer fake([](const proto::Frame& f) {
    wire::Envelope body;
    body.mutable_error()->set_code(wire::UNSUPPORTED_VERSION);
    body.mutable_error()->set_message("unsupported protocol version");
    return FakeServer::frame(f.request_id, body);
  });
  Client client;
  EXPECT_EQ(error_of([&] { client.connect(fake.address()); }).code(), ErrorCode::unsupported_version);
  EXPECT_FALSE(client.connected());
}

TEST(SdkConnectTest, AnswerOfTheWrongTypeIsAProtocolError) {
  FakeServer fake(hello_then([](const proto::Frame& f) {
    wire::Envelope body;
    body.mutable_pong();
    return FakeServer::frame(f.request_id, body);
  }));
  Client client;
  client.connect(fake.address());
  EXPECT_EQ(error_of([&] { client.find_user(123456); }).code(), ErrorCode::protocol_error);
}

TEST(SdkConnectTest, UnansweredCallTimesOutAndTheConnectionStaysUsable) {
  std::atomic<int> calls{0};
  FakeServer fake(hello_then([&calls](const proto::Frame& f) {
    if (calls++ == 0) return std::string();  // ignore the first request
    wire::Envelope body;
    body.mutable_user_info()->set_id(f.body.find_user_request().user_id());
    body.mutable_user_info()->set_nick("late");
    return FakeServer::frame(f.request_id, body);
  }));
  Client::Options options;
  options.request_timeout = 300ms;
  Client client(options);
  client.connect(fake.address());
  EXPECT_EQ(error_of([&] { client.find_user(111111); }).code(), ErrorCode::timeout);
  EXPECT_EQ(client.find_user(222222).nick, "late");
  EXPECT_TRUE(client.connected());
}

TEST(SdkConnectTest, DestroyingTheClientWakesABlockedCall) {
  std::atomic<bool> request_seen{false};
  FakeServer fake(hello_then([&request_seen](const proto::Frame&) {
    request_seen = true;
    return std::string();  // never answers
  }));
  auto client = std::make_unique<Client>();
  client->connect(fake.address());
  Client* raw = client.get();
  std::atomic<bool> woke_unavailable{false};
  std::atomic<bool> event_wait_ended{false};
  std::thread caller([&] {
    try {
      raw->find_user(123456);
    } catch (const Error& e) {
      woke_unavailable = e.code() == ErrorCode::unavailable;
    }
  });
  std::thread poller([&] {
    raw->next_event(60s);
    event_wait_ended = true;
  });
  while (!request_seen) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);  // let the poller reach its wait too
  const auto start = std::chrono::steady_clock::now();
  client.reset();
  caller.join();
  poller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(woke_unavailable);
  EXPECT_TRUE(event_wait_ended);
}

TEST_F(SdkClientTest, ConnectsAndDisconnects) {
  Client client;
  EXPECT_FALSE(client.connected());
  client.connect(server_->address());
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(error_of([&] { client.connect(server_->address()); }).code(), ErrorCode::conflict);
  client.disconnect();
  EXPECT_FALSE(client.connected());
  client.disconnect();  // idempotent
  EXPECT_EQ(error_of([&] { client.find_user(123456); }).code(), ErrorCode::unavailable);
  client.connect(server_->address());  // and again
  EXPECT_TRUE(client.connected());
}

// ---- accounts -----------------------------------------------------------------------------------

TEST_F(SdkClientTest, RegisterReturnsASixDigitId) {
  auto client = connected_client();
  const UserId id = register_user(*client, "alice");
  EXPECT_GE(id, 100000u);
  EXPECT_LE(id, 999999u);
  EXPECT_NE(register_user(*client, "bob"), id);
  EXPECT_FALSE(client->current_user().has_value()) << "register must not log in";
}

TEST_F(SdkClientTest, LoginReturnsUserAndToken) {
  auto client = connected_client();
  const UserId id = register_user(*client, "alice");
  const Session session = client->login(id, kPassword);
  EXPECT_EQ(session.user.id, id);
  EXPECT_EQ(session.user.nick, "alice");
  EXPECT_EQ(session.user.email, "alice@example.org");
  EXPECT_TRUE(std::regex_match(session.token, std::regex("[0-9a-f]{64}"))) << session.token;
  ASSERT_TRUE(client->current_user().has_value());
  EXPECT_EQ(client->current_user()->id, id);
}

TEST_F(SdkClientTest, WrongPasswordAndUnknownIdFailTheSameWay) {
  auto client = connected_client();
  const UserId id = register_user(*client, "alice");
  const auto wrong = error_of([&] { client->login(id, "not the password"); });
  const UserId unknown = id == 999999 ? 999998 : 999999;
  const auto missing = error_of([&] { client->login(unknown, kPassword); });
  EXPECT_EQ(wrong.code(), ErrorCode::auth_failed);
  EXPECT_EQ(missing.code(), ErrorCode::auth_failed);
  EXPECT_STREQ(wrong.what(), missing.what());
  EXPECT_FALSE(client->current_user().has_value());
}

TEST_F(SdkClientTest, FindUserNeedsLogin) {
  auto client = connected_client();
  const UserId id = register_user(*client, "alice");
  EXPECT_EQ(error_of([&] { client->find_user(id); }).code(), ErrorCode::unauthenticated);
}

TEST_F(SdkClientTest, FindUserShowsEmailOnlyForOneself) {
  auto client = connected_client();
  const UserId alice = register_user(*client, "alice");
  const UserId bob = register_user(*client, "bob");
  client->login(alice, kPassword);

  const UserInfo self = client->find_user(alice);
  EXPECT_EQ(self.id, alice);
  EXPECT_EQ(self.nick, "alice");
  EXPECT_EQ(self.email, "alice@example.org");

  const UserInfo other = client->find_user(bob);
  EXPECT_EQ(other.id, bob);
  EXPECT_EQ(other.nick, "bob");
  EXPECT_EQ(other.email, "");

  UserId unknown = 999999;
  while (unknown == alice || unknown == bob) --unknown;
  EXPECT_EQ(error_of([&] { client->find_user(unknown); }).code(), ErrorCode::not_found);
}

TEST_F(SdkClientTest, ResumeWorksFromAnotherClient) {
  auto first = connected_client();
  const UserId id = register_user(*first, "alice");
  const Session session = first->login(id, kPassword);

  auto second = connected_client();
  const Session resumed = second->resume(session.token);
  EXPECT_EQ(resumed.user.id, id);
  EXPECT_EQ(resumed.user.nick, "alice");
  EXPECT_EQ(resumed.token, session.token);
  EXPECT_EQ(second->find_user(id).email, "alice@example.org");
}

TEST_F(SdkClientTest, LogoutRevokesTheToken) {
  auto client = connected_client();
  const UserId id = register_user(*client, "alice");
  const Session session = client->login(id, kPassword);
  client->logout();
  EXPECT_FALSE(client->current_user().has_value());
  EXPECT_EQ(error_of([&] { client->find_user(id); }).code(), ErrorCode::unauthenticated);
  EXPECT_EQ(error_of([&] { client->logout(); }).code(), ErrorCode::unauthenticated);

  auto other = connected_client();
  EXPECT_EQ(error_of([&] { other->resume(session.token); }).code(), ErrorCode::unauthenticated);
  EXPECT_EQ(error_of([&] { other->resume("not-a-token"); }).code(), ErrorCode::unauthenticated);
}

TEST_F(SdkClientTest, InvalidRegistrationsAreRejected) {
  auto client = connected_client();
  struct Case {
    std::string email, nick, password;
  };
  const std::vector<Case> cases = {
      {"no-at-sign", "alice", kPassword},
      {"two@@example.org", "alice", kPassword},
      {"@example.org", "alice", kPassword},
      {"white space@example.org", "alice", kPassword},
      {"alice@example.org", "", kPassword},
      {"alice@example.org", std::string(33, 'n'), kPassword},
      {"alice@example.org", "bad\x01nick", kPassword},
      {"alice@example.org", "bad\xff utf8", kPassword},
      {"alice@example.org", "alice", "short"},
      {"alice@example.org", "alice", std::string(1025, 'p')},
  };
  for (const auto& c : cases) {
    const auto e = error_of([&] { client->register_user(c.email, c.nick, c.password); });
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << c.email << " / " << c.nick << " / " << c.password.size();
  }
  // Limits are inclusive: 32 code points (here 2-byte ones) and 8-byte passwords are fine.
  std::string nick32;
  for (int i = 0; i < 32; ++i) nick32 += "\xc3\xa9";
  EXPECT_NO_THROW(client->register_user("e@x", nick32, "12345678"));
}

TEST_F(SdkClientTest, RepeatedWrongPasswordsAreThrottled) {
  server_.reset();
  server_ = std::make_unique<ServerProcess>(std::string(), std::vector<std::string>{"--login-lockout-seconds", "30"});
  auto client = connected_client();
  const UserId id = register_user(*client, "alice");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(error_of([&] { client->login(id, "wrong password"); }).code(), ErrorCode::auth_failed) << i;
  }
  // This client's address must wait now, even with the right password.
  const auto e = error_of([&] { client->login(id, kPassword); });
  EXPECT_EQ(e.code(), ErrorCode::rate_limited) << e.what();
  EXPECT_GT(e.retry_after().count(), 0);
  EXPECT_LE(e.retry_after().count(), 30000);
  EXPECT_NE(std::string(e.what()).find("too many failed logins"), std::string::npos) << e.what();
}

// ---- connection loss ----------------------------------------------------------------------------

TEST_F(SdkClientTest, KilledServerFailsCallsAndPushesDisconnected) {
  auto client = connected_client();
  const UserId id = register_user(*client, "alice");
  client->login(id, kPassword);
  server_->stop(SIGKILL);

  const auto e = error_of([&] { client->find_user(id); });
  EXPECT_EQ(e.code(), ErrorCode::unavailable) << e.what();
  const auto event = client->next_event(5s);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, "disconnected");
  EXPECT_FALSE(client->connected());
  EXPECT_FALSE(client->current_user().has_value());
  EXPECT_EQ(error_of([&] { client->find_user(id); }).code(), ErrorCode::unavailable);
}

TEST_F(SdkClientTest, EventHandlerSeesTheDisconnect) {
  auto client = connected_client();
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> seen;
  client->set_event_handler([&](const Event& event) {
    std::lock_guard lock(mutex);
    seen.push_back(event.type);
    cv.notify_all();
  });
  server_->stop(SIGKILL);
  std::unique_lock lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen.front(), "disconnected");
  lock.unlock();
  client->set_event_handler(nullptr);
}

TEST_F(SdkClientTest, ReconnectsAfterServerRestartOnTheSameData) {
  auto client = connected_client();
  const UserId id = register_user(*client, "alice");
  server_->stop(SIGTERM);
  server_->start();

  const auto event = client->next_event(5s);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, "disconnected");
  client->connect(server_->address());  // a lost connection needs no disconnect() first
  const Session session = client->login(id, kPassword);
  EXPECT_EQ(session.user.nick, "alice");
}

// ---- concurrency --------------------------------------------------------------------------------

TEST_F(SdkClientTest, ConcurrentCallsFromSeveralThreads) {
  auto first = connected_client();
  auto second = connected_client();
  const UserId alice = register_user(*first, "alice");
  const UserId bob = register_user(*first, "bob");
  first->login(alice, kPassword);
  second->login(bob, kPassword);

  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Client& client = t % 2 == 0 ? *first : *second;
      for (int i = 0; i < 20; ++i) {
        const UserId target = (t + i) % 2 == 0 ? alice : bob;
        try {
          if (client.find_user(target).id == target) ++ok;
        } catch (const Error& e) {
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace occhat

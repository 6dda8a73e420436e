// Hostile clients against a real occhat-server process, with hand-built frames: what any
// registered user (or anyone who can connect) could do to take the server down, and the bound
// that now holds. Each test reproduces the attack and asserts the bound.

#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "occhat/proto/sha256.hpp"
#include "raw_client.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace occhat::test;
using occhat::ErrorCode;

// Descriptors the server process has open (its sockets among them).
std::size_t open_fds(pid_t pid) {
  std::size_t count = 0;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return 0;
  while (::readdir(dir) != nullptr) ++count;
  ::closedir(dir);
  return count;
}

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// The final push a refused connection gets, then the server closes it.
void expect_refused(RawClient& client, ErrorCode code, const std::string& text) {
  proto::Frame frame;
  ASSERT_EQ(client.read_frame(frame), RawClient::Read::frame) << "no final push";
  ASSERT_TRUE(frame.body.has_error()) << frame.body.ShortDebugString();
  EXPECT_EQ(code_of(frame.body), code) << frame.body.error().message();
  EXPECT_NE(frame.body.error().message().find(text), std::string::npos) << frame.body.error().message();
  EXPECT_TRUE(client.closed_by_server());
}

struct LoggedIn {
  std::uint32_t id = 0;
  std::string token;
};

LoggedIn sign_up(RawClient& client, const std::string& nick) {
  LoggedIn user;
  user.id = register_user(client, nick);
  const auto answer = client.call(3, rq::login(user.id, kPassword));
  EXPECT_TRUE(answer.has_login_ok()) << answer.ShortDebugString();
  user.token = answer.login_ok().token();
  return user;
}

// alice and bob, friends, each logged in on their own connection.
struct Pair {
  std::unique_ptr<RawClient> a, b;
  LoggedIn alice, bob;
};

Pair friends(const ServerProcess& server) {
  Pair pair{greeted(server), greeted(server), {}, {}};
  pair.alice = sign_up(*pair.a, "alice");
  pair.bob = sign_up(*pair.b, "bob");
  EXPECT_TRUE(pair.a->call(4, rq::add_friend(pair.bob.id)).has_add_friend_result());
  EXPECT_TRUE(pair.b->call(4, rq::add_friend(pair.alice.id)).has_add_friend_result());
  return pair;
}

// alice begins an upload of `data` to bob; returns the answer (upload_state on success).
wire::Envelope begin_upload(Pair& pair, const std::string& data) {
  proto::Sha256 sha;
  sha.update(data);
  const auto digest = sha.finish();
  return pair.a->call(5, rq::begin_upload(pair.bob.id, "f.bin", data.size(), std::string(digest.begin(), digest.end())));
}

// Before login only hello/register/login/resume make sense: a frame header announcing a big
// payload is refused at once, so a connection cannot make the server hold 1 MiB before it has
// even logged in. 300 connections that sent half of a 1 MiB frame each used to hold 150 MiB.
TEST(RawAbuse, BigFramesBeforeLoginAreRefusedBeforeTheyAreBuffered) {
  ServerProcess server({}, {"--max-unauthenticated-per-address", "2000"});
  const auto base = server.rss_bytes();
  wire::Envelope chunk = rq::upload_chunk(1, 0, std::string(1024 * 1024, 'x'));
  const std::string frame = proto::encode_frame(5, chunk);
  const std::string partial = frame.substr(0, 512 * 1024);  // the header and the first half
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 300; ++i) {
    clients.push_back(greeted(server));
    clients.back()->send_bytes(partial);  // may fail part-way: the server closes the connection
  }
  std::this_thread::sleep_for(500ms);
  const auto after = server.rss_bytes();
  std::printf("server RSS %.1f MiB before, %.1f MiB with 300 connections that sent half of a 1 MiB frame\n",
              mib(base), mib(after));
  EXPECT_LT(after, base + (40u << 20)) << "the server kept the partial frames";
  for (auto& client : clients) {
    proto::Frame answer;
    ASSERT_EQ(client->read_frame(answer), RawClient::Read::frame);
    EXPECT_EQ(code_of(answer.body), ErrorCode::protocol_error) << answer.body.ShortDebugString();
    EXPECT_TRUE(client->closed_by_server());
  }
}

TEST(RawAbuse, AfterLoginFileChunksAreAcceptedAgain) {
  ServerProcess server;
  auto pair = friends(server);
  const std::string data(512 * 1024, 'z');
  const auto begun = begin_upload(pair, data);
  ASSERT_TRUE(begun.has_upload_state()) << begun.ShortDebugString();
  const auto written = pair.a->call(6, rq::upload_chunk(begun.upload_state().upload_id(), 0, data));
  ASSERT_TRUE(written.has_upload_state()) << written.ShortDebugString();
  EXPECT_EQ(written.upload_state().offset(), data.size());
}

// One address cannot take every login slot: its idle connections beyond its share are refused,
// while a client from another address still gets in.
TEST(RawAbuse, OneAddressCannotTakeEveryLoginSlot) {
  ServerProcess server({}, {"--max-unauthenticated", "100", "--max-unauthenticated-per-address", "5"});
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 5; ++i) idle.push_back(std::make_unique<RawClient>(server.port()));
  RawClient sixth(server.port());
  expect_refused(sixth, ErrorCode::resource_exhausted, "from your address");

  RawClient elsewhere(server.port(), 0, "127.0.0.2");
  const auto hello = elsewhere.call(1, rq::hello(kClientName));
  ASSERT_TRUE(hello.has_hello_ok()) << hello.ShortDebugString() << server.log();
  const auto user = sign_up(elsewhere, "carol");
  EXPECT_GT(user.id, 0u);

  // A slot of the address comes free once one of its connections logs in.
  ASSERT_TRUE(idle[0]->call(1, rq::hello(kClientName)).has_hello_ok());
  ASSERT_TRUE(idle[0]->call(2, rq::resume(user.token)).has_login_ok());
  RawClient next(server.port());
  EXPECT_TRUE(next.call(1, rq::hello(kClientName)).has_hello_ok());
}

// Under pressure (over half of the login slots taken) a new connection gets a short login
// deadline, so held slots turn over quickly.
TEST(RawAbuse, LoginDeadlineIsShortUnderPressure) {
  ServerProcess server({}, {"--max-unauthenticated", "8", "--max-unauthenticated-per-address", "100",
                            "--login-timeout-seconds", "120"});
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 5; ++i) held.push_back(std::make_unique<RawClient>(server.port()));
  RawClient late(server.port());
  const auto start = std::chrono::steady_clock::now();
  proto::Frame frame;
  ASSERT_EQ(late.read_frame(frame, 20s), RawClient::Read::frame);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(code_of(frame.body), ErrorCode::unauthenticated) << frame.body.ShortDebugString();
  EXPECT_NE(frame.body.error().message().find("within 10 s"), std::string::npos) << frame.body.error().message();
  EXPECT_LT(waited, 15s);
}

// A logged-in client pipelines 40 read_file requests of 1 MiB each with a tiny receive buffer
// and never reads. Before: ~9 MiB held per connection for good. Now: the server handles no more
// of a connection's requests while its queue is over its bound (or, while all queues together
// are over --max-queued-bytes, until it drained), and closes a connection it could not write to
// for --write-stall-timeout-seconds.
TEST(RawAbuse, ClientsThatNeverReadAreBoundedAndClosed) {
  constexpr int kConnections = 100;
  ServerProcess server({}, {"--max-queued-bytes", std::to_string(16 << 20), "--write-stall-timeout-seconds", "4",
                            "--idle-timeout-seconds", "600", "--max-unauthenticated-per-address", "1000"});
  auto pair = friends(server);
  auto& a = pair.a;
  const auto& bob = pair.bob;
  const std::string data(1024 * 1024, 'f');
  const auto begun = begin_upload(pair, data);
  ASSERT_TRUE(begun.has_upload_state()) << begun.ShortDebugString();
  const auto file_id = begun.upload_state().upload_id();
  ASSERT_TRUE(a->call(6, rq::upload_chunk(file_id, 0, data)).has_upload_state());
  ASSERT_TRUE(a->call(7, rq::finish_upload(file_id)).has_file_info());

  const auto base_rss = server.rss_bytes();
  const auto base_fds = open_fds(server.pid());
  std::vector<std::unique_ptr<RawClient>> readers;
  for (int i = 0; i < kConnections; ++i) {
    readers.push_back(greeted(server, /*receive_buffer=*/4096));
    ASSERT_TRUE(readers.back()->call(2, rq::resume(bob.token)).has_login_ok());
    std::string burst;
    for (std::uint32_t r = 0; r < 40; ++r) burst += proto::encode_frame(100 + r, rq::read_file(file_id, 0, 1024 * 1024));
    ASSERT_TRUE(readers.back()->send_bytes(burst));
  }
  std::uint64_t peak = 0;
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(200ms);
    peak = std::max(peak, server.rss_bytes());
  }
  std::printf("server RSS %.1f MiB before, at most %.1f MiB with %d connections that never read 40 x 1 MiB "
              "(growth %.1f MiB; bound 16 MiB queued + 1 MiB per connection)\n",
              mib(base_rss), mib(peak), kConnections, mib(peak - base_rss));
  EXPECT_LT(peak - base_rss, std::uint64_t{200} << 20) << "memory held for clients that do not read";

  // Every stalled connection is closed within the stall timeout (plus the watchdog's slack).
  const auto deadline = std::chrono::steady_clock::now() + 12s;
  while (open_fds(server.pid()) > base_fds && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_LE(open_fds(server.pid()), base_fds) << "stalled connections still open";
  const std::string log = server.log();
  EXPECT_NE(log.find("could not be written to for 4 s"), std::string::npos);
  // The server still serves.
  EXPECT_TRUE(a->call(8, rq::send_message(bob.id, "still here")).has_message_sent());
}

}  // namespace

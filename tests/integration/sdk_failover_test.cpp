// occhat::Client::connect() with a list of servers (the nodes of a cluster), against real
// occhat-server processes: tried in turn, every failure named, round robin after a lost
// connection (a reset, or a node that hangs and stops answering keepalive pings), and a
// subscription resumed on another node over the same data without a gap or a repeat.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "occhat/client.hpp"
#include "server_process.hpp"

namespace occhat {
namespace {

using namespace std::chrono_literals;
using test::ServerProcess;
using test::error_of;

constexpr const char* kPassword = "correct horse battery";

using harness::unused_port;

std::string closed_address() { return "127.0.0.1:" + std::to_string(unused_port()); }

// A server on a fixed port (so a restart keeps its address) over `data_dir` (empty: a fresh one).
std::unique_ptr<harness::ServerProcess> server_on(std::uint16_t port, const std::string& data_dir = {}) {
  harness::ServerConfig config;
  config.binary = OCCHAT_SERVER_BIN;
  config.listen = "127.0.0.1:" + std::to_string(port);
  config.data_dir = data_dir;
  return std::make_unique<harness::ServerProcess>(std::move(config));
}

// Sequenced events until one with text `text` came (or 10 s of silence); skips presence.
std::vector<Event> messages_until(Client& client, const std::string& text) {
  std::vector<Event> events;
  while (auto event = client.next_event(10s)) {
    if (event->type != "message") continue;
    events.push_back(*event);
    if (event->message->text == text) break;
  }
  return events;
}

TEST(SdkFailover, ListConnectsThroughTheSecondWhenTheFirstIsClosed) {
  ServerProcess server;
  const std::string list = closed_address() + "," + server.address();
  Client client;
  client.connect(list);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.server(), server.address());
  const UserId id = client.register_user("a@example.org", "alice", kPassword);
  EXPECT_EQ(client.login(id, kPassword).user.id, id);
}

TEST(SdkFailover, EveryAddressFailingNamesEachWithItsReason) {
  const std::string first = closed_address();
  const std::string second = closed_address();
  Client client;
  const Error e = error_of([&] { client.connect(first + "," + second); });
  EXPECT_EQ(e.code(), ErrorCode::unavailable);
  EXPECT_EQ(std::string(e.what()), "cannot reach server " + first + "," + second + ": " + first +
                                       ": Connection refused; " + second + ": Connection refused");
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.server(), "");
}

TEST(SdkFailover, ABadEntryIsInvalidArgumentNamingIt) {
  Client client;
  for (const std::string bad : {"nonsense", "", "127.0.0.1:0", "127.0.0.1:99999"}) {
    const std::string list = "127.0.0.1:7878," + bad;
    const Error e = error_of([&] { client.connect(list); });
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << list;
    EXPECT_EQ(std::string(e.what()), "invalid server address '" + bad + "' in '" + list +
                                         "' (expected HOST:PORT or a comma-separated list of them)");
  }
}

TEST(SdkFailover, AfterALostConnectionTheNextConnectStartsWithTheNextNode) {
  const std::uint16_t port_a = unused_port();
  const std::uint16_t port_b = unused_port();
  auto a = server_on(port_a);
  auto b = server_on(port_b);
  const std::string list = a->address() + "," + b->address();
  Client client;
  client.connect(list);
  EXPECT_EQ(client.server(), a->address());

  // A restarts on its port: the connection is lost although A is back at once.
  a->stop();
  a->start();
  ASSERT_EQ(a->address(), "127.0.0.1:" + std::to_string(port_a));
  const auto lost = client.next_event(10s);
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->type, "disconnected");
  client.connect(list);
  EXPECT_EQ(client.server(), b->address()) << "round robin: the node after the one lost";

  // Lost on B: back to A (wrapping around).
  b->stop();
  b->start();
  ASSERT_EQ(client.next_event(10s).value().type, "disconnected");
  client.connect(list);
  EXPECT_EQ(client.server(), a->address());

  // A disconnect() the application asked for keeps the node.
  client.disconnect();
  client.connect(list);
  EXPECT_EQ(client.server(), a->address());
}

// SIGSTOPs a server for the scope: it hangs with its socket open (the kernel still accepts our
// writes), as a frozen node or one behind a network partition does. SIGCONT however the test ends.
class Frozen {
 public:
  explicit Frozen(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
  ~Frozen() { ::kill(pid_, SIGCONT); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;

 private:
  pid_t pid_;
};

TEST(SdkFailover, AHungNodeIsLostWithinTheKeepaliveTimeoutAndTheNextConnectGoesToTheNextNode) {
  ServerProcess a;
  ServerProcess b;
  const std::string list = a.address() + "," + b.address();
  Client::Options options;
  options.keepalive_interval = 200ms;
  options.keepalive_timeout = 500ms;
  options.request_timeout = 30s;  // far beyond the bound: a call must end with the connection
  Client client(options);
  client.connect(list);
  ASSERT_EQ(client.server(), a.address());
  const UserId id = client.register_user("a@example.org", "alice", kPassword);
  client.login(id, kPassword);

  // A live node answers every ping in time: idle for many timeouts, the connection stays.
  EXPECT_FALSE(client.next_event(2s).has_value());
  EXPECT_TRUE(client.connected());

  Frozen frozen(a.pid());
  const auto start = std::chrono::steady_clock::now();
  // A call waiting on the hung node ends with the connection (not after its 30 s request_timeout).
  const Error e = error_of([&] { client.friends(); });
  const auto call_ended = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.code(), ErrorCode::unavailable) << e.what();
  EXPECT_EQ(std::string(e.what()), "connection to " + a.address() + " lost: no answer within 500 ms of a keepalive ping");
  // The call's own frame delays the first ping by an interval: 200 + 500 ms, plus scheduling.
  EXPECT_LT(call_ended, 3s);
  const auto lost = client.next_event(5s);
  ASSERT_TRUE(lost.has_value()) << "the client never noticed that the node hung";
  EXPECT_EQ(lost->type, "disconnected");
  EXPECT_FALSE(client.connected());

  client.connect(list);
  EXPECT_EQ(client.server(), b.address()) << "round robin: the node after the one that hung";
}

TEST(SdkFailover, ASubscriptionResumesOnTheNextNodeWithoutAGapOrARepeat) {
  const std::uint16_t port_a = unused_port();
  const std::uint16_t port_b = unused_port();
  auto a = server_on(port_a);
  const std::string data_dir = a->data_dir();
  const std::string list = a->address() + ",127.0.0.1:" + std::to_string(port_b);

  UserId alice = 0;
  UserId bob = 0;
  {
    Client setup;
    setup.connect(a->address());
    alice = setup.register_user("alice@example.org", "alice", kPassword);
    bob = setup.register_user("bob@example.org", "bob", kPassword);
    setup.login(alice, kPassword);
    setup.add_friend(bob);
    setup.disconnect();
    setup.connect(a->address());
    setup.login(bob, kPassword);
    setup.add_friend(alice);
    const auto page = setup.fetch_inbox();
    setup.ack(page.events.back().seq);
  }

  Client watcher;
  watcher.connect(list);
  const Session session = watcher.login(bob, kPassword, /*announce_presence=*/true);
  watcher.subscribe(0);
  Client sender;
  sender.connect(list);
  sender.login(alice, kPassword);
  sender.send_message(bob, "before");
  const auto first = messages_until(watcher, "before");
  ASSERT_EQ(first.size(), 1u);
  const Seq cursor = first.back().seq;

  // A dies; B starts on another port over the same data. Messages sent meanwhile land on B.
  a->stop(SIGKILL);
  auto b = server_on(port_b, data_dir);
  sender.disconnect();
  sender.connect(list);
  EXPECT_EQ(sender.server(), b->address());
  sender.login(alice, kPassword);
  sender.send_message(bob, "meanwhile 1");
  sender.send_message(bob, "meanwhile 2");

  std::optional<Event> lost;
  while ((lost = watcher.next_event(10s)) && lost->type != "disconnected") {
  }
  ASSERT_TRUE(lost.has_value()) << "the watcher never noticed that A died";
  watcher.connect(list);
  EXPECT_EQ(watcher.server(), b->address());
  watcher.resume(session.token, /*announce_presence=*/true);
  watcher.subscribe(cursor);
  sender.send_message(bob, "after");

  const auto rest = messages_until(watcher, "after");
  std::vector<std::string> texts;
  for (const auto& event : rest) texts.push_back(event.message->text);
  EXPECT_EQ(texts, (std::vector<std::string>{"meanwhile 1", "meanwhile 2", "after"}));
}

}  // namespace
}  // namespace occhat

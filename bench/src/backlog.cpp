// backlog: N messages queued for an offline user; time from its login to the last one received
// and acknowledged.

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/address.hpp>

#include <cstdio>
#include <memory>
#include <thread>

#include "bench_error.hpp"
#include "handshake.hpp"
#include "inbox_receiver.hpp"
#include "io_pool.hpp"
#include "json_out.hpp"
#include "relay_client.hpp"
#include "seed.hpp"
#include "subcommands.hpp"
#include "work_dir.hpp"

namespace occhat::bench {

using namespace std::chrono_literals;

namespace {

// The offline user coming back: everything below runs on the io thread except the atomics.
struct Recipient {
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::atomic<std::uint64_t> received_seen{0};
  std::atomic<std::int64_t> logged_in_ns{0};
  std::atomic<std::int64_t> done_ns{0};
  std::unique_ptr<InboxReceiver> receiver;
  std::shared_ptr<RawConnection> conn;
};

}  // namespace

void run_backlog(const CommonOptions& common, BacklogOptions options) {
  if (common.quick) options.messages = std::min<std::uint64_t>(options.messages, 20000);
  if (options.messages == 0) throw BenchError("--messages must be at least 1");
  WorkDir work(common.work_dir, common.keep);
  const std::string dir = work.fresh_subdir("backlog");
  const auto users = seed_users(dir + "/data", 2, {{0, 1}}, common.store);
  harness::ServerProcess server(server_config(common, dir));
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server.port());

  RelayShared shared;
  IoPool pool(1);
  Recipient recipient;
  recipient.expected = options.messages;
  std::unique_ptr<RelayClient> sender;
  StopPoolOnExit stop_pool(pool);
  auto failure = [&]() -> std::optional<std::string> {
    if (auto f = shared.first_failure()) return f;
    if (!server.running()) return "occhat-server exited during the run; see " + dir + "/server.log";
    return std::nullopt;
  };

  // Fill: the sender alone, with a window of requests in flight.
  RelayClientConfig config;
  config.self = users[0].id;
  config.peer = users[1].id;
  config.token = users[0].token;
  config.window = options.window;
  config.max_messages = options.messages;
  config.subscribe = false;
  sender = std::make_unique<RelayClient>(pool.context(0), endpoint, config, shared);
  sender->start();
  wait_until([&] { return shared.ready.load() == 1; }, 30s, "logging in the sender", failure);
  std::fprintf(stderr, "backlog: queueing %llu messages\n", static_cast<unsigned long long>(options.messages));
  const auto fill_start = steady_now_ns();
  shared.phase = RelayShared::sending;
  sender->begin_sending();
  const auto fill_timeout = std::chrono::seconds(60 + options.messages / 500);
  wait_until([&] { return shared.sent.load() == options.messages; }, fill_timeout, "queueing the backlog", failure);
  const double fill_seconds = static_cast<double>(steady_now_ns() - fill_start) / 1e9;
  const double fill_rate = static_cast<double>(options.messages) / fill_seconds;
  std::fprintf(stderr, "backlog: queued in %.2f s (%.0f msg/s); recipient logs in\n", fill_seconds, fill_rate);

  // Drain: connect -> Hello -> Resume -> Subscribe(0) -> all N received -> last ack answered.
  auto& io = pool.context(0);
  recipient.receiver = std::make_unique<InboxReceiver>(
      io,
      [&](const std::string&, std::int64_t) {
        ++recipient.received;
        recipient.received_seen.store(recipient.received, std::memory_order_relaxed);
        if (recipient.received == recipient.expected) recipient.receiver->ack_now();
      },
      [&](const std::string& why) { shared.fail("recipient: " + why); });
  recipient.receiver->set_ack_handler([&](std::uint64_t seq) {
    if (recipient.received == recipient.expected && seq == recipient.receiver->last_seq()) {
      recipient.done_ns = steady_now_ns();
    }
  });
  const auto drain_start = steady_now_ns();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          HandshakeOptions handshake;
          handshake.subscribe = true;
          handshake.before_subscribe = [&](const std::shared_ptr<RawConnection>& conn) {
            recipient.receiver->attach(conn);
          };
          recipient.conn = co_await open_session(io, endpoint, users[1].token, handshake);
          recipient.logged_in_ns = steady_now_ns();
          recipient.conn->set_lost_handler([&](const std::string& why) {
            if (recipient.done_ns.load() == 0) shared.fail("recipient: " + why);
          });
        } catch (const std::exception& e) {
          shared.fail(std::string("recipient could not log in: ") + e.what());
        }
      },
      asio::detached);
  try {
    wait_until([&] { return recipient.done_ns.load() != 0; }, std::chrono::seconds(30 + options.messages / 2000),
               "receiving the backlog", failure);
  } catch (const BenchError& e) {
    throw BenchError(std::string(e.what()) + " (received " + std::to_string(recipient.received_seen.load()) + " of " +
                     std::to_string(options.messages) + ")");
  }
  const double seconds = static_cast<double>(recipient.done_ns.load() - drain_start) / 1e9;
  shared.phase = RelayShared::done;
  sender->finish();
  asio::post(io, [&] { recipient.receiver->stop(); });
  std::this_thread::sleep_for(20ms);
  pool.stop();
  server.stop();
  const std::string ended = server.ended();
  std::fprintf(stderr, "backlog: %llu messages delivered and acknowledged in %.3f s (login took %.1f ms; server %s)\n",
               static_cast<unsigned long long>(options.messages), seconds,
               static_cast<double>(recipient.logged_in_ns.load() - drain_start) / 1e6, ended.c_str());
  emit_result("backlog", "offline", {{"messages", options.messages}},
              {{"seconds", round_to(seconds, 4)},
               {"msgs_per_s", round_to(static_cast<double>(options.messages) / seconds, 1)},
               {"fill_msgs_per_s", round_to(fill_rate, 1)}});
}

}  // namespace occhat::bench

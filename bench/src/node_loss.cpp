// node-loss: how long the users of a SIGKILLed cluster node stay "online" for their friends on
// another node. Two nodes on one store (--store, --server-arg=--bus=...): N users log in on node
// 1, a watcher (friends with all of them) subscribes on node 2 and sees them online; node 1 is
// SIGKILLed and the watcher's clock runs until the offline presence event of each has arrived.

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/address.hpp>
#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_error.hpp"
#include "handshake.hpp"
#include "io_pool.hpp"
#include "json_out.hpp"
#include "relay_client.hpp"
#include "seed.hpp"
#include "subcommands.hpp"
#include "work_dir.hpp"

namespace occhat::bench {
namespace {

using namespace std::chrono_literals;

// What the watcher has seen: the presence of each friend and when it last went offline.
struct PresenceView {
  std::mutex mutex;
  std::map<std::uint32_t, bool> online;
  std::map<std::uint32_t, std::int64_t> offline_at_ns;
  std::optional<std::string> failure;

  void on_push(const wire::Envelope& push) {
    if (!push.has_presence_event()) return;
    const auto& event = push.presence_event();
    std::lock_guard lock(mutex);
    online[event.user_id()] = event.online();
    if (!event.online()) offline_at_ns[event.user_id()] = steady_now_ns();
  }
  std::size_t count(const std::vector<SeededUser>& users, bool state) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& user : users) {
      const auto it = online.find(user.id);
      if (it != online.end() && it->second == state) ++n;
    }
    return n;
  }
  void fail(const std::string& why) {
    std::lock_guard lock(mutex);
    if (!failure) failure = why;
  }
  std::optional<std::string> first_failure() {
    std::lock_guard lock(mutex);
    return failure;
  }
};

}  // namespace

void run_node_loss(const CommonOptions& common, NodeLossOptions options) {
  resolve_server_bin(common);  // fail before seeding anything
  if (common.store.empty()) {
    throw BenchError("node-loss needs --store postgresql://... and --server-arg=--bus=nats://... (a cluster of 2 nodes)");
  }
  if (options.watched == 0 || options.watched > 1000) throw BenchError("--watched must be 1..1000");
  WorkDir work(common.work_dir, common.keep);
  const std::string dir = work.fresh_subdir("node-loss");

  // User 0 watches, users 1..N are watched: friends of the watcher, logged in on node 1.
  std::vector<std::pair<std::size_t, std::size_t>> friendships;
  for (std::size_t i = 1; i <= options.watched; ++i) friendships.emplace_back(0, i);
  const auto seeded = seed_users(dir + "/data", options.watched + 1, friendships, common.store);
  const std::vector<SeededUser> watched(seeded.begin() + 1, seeded.end());

  std::vector<std::unique_ptr<harness::ServerProcess>> nodes;
  for (int k = 1; k <= 2; ++k) {
    const std::string node_dir = dir + "/node" + std::to_string(k);
    std::filesystem::create_directories(node_dir + "/data");
    nodes.push_back(std::make_unique<harness::ServerProcess>(server_config(common, node_dir)));
  }
  auto& doomed = *nodes[0];
  auto& survivor = *nodes[1];
  auto endpoint_of = [](const harness::ServerProcess& node) {
    return asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), node.port());
  };

  PresenceView view;
  IoPool pool(common.threads);
  std::shared_ptr<RawConnection> watcher;
  std::vector<std::shared_ptr<RawConnection>> conns(watched.size());
  std::atomic<std::size_t> logged_in{0};
  std::atomic<std::size_t> watcher_lost{0};
  StopPoolOnExit stop_pool(pool);
  auto failure = [&]() -> std::optional<std::string> {
    if (auto f = view.first_failure()) return f;
    if (!survivor.running()) return "node 2 exited during the run; see " + survivor.log_path();
    if (watcher_lost.load() > 0) return "the watcher's connection to node 2 was lost";
    return std::nullopt;
  };

  asio::co_spawn(
      pool.context(0),
      [&]() -> asio::awaitable<void> {
        try {
          HandshakeOptions handshake;
          handshake.subscribe = true;
          handshake.before_subscribe = [&](const std::shared_ptr<RawConnection>& conn) {
            conn->set_push_handler([&](const wire::Envelope& push) { view.on_push(push); });
            conn->set_lost_handler([&](const std::string&) { watcher_lost.fetch_add(1); });
          };
          watcher = co_await open_session(pool.context(0), endpoint_of(survivor), seeded[0].token, handshake);
        } catch (const std::exception& e) {
          view.fail(std::string("the watcher could not log in on node 2: ") + e.what());
        }
        logged_in.fetch_add(1);
      },
      asio::detached);
  for (std::size_t i = 0; i < watched.size(); ++i) {
    asio::co_spawn(
        pool.context(i),
        [&, i]() -> asio::awaitable<void> {
          try {
            HandshakeOptions handshake;
            handshake.announce_presence = true;
            conns[i] = co_await open_session(pool.context(i), endpoint_of(doomed), watched[i].token, handshake);
          } catch (const std::exception& e) {
            view.fail("user " + std::to_string(i) + " could not log in on node 1: " + e.what());
          }
          logged_in.fetch_add(1);
        },
        asio::detached);
  }
  wait_until([&] { return logged_in.load() == watched.size() + 1; }, 60s, "logging in", failure);
  wait_until([&] { return view.count(watched, true) == watched.size(); }, 30s,
             "the watcher on node 2 seeing the users of node 1 online", failure);

  // The users' logins were just announced to the other node, so it heard from node 1 a moment
  // ago: killed now, node 1 would always be killed at the start of its silence window. A node
  // dies at any moment, so wait a random time in [settle, settle + 2 s) (2 s: the heartbeat
  // interval) first.
  const double settle_s = options.settle_seconds + 2.0 * static_cast<double>(randombytes_uniform(1000)) / 1000.0;
  std::fprintf(stderr, "node-loss: %zu users on node 1 online for the watcher on node 2; SIGKILL node 1 in %.2f s\n",
               watched.size(), settle_s);
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<std::int64_t>(settle_s * 1000)));
  if (auto f = failure()) throw BenchError(*f);
  const auto killed_at = steady_now_ns();
  doomed.stop(SIGKILL);
  wait_until([&] { return view.count(watched, false) == watched.size(); },
             std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_seconds * 1000)),
             "the offline presence of node 1's users on node 2", failure);

  std::int64_t first = INT64_MAX;
  std::int64_t last = 0;
  {
    std::lock_guard lock(view.mutex);
    for (const auto& user : watched) {
      const auto at = view.offline_at_ns.at(user.id) - killed_at;
      first = std::min(first, at);
      last = std::max(last, at);
    }
  }
  pool.stop();
  survivor.stop();
  const double first_s = static_cast<double>(first) / 1e9;
  const double last_s = static_cast<double>(last) / 1e9;
  std::fprintf(stderr, "node-loss: offline after %.2f s (first) .. %.2f s (all %zu); node 2 %s\n", first_s, last_s,
               watched.size(), survivor.ended().c_str());
  emit_result("cluster", "node_loss", {{"watched", watched.size()}, {"nodes", 2}, {"settle_s", round_to(settle_s, 2)}},
              {{"first_offline_s", round_to(first_s, 3)}, {"all_offline_s", round_to(last_s, 3)}});
}

}  // namespace occhat::bench

// relay: M pairs of online friends message each other; throughput and end-to-end latency.

#include <asio/ip/address.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_error.hpp"
#include "io_pool.hpp"
#include "json_out.hpp"
#include "metrics_scrape.hpp"
#include "process_cpu.hpp"
#include "occhat/proto/limits.hpp"
#include "relay_client.hpp"
#include "seed.hpp"
#include "server_stages.hpp"
#include "stats.hpp"
#include "subcommands.hpp"
#include "work_dir.hpp"

namespace occhat::bench {
namespace {

using namespace std::chrono_literals;

constexpr auto kWarmup = 1s;

struct RelayCase {
  std::string name;  // inflight1 | window | rate
  std::size_t pairs;
  std::size_t window;
  double rate;
};

// The sum over every node of a per-process figure (CPU seconds, run delay); nullopt if one is gone.
std::optional<double> servers_cpu_seconds(const std::vector<std::unique_ptr<harness::ServerProcess>>& servers,
                                          std::optional<double> (*of)(pid_t)) {
  double total = 0;
  for (const auto& server : servers) {
    const auto v = of(server->pid());
    if (!v) return std::nullopt;
    total += *v;
  }
  return total;
}

void run_case(const CommonOptions& common, WorkDir& work, const RelayOptions& options, const RelayCase& c) {
  std::fprintf(stderr, "relay %s: %zu pairs, window %zu, rate %.0f/s, %.1f s\n", c.name.c_str(), c.pairs, c.window,
               c.rate, options.seconds);
  const std::string dir = work.fresh_subdir("relay-" + c.name + "-" + std::to_string(c.pairs));
  std::vector<std::pair<std::size_t, std::size_t>> friendships;
  for (std::size_t i = 0; i < c.pairs; ++i) friendships.emplace_back(2 * i, 2 * i + 1);
  const auto users = seed_users(dir + "/data", 2 * c.pairs, friendships, common.store);

  // One server, or --nodes servers on one shared store (a cluster): user u is on node u mod N, and
  // the friends 2i and 2i+1 are on neighbouring nodes, so with 2 or more nodes every message
  // crosses nodes.
  std::vector<std::unique_ptr<harness::ServerProcess>> servers;
  for (std::size_t k = 0; k < options.nodes; ++k) {
    const std::string node_dir = k == 0 ? dir : dir + "/node" + std::to_string(k + 1);
    if (k > 0) std::filesystem::create_directories(node_dir + "/data");
    auto config = server_config(common, node_dir);
    // Its send stages are read from /metrics (ServerStages); timing them costs a few clock
    // reads per message.
    config.extra_args.insert(config.extra_args.end(), {"--metrics-listen", "127.0.0.1:0"});
    servers.push_back(std::make_unique<harness::ServerProcess>(std::move(config)));
  }
  std::vector<std::string> metrics_addresses;
  for (const auto& server : servers) metrics_addresses.push_back(harness::metrics_address(*server));
  ServerStages stages(std::move(metrics_addresses));
  auto node_of = [&](std::size_t user) -> harness::ServerProcess& { return *servers[user % servers.size()]; };

  RelayShared shared;
  IoPool pool(common.threads);
  std::vector<std::unique_ptr<RelayClient>> clients;
  StopPoolOnExit stop_pool(pool);
  const std::size_t senders = users.size();
  for (std::size_t i = 0; i < senders; ++i) {
    RelayClientConfig config;
    config.self = users[i].id;
    config.peer = users[i ^ 1].id;
    config.token = users[i].token;
    config.text_size = options.size;
    config.window = c.window;
    if (c.rate > 0) {
      config.interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 * static_cast<double>(senders) / c.rate));
      config.phase_offset = config.interval * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(senders);
    }
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), node_of(i).port());
    clients.push_back(std::make_unique<RelayClient>(pool.context(i), endpoint, config, shared));
  }
  auto failure = [&]() -> std::optional<std::string> {
    if (auto f = shared.first_failure()) return f;
    for (auto& server : servers) {
      if (!server->running()) return "occhat-server exited during the run; see " + server->log_path();
    }
    return std::nullopt;
  };

  for (auto& client : clients) client->start();
  wait_until([&] { return shared.ready.load() == senders; }, 60s, "logging in " + std::to_string(senders) + " clients",
             failure);

  const auto start = steady_now_ns();
  const auto window_ns = static_cast<std::int64_t>(options.seconds * 1e9);
  shared.window_start_ns = start + std::chrono::nanoseconds(kWarmup).count();
  shared.window_end_ns = shared.window_start_ns.load() + window_ns;
  shared.phase = RelayShared::sending;
  for (auto& client : clients) client->begin_sending();
  const auto run_time = std::chrono::milliseconds(static_cast<std::int64_t>(options.seconds * 1000)) + kWarmup;
  // The server's CPU over the measured window: its cost per relayed message.
  wait_until([&] { return steady_now_ns() >= shared.window_start_ns.load(); }, run_time + 5s, "the warm-up", failure);
  const auto cpu_at_start = servers_cpu_seconds(servers, process_cpu_seconds);
  const auto run_delay_at_start = servers_cpu_seconds(servers, process_run_delay_seconds);
  if (c.name == "rate") stages.scrape_start();
  wait_until([&] { return steady_now_ns() >= shared.window_end_ns.load(); }, run_time + 5s, "the measurement window",
             failure);
  const auto cpu_at_end = servers_cpu_seconds(servers, process_cpu_seconds);
  const auto run_delay_at_end = servers_cpu_seconds(servers, process_run_delay_seconds);
  if (c.name == "rate") stages.scrape_end();

  // Stop sending, then everything the server confirmed must reach its recipient.
  shared.phase = RelayShared::draining;
  try {
    wait_until(
        [&] {
          return shared.requested.load() == shared.sent.load() && shared.received.load() >= shared.sent.load();
        },
        30s, "draining", failure);
  } catch (const BenchError& e) {
    throw BenchError(std::string(e.what()) + ": requested " + std::to_string(shared.requested.load()) +
                     ", confirmed " + std::to_string(shared.sent.load()) + ", received " +
                     std::to_string(shared.received.load()));
  }
  shared.phase = RelayShared::done;
  for (auto& client : clients) client->finish();
  std::this_thread::sleep_for(20ms);
  pool.stop();
  std::string ended;
  for (auto& server : servers) {
    server->stop();
    ended += (ended.empty() ? "" : ", ") + server->ended();
  }

  const auto sent = shared.sent.load();
  const auto received = shared.received.load();
  if (received != sent) {
    std::fprintf(stderr, "relay %s: WARNING: %llu messages confirmed but %llu received\n", c.name.c_str(),
                 static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received));
  }
  const double msgs_per_s = static_cast<double>(shared.received_in_window.load()) / options.seconds;
  std::fprintf(stderr, "relay %s: %.0f msg/s, sent %llu, received %llu (server %s)\n", c.name.c_str(), msgs_per_s,
               static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received), ended.c_str());

  nlohmann::json params = {{"pairs", c.pairs}, {"seconds", options.seconds}, {"size", options.size}};
  if (options.nodes > 1) params["nodes"] = options.nodes;
  nlohmann::json metrics = {{"msgs_per_s", round_to(msgs_per_s, 1)}};
  if (c.name == "rate") {
    params["rate"] = c.rate;
    std::vector<std::int64_t> all;
    for (auto& client : clients) {
      auto& l = client->latencies_ns();
      all.insert(all.end(), l.begin(), l.end());
    }
    const auto p = percentiles(all);
    metrics["p50_us"] = round_to(p.p50_us, 1);
    metrics["p99_us"] = round_to(p.p99_us, 1);
    metrics["p999_us"] = round_to(p.p999_us, 1);
    metrics["max_us"] = round_to(p.max_us, 1);
    // The server's side of the same sends (frame read -> the recipient's push written), stage
    // by stage: what is left of the client's figure is the client and the loopback.
    if (auto window_stages = stages.json(); !window_stages.empty()) metrics["server_stages"] = std::move(window_stages);
  } else if (c.name == "window") {
    params["window"] = c.window;
  }
  // CPU seconds (user + system) the server used during the window, and per message received in
  // it: what stays comparable when other processes share the machine.
  if (cpu_at_start && cpu_at_end && shared.received_in_window.load() > 0) {
    const double cpu_s = *cpu_at_end - *cpu_at_start;
    metrics["server_cpu_s"] = round_to(cpu_s, 3);
    metrics["server_cpu_us_per_msg"] =
        round_to(cpu_s * 1e6 / static_cast<double>(shared.received_in_window.load()), 2);
  }
  // How long the server's threads waited for a CPU during the window (other processes on the
  // machine): a latency tail with a large figure here is the machine's, not the server's.
  if (run_delay_at_start && run_delay_at_end) {
    metrics["server_run_delay_s"] = round_to(*run_delay_at_end - *run_delay_at_start, 3);
  }
  metrics["sent"] = sent;
  metrics["received"] = received;
  emit_result("relay", c.name, params, metrics);
  if (received != sent) throw BenchError("relay " + c.name + ": messages were lost or duplicated");
}

}  // namespace

void run_relay(const CommonOptions& common, RelayOptions options) {
  resolve_server_bin(common);  // fail before seeding anything
  if (common.quick) options.seconds = std::min(options.seconds, 2.0);
  if (options.size < 24 || options.size > proto::kMaxTextBytes) {
    throw BenchError("--size must be 24.." + std::to_string(proto::kMaxTextBytes) + " bytes");
  }
  if (options.pairs == 0 || options.window == 0) throw BenchError("--pairs and --window must be at least 1");
  if (options.nodes == 0 || options.nodes > 16) throw BenchError("--nodes must be 1..16");
  if (options.nodes > 1 && common.store.empty()) {
    throw BenchError("--nodes needs --store postgresql://... (the nodes share one store; add --server-arg=--bus=...)");
  }
  WorkDir work(common.work_dir, common.keep);
  std::vector<RelayCase> cases;
  if (options.all) {
    cases.push_back({"inflight1", 1, 1, 0});
    cases.push_back({"inflight1", options.pairs, 1, 0});
    cases.push_back({"window", options.pairs, options.window > 1 ? options.window : 64, 0});
    cases.push_back({"rate", options.pairs, 1, options.rate > 0 ? options.rate : 5000});
  } else if (options.rate > 0) {
    cases.push_back({"rate", options.pairs, options.window, options.rate});
  } else {
    cases.push_back({options.window == 1 ? "inflight1" : "window", options.pairs, options.window, 0});
  }
  for (const auto& c : cases) run_case(common, work, options, c);
}

}  // namespace occhat::bench

// connections: N clients from several 127.0.0.x source addresses log in and stay idle; how many
// the server holds, how fast they log in, and what each costs in server RSS.

#include <sys/resource.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/address.hpp>
#include <asio/post.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
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

using namespace std::chrono_literals;

namespace {

// The process may open at most this many files here (ulimit -n is 20000 and cannot be raised);
// the rest is headroom for the password logins, the event loop and stdio.
constexpr std::size_t kMaxClients = 19500;

struct Counters {
  std::atomic<std::size_t> done{0};
  std::atomic<std::size_t> pongs{0};
  std::atomic<std::size_t> ping_failures{0};
  std::atomic<std::size_t> lost{0};
  std::mutex mutex;
  std::optional<std::string> failure;
  void fail(const std::string& why) {
    std::lock_guard lock(mutex);
    if (!failure) failure = why;
  }
  std::optional<std::string> first_failure() {
    std::lock_guard lock(mutex);
    return failure;
  }
};

void check_fd_limit(std::size_t needed) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;  // the child server inherits the raised limit too
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    throw BenchError("--clients needs about " + std::to_string(needed) + " open files but ulimit -n is " +
                     std::to_string(limit.rlim_cur));
  }
}

// The barrier of several connections processes (one per cluster node): announces that this one
// holds all its clients, then waits until the caller says every process does.
// The file says "PORT PID" of this process's server, so the caller can count the connections
// every node holds at that moment from outside (ss).
void wait_for_go(const ConnectionsOptions& options, const harness::ServerProcess& server,
                 const std::function<std::optional<std::string>()>& failure) {
  {
    std::ofstream ready(options.ready_file + ".tmp");
    ready << server.port() << ' ' << server.pid() << '\n';
  }
  std::filesystem::rename(options.ready_file + ".tmp", options.ready_file);  // appears complete or not at all
  std::fprintf(stderr, "connections: ready (%s); waiting for %s\n", options.ready_file.c_str(),
               options.go_file.c_str());
  wait_until([&] { return std::filesystem::exists(options.go_file); },
             std::chrono::milliseconds(static_cast<std::int64_t>(options.go_timeout_seconds * 1000)),
             "waiting for " + options.go_file, failure);
}

}  // namespace

void run_connections(const CommonOptions& common, ConnectionsOptions options) {
  if (common.quick) options.clients = std::min<std::size_t>(options.clients, 2000);
  if (options.clients > kMaxClients) {
    throw BenchError("--clients " + std::to_string(options.clients) + " is above " + std::to_string(kMaxClients) +
                     ": one process may open at most 20000 files here (ulimit -n cannot be raised)");
  }
  if (options.clients == 0 || options.sources == 0 || options.sources > 250 || options.in_flight == 0) {
    throw BenchError("--clients, --sources (1..250) and --in-flight must be positive");
  }
  if (options.ready_file.empty() != options.go_file.empty()) {
    throw BenchError("--ready-file and --go-file go together");
  }
  check_fd_limit(options.clients + options.password_logins + 64);
  const std::size_t users_needed = std::max(options.clients, options.password_logins);

  WorkDir work(common.work_dir, common.keep);
  const std::string dir = work.fresh_subdir("connections");
  const auto users = seed_users(dir + "/data", users_needed, {}, common.store);
  harness::ServerProcess server(server_config(common, dir));
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server.port());
  std::this_thread::sleep_for(200ms);  // let the server settle before the baseline
  const std::uint64_t rss_base = server.rss_bytes();

  std::vector<asio::ip::address> sources;
  for (unsigned k = 0; k < options.sources; ++k) {
    sources.push_back(asio::ip::make_address("127.0.0." + std::to_string(2 + k)));
  }

  Counters counters;
  IoPool pool(common.threads);
  std::vector<std::shared_ptr<RawConnection>> conns(options.clients);
  std::vector<std::shared_ptr<RawConnection>> password_conns(options.password_logins);
  StopPoolOnExit stop_pool(pool);
  auto failure = [&]() -> std::optional<std::string> {
    if (auto f = counters.first_failure()) return f;
    if (!server.running()) return "occhat-server exited during the run; see " + dir + "/server.log";
    return std::nullopt;
  };

  // Open and log in everyone, at most in_flight handshakes at a time.
  std::fprintf(stderr, "connections: logging in %zu clients from %u source addresses\n", options.clients,
               options.sources);
  const auto open_start = steady_now_ns();
  std::size_t launched = 0;
  const auto open_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60 + options.clients / 100);
  while (counters.done.load() < options.clients) {
    while (launched < options.clients && launched - counters.done.load() < options.in_flight) {
      const std::size_t i = launched++;
      auto& io = pool.context(i);
      asio::co_spawn(
          io,
          [&, i]() -> asio::awaitable<void> {
            try {
              HandshakeOptions handshake;
              handshake.announce_presence = true;
              handshake.source = sources[i % sources.size()];
              auto conn = co_await open_session(pool.context(i), endpoint, users[i].token, handshake);
              conn->set_lost_handler([&](const std::string&) { counters.lost.fetch_add(1); });
              conns[i] = std::move(conn);
            } catch (const std::exception& e) {
              counters.fail("client " + std::to_string(i) + " could not log in: " + e.what());
            }
            counters.done.fetch_add(1);
          },
          asio::detached);
    }
    if (auto f = failure()) throw BenchError(*f);
    if (std::chrono::steady_clock::now() > open_deadline) {
      throw BenchError("timed out logging in clients (" + std::to_string(counters.done.load()) + " of " +
                       std::to_string(options.clients) + " done)");
    }
    std::this_thread::sleep_for(100us);
  }
  if (auto f = failure()) throw BenchError(*f);
  const double open_seconds = static_cast<double>(steady_now_ns() - open_start) / 1e9;
  const double login_rate = static_cast<double>(options.clients) / open_seconds;
  std::fprintf(stderr, "connections: %zu logged in in %.2f s (%.0f/s); holding %.1f s\n", options.clients,
               open_seconds, login_rate, options.hold_seconds);
  if (!options.ready_file.empty()) wait_for_go(options, server, failure);

  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<std::int64_t>(options.hold_seconds * 1000)));
  const std::uint64_t rss_held = server.rss_bytes();

  // Every connection must still answer a ping after the hold.
  for (std::size_t t = 0; t < pool.size(); ++t) {
    asio::post(pool.context(t), [&, t] {
      for (std::size_t i = t; i < conns.size(); i += pool.size()) {
        if (!conns[i] || !conns[i]->is_open()) {
          counters.ping_failures.fetch_add(1);
          continue;
        }
        conns[i]->send(rq::ping(), [&](const wire::Envelope* answer) {
          if (answer && answer->has_pong()) {
            counters.pongs.fetch_add(1);
          } else {
            counters.ping_failures.fetch_add(1);
          }
        });
      }
    });
  }
  wait_until([&] { return counters.pongs.load() + counters.ping_failures.load() == options.clients; }, 60s,
             "pinging the held connections");
  const std::size_t held = counters.pongs.load();

  // Password logins (argon2id on the server), each on its own connection, all at once.
  std::atomic<std::size_t> logins_done{0};
  const auto login_start = steady_now_ns();
  std::atomic<std::int64_t> login_end{0};
  for (std::size_t i = 0; i < options.password_logins; ++i) {
    auto& io = pool.context(i);
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          try {
            auto conn = std::make_shared<RawConnection>(pool.context(i));
            co_await conn->connect(endpoint, sources[i % sources.size()]);
            if (!(co_await conn->call(rq::hello(kClientName))).has_hello_ok()) throw BenchError("no hello_ok");
            const auto ok = co_await conn->call(rq::login(users[i].id, kBenchPassword, false));
            if (!ok.has_login_ok()) throw BenchError("login was not answered with login_ok");
            password_conns[i] = conn;
          } catch (const std::exception& e) {
            counters.fail("password login " + std::to_string(i) + " failed: " + e.what());
          }
          if (logins_done.fetch_add(1) + 1 == options.password_logins) login_end = steady_now_ns();
        },
        asio::detached);
  }
  wait_until([&] { return logins_done.load() == options.password_logins; }, 120s, "password logins", failure);
  const double password_rate = options.password_logins == 0
                                   ? 0.0
                                   : static_cast<double>(options.password_logins) /
                                         (static_cast<double>(login_end.load() - login_start) / 1e9);

  pool.stop();
  server.stop();
  const std::string ended = server.ended();
  const double per_conn = static_cast<double>(rss_held) - static_cast<double>(rss_base);
  std::fprintf(stderr,
               "connections: held %zu of %zu (lost %zu); server RSS %.1f MiB -> %.1f MiB (%.0f B/conn); "
               "%.1f password logins/s (server %s)\n",
               held, options.clients, counters.lost.load(), static_cast<double>(rss_base) / 1048576.0,
               static_cast<double>(rss_held) / 1048576.0, per_conn / static_cast<double>(options.clients),
               password_rate, ended.c_str());
  emit_result("connections", "idle",
              {{"clients", options.clients}, {"sources", options.sources}, {"hold_seconds", options.hold_seconds}},
              {{"held", held},
               {"connect_login_per_s", round_to(login_rate, 1)},
               {"server_rss_base_bytes", rss_base},
               {"server_rss_bytes", rss_held},
               {"rss_per_conn_bytes", round_to(per_conn / static_cast<double>(options.clients), 1)},
               {"password_logins_per_s", round_to(password_rate, 2)}});
}

}  // namespace occhat::bench

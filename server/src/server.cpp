#include "occhat/server/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_future.hpp>

#include <csignal>
#include <future>
#include <optional>
#include <random>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <fmt/format.h>

#include "credentials.hpp"
#include "nats_link.hpp"
#include "nats_push_bus.hpp"
#include "file_storage.hpp"
#include "in_process_push_bus.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "metrics_http.hpp"
#include "occhat/server/operator.hpp"
#include "occhat/store/store.hpp"
#include "presence_announcer.hpp"
#include "server_context.hpp"
#include "session.hpp"
#include "store_executor.hpp"
#include "tls_context.hpp"
#include "upload_expiry.hpp"

namespace occhat::server {
namespace {

asio::ip::tcp::endpoint resolve(asio::io_context& io, const std::string& host, std::uint16_t port) {
  asio::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, port};
  asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) throw std::runtime_error(fmt::format("cannot resolve {}: {}", host, ec.message()));
  return *results.begin();
}

void prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create data dir {}: {}", dir.string(), ec.message()));
    // Password hashes and session hashes live here: other local users have no business in it.
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
}

// The data dir (by default the files and the database live there), then the store: --store,
// or else the data dir's occhat.db (created owner-only by the SQLite store; the explicit sqlite:
// keeps a data dir whose name looks like a URL a plain directory). With both --store and
// --files-dir nothing lives in the data dir, and it is not created. A PostgreSQL store that
// cannot be reached is tried again for up to --startup-wait (the nodes of a cluster and their
// database start in any order); every other failure ends start-up at once.
std::unique_ptr<StoreExecutor> open_store_executor(const ServerOptions& options) {
  if (options.store.empty() || options.files_dir.empty()) prepare_data_dir(options.data_dir);
  const store::StoreOptions store_options{.durability = options.fsync_commits ? store::Durability::disk
                                                                              : store::Durability::process};
  const auto wait = std::chrono::seconds(options.startup_wait_seconds);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    try {
      return make_store_executor(store_location(options), store_options);
    } catch (const store::StoreError& e) {
      if (e.code() != ErrorCode::unavailable) throw;
      if (std::chrono::steady_clock::now() >= deadline) {
        if (wait.count() == 0) throw;
        throw store::StoreError(ErrorCode::unavailable, fmt::format("{} (waited {} s)", e.what(), wait.count()));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Who this process is in the cluster: --node-id (default HOSTNAME:PORT) and a fresh random
// incarnation, so a restarted node is told apart from the one that died.
cluster::NodeIdentity node_identity(const ServerOptions& options, std::uint16_t port) {
  cluster::NodeIdentity self;
  self.node_id = options.node_id;
  if (self.node_id.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
    self.node_id = fmt::format("{}:{}", host, port);
  }
  std::random_device random;
  self.incarnation = (std::uint64_t{random()} << 32) ^ random();
  self.started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return self;
}

// Two hashing threads bound the memory argon2id may take (64 MiB per hash in flight) while
// still letting one slow login not delay every other.
constexpr int kCryptoThreads = 2;
// Registrations hash on a pool of their own, never on the login threads above: logins of
// existing accounts keep priority however many connections register (200 registering
// connections used to queue their hashes ahead of every login, which then took 15 s+). One
// thread: registrations are rare and rate-limited, the pool adds at most one hash (64 MiB, one
// core) to the two above, and what waits for it is bounded (account_handlers.cpp).
constexpr int kRegistrationCryptoThreads = 1;
// File I/O threads: chunk writes, reads, hashing and fsync. A few, so one client's finish
// (hashing gigabytes) does not stall everyone's chunks, yet disk I/O is not over-subscribed.
constexpr int kFileIoThreads = 4;
constexpr std::chrono::hours kExpiryInterval{1};
// Descriptors kept free of connections: the database and its WAL, files being transferred
// (a few per file I/O thread), the listening socket, logs.
constexpr std::size_t kReservedDescriptors = 64;

// Unfinished uploads are recovered (reservations, crash leftovers) before the first request is
// read and before the first expiry sweep. A cluster node first listens to one heartbeat round
// (`learn_first`), so the presence its first clients see already includes the other nodes' users.
asio::awaitable<void> recover_then_accept(asio::ip::tcp::acceptor& acceptor, ServerContext& server,
                                          asio::ssl::context* tls, std::chrono::seconds handshake_timeout,
                                          asio::steady_timer& expiry_timer, std::chrono::hours expiry,
                                          std::chrono::milliseconds learn_first) {
  if (learn_first.count() > 0) {
    asio::steady_timer learn(server.network, learn_first);
    asio::error_code ec;
    co_await learn.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_await recover_uploads(server);
  asio::co_spawn(server.network, expire_uploads_periodically(server, expiry_timer, expiry, kExpiryInterval),
                 asio::detached);
  co_await accept_loop(acceptor, server, tls, handshake_timeout);
}

std::size_t connections_allowed_by_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 100000;
  const auto soft = static_cast<std::size_t>(limit.rlim_cur);
  return soft > 2 * kReservedDescriptors ? soft - kReservedDescriptors : soft / 2;
}

std::unique_ptr<asio::ssl::context> load_tls(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) return nullptr;
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    throw std::runtime_error("--tls-cert and --tls-key go together: give both or neither");
  }
  return make_tls_server_context(options.tls_cert_file, options.tls_key_file);
}

// At start-up: how full the id space is already (a warning from 50% on, see IdSpaceWatch).
asio::awaitable<void> check_id_space(ServerContext& context) {
  try {
    auto count_job = [](store::Store& store) { return store.user_count(); };
    const std::uint64_t users = co_await context.store.run(std::move(count_job));
    if (const int percent = context.id_space_watch.observe(users)) {
      log_event("{}", id_space_warning(percent, users, context.id_space_watch.size()));
    }
  } catch (const std::exception& e) {
    log_event("cannot count users at start-up: {}", e.what());
  }
}

// What a scrape reads on the network thread (connections) and the store (inbox backlog).
asio::awaitable<MetricsSnapshot> take_metrics_snapshot(ServerContext& context) {
  MetricsSnapshot snapshot;
  snapshot.connections = context.connections.size();
  snapshot.unauthenticated = context.unauthenticated;
  if (context.cluster_nodes) snapshot.cluster_nodes = context.cluster_nodes();
  auto backlog_job = [](store::Store& store) { return store.inbox_backlog(); };
  snapshot.inbox_backlog = co_await context.store.run(std::move(backlog_job));
  co_return snapshot;
}

// Account events written by operators' commands in another process (occhat-server user
// disable ...): polled once a second, each closes every connection of its user. The events
// before start-up are skipped: nobody was connected then.
asio::awaitable<void> follow_account_events(ServerContext& context, asio::steady_timer& timer) {
  std::uint64_t seen = 0;
  bool first = true;
  bool failing = false;  // logged once per outage of the store, not every second
  while (!context.stopping) {
    try {
      auto poll_job = [seen](store::Store& store) { return store.account_events(seen); };
      const auto events = co_await context.store.run(std::move(poll_job));
      if (failing) log_event("account events readable again");
      failing = false;
      for (const auto& event : events) {
        seen = event.seq;
        if (first) continue;
        log_event("user {}: account changed by an operator; closing its connections", event.user_id);
        context.bus->revoke_user(event.user_id, std::nullopt, 0, "the account was changed by the server's operator");
      }
    } catch (const std::exception& e) {
      if (!failing) log_event("cannot read account events: {}", e.what());
      failing = true;
    }
    first = false;
    timer.expires_after(std::chrono::seconds(1));
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // cancelled: shutting down
  }
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions opts)
      : options(std::move(opts)),
        store_executor(open_store_executor(options)),
        context(io.get_executor(), *store_executor, crypto,
                LoginThrottle(LoginLimits{options.login_max_failures, options.login_account_max_failures,
                                          options.login_address_max_failures,
                                          std::chrono::seconds(options.login_lockout_seconds)}),
                hash_password("occhat dummy password for unknown ids"), std::chrono::seconds(options.idle_timeout_seconds)),
        files(files_location(options)),
        acceptor(io),
        signals(io),
        expiry_timer(io) {
    context.limits.max_connections = options.max_connections > 0 ? static_cast<std::size_t>(options.max_connections)
                                                                  : connections_allowed_by_fd_limit();
    context.limits.max_unauthenticated = static_cast<std::size_t>(options.max_unauthenticated);
    context.limits.max_unauthenticated_per_address = static_cast<std::size_t>(options.max_unauthenticated_per_address);
    context.limits.login_timeout = std::chrono::seconds(options.login_timeout_seconds);
    context.limits.max_queued_bytes = static_cast<std::size_t>(options.max_queued_bytes);
    context.limits.write_stall_timeout = std::chrono::seconds(options.write_stall_timeout_seconds);
    context.send_limiter = SendRateLimiter(options.message_rate, options.message_burst);
    context.register_per_address =
        AddressRateLimiter(options.register_rate_per_address / 3600.0, options.register_burst_per_address);
    context.register_global = GlobalRateLimiter(options.register_rate, options.register_burst);
    context.registration_open = options.registration_open;
    context.registration_crypto = registration_crypto.get_executor();
    context.friend_request_limiter = SendRateLimiter(options.friend_request_rate / 3600.0, options.friend_request_burst);
    context.find_limiter = SendRateLimiter(options.find_rate / 3600.0, options.find_burst);
    context.files = &files;
    context.file_io = file_io.get_executor();
    context.max_file_size = options.max_file_size;
    context.max_room_members = static_cast<std::uint32_t>(options.max_room_members);
    context.max_rooms_per_user = static_cast<std::uint32_t>(options.max_rooms_per_user);
    context.min_free_bytes = options.min_free_bytes;
    context.max_unfinished_uploads = static_cast<std::size_t>(options.max_unfinished_uploads);
    context.max_unfinished_upload_bytes = options.max_unfinished_upload_bytes;
    const auto endpoint = resolve(io, options.host, options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    if (options.reuse_port) acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acceptor.bind(endpoint);
    acceptor.listen();
    set_up_bus();
    store_executor->observe_commits(&context.metrics.store_commit);
    if (!options.metrics_host.empty()) {
      context.time_stages = true;
      store_executor->observe_stages(&context.metrics);
    }
    // After the store opened: /healthz answers 200 from the first moment it is reachable.
    if (!options.metrics_host.empty()) {
      metrics_http = std::make_unique<MetricsHttp>(options.metrics_host, options.metrics_port,
                                                   [this] { return render_metrics_now(); });
    }
  }

  // Without --bus every connection is on this process. With it, NATS must be reachable
  // (within --startup-wait) before the node serves anyone.
  void set_up_bus() {
    auto count_local = [this](std::uint32_t, bool online) {
      context.metrics.online_users.fetch_add(online ? 1 : -1, std::memory_order_relaxed);
    };
    auto announce = [this](std::uint32_t user_id, bool online) { announce_presence(context, user_id, online); };
    if (options.bus_url.empty()) {
      context.bus = std::make_unique<InProcessPushBus>([count_local, announce](std::uint32_t user_id, bool online) {
        count_local(user_id, online);
        announce(user_id, online);
      });
      return;
    }
    const cluster::NodeIdentity self = node_identity(options, acceptor.local_endpoint().port());
    nats = std::make_unique<cluster::NatsLink>(io.get_executor(), options.bus_url,
                                               std::chrono::seconds(options.startup_wait_seconds),
                                               "occhat-server " + self.node_id);
    auto bus = std::make_unique<cluster::NatsPushBus>(io.get_executor(), *nats, self, announce, count_local);
    cluster_bus = bus.get();
    context.cluster_nodes = [bus = cluster_bus] { return static_cast<std::uint64_t>(bus->live_nodes()); };
    context.bus = std::move(bus);
    // The login throttle and the per-user message rate count every node's events.
    context.cluster_limits.connect(self.incarnation, [link = nats.get()](std::string event) {
      link->publish(std::string(kLimitsSubject), event);
    });
    nats->subscribe(std::string(kLimitsSubject),
                    [this](std::string_view event) { context.cluster_limits.apply_remote(event); });
    log_event("cluster node {} on the bus {}", sanitize(self.node_id), options.bus_url);
  }

  // Called on the HTTP thread: the snapshot is taken on the network thread; a server that does
  // not answer within 2 s (stopping) gets a 503.
  std::optional<std::string> render_metrics_now() {
    try {
      auto snapshot = asio::co_spawn(io, take_metrics_snapshot(context), asio::use_future);
      if (snapshot.wait_for(std::chrono::seconds(2)) != std::future_status::ready) return std::nullopt;
      return render_metrics(context.metrics, snapshot.get());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  void stop_now() {
    if (context.stopping) return;
    context.stopping = true;
    log_event("shutting down: closing {} connection(s)", context.connections.size());
    asio::error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);
    expiry_timer.cancel();
    account_events_timer.cancel();
    if (cluster_bus) cluster_bus->stop();
    // Copy first: stop() removes the session from the map.
    std::vector<std::shared_ptr<Connection>> open;
    for (auto& [id, weak] : context.connections) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
    for (auto& connection : open) connection->stop();
  }

  ServerOptions options;
  // Loaded before the data dir is touched, so a bad certificate changes nothing on disk.
  std::unique_ptr<asio::ssl::context> tls = load_tls(options);  // null: plain TCP
  asio::io_context io{1};
  asio::thread_pool crypto{kCryptoThreads};
  asio::thread_pool registration_crypto{kRegistrationCryptoThreads};
  asio::thread_pool file_io{kFileIoThreads};
  std::unique_ptr<StoreExecutor> store_executor;
  ServerContext context;
  FileStorage files;
  asio::ip::tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer expiry_timer;
  asio::steady_timer account_events_timer{io};
  std::unique_ptr<MetricsHttp> metrics_http;  // --metrics-listen
  // --bus: the NATS link and the bus over it (context.bus owns the bus). Declared after `io`,
  // so the link closes before the io_context its callbacks post to goes away.
  std::unique_ptr<cluster::NatsLink> nats;
  cluster::NatsPushBus* cluster_bus = nullptr;
};

Server::Server(ServerOptions options) {
  init_crypto();
  set_log_level(options.log_level);
  set_log_format(options.log_format, options.log_timestamps);
  impl_ = std::make_unique<Impl>(std::move(options));
}

Server::~Server() {
  if (!impl_) return;
  impl_->crypto.join();
  impl_->registration_crypto.join();
  impl_->file_io.join();
  impl_->store_executor->shutdown();
}

std::string Server::address() const {
  const auto endpoint = impl_->acceptor.local_endpoint();
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

void Server::run() {
  auto& impl = *impl_;
  if (impl.options.handle_signals) {
    impl.signals.add(SIGINT);
    impl.signals.add(SIGTERM);
    impl.signals.async_wait([&impl](asio::error_code ec, int signal) {
      if (ec) return;
      log_event("received signal {}", signal);
      impl.stop_now();
    });
  }
  asio::co_spawn(impl.io,
                 recover_then_accept(impl.acceptor, impl.context, impl.tls.get(),
                                     std::chrono::seconds(impl.options.tls_handshake_timeout_seconds),
                                     impl.expiry_timer, std::chrono::hours(impl.options.upload_expiry_hours),
                                     impl.cluster_bus ? std::chrono::milliseconds(cluster::NatsPushBus::kHeartbeatInterval)
                                                      : std::chrono::milliseconds(0)),
                 asio::detached);
  if (impl.cluster_bus) impl.cluster_bus->start();
  asio::co_spawn(impl.io, check_id_space(impl.context), asio::detached);
  asio::co_spawn(impl.io, follow_account_events(impl.context, impl.account_events_timer), asio::detached);
  log_event("listening on {}", address());
  if (impl.metrics_http) log_event("metrics on {}", impl.metrics_http->address());
  if (impl.tls) log_event("TLS on: certificate {}", impl.options.tls_cert_file.string());
  // Single network thread: connections, the push bus and the throttle need no locks. Blocking work (SQLite,
  // argon2id) runs on its own threads, so this thread only moves bytes.
  for (;;) {
    try {
      impl.io.run();
      break;
    } catch (const std::exception& e) {
      // Sessions catch their own errors; this is a last line so one bug cannot end the server.
      log_event("network loop: unexpected exception: {}", e.what());
    }
  }
  // run() returned: no session is left and every store call a session awaited has finished.
  // The last presence deltas (users going offline here) leave before the link closes.
  if (impl.nats) impl.nats->close();
  impl.metrics_http.reset();
  impl.store_executor->shutdown();
  impl.crypto.join();
  impl.registration_crypto.join();
  impl.file_io.join();
  log_event("shutdown complete");
}

void Server::stop() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->stop_now(); });
}

}  // namespace occhat::server

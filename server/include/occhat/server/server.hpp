#pragma once
// occhat::server::Server — the whole chat server behind one small facade, so main.cpp (and
// later an in-process test or benchmark) can run it without seeing Asio or the store.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace occhat::server {

// quiet: no log lines at all (embedding, fuzzing); info: connections, logins, friendships,
// files, errors; debug: also a line per message and per subscription.
enum class LogLevel { quiet, info, debug };

// The level called `name` ("quiet", "info", "debug": the --log-level values), or nullopt.
std::optional<LogLevel> log_level_named(std::string_view name) noexcept;

// How a log line looks: text = "2026-11-30T10:00:00.123Z message" (the time left out when
// `log_timestamps` is false, e.g. under systemd, whose journal stamps every line itself);
// json = {"time":"2026-11-30T10:00:00.123Z","message":"..."} for log shippers.
enum class LogFormat { text, json };

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7878;  // 0 binds a free port
  // The files, and unless `store` says otherwise the database (data_dir/occhat.db).
  std::filesystem::path data_dir = "occhat-data";
  // Where the database is (--store): a file path, sqlite:PATH, sqlite:///abs/path or a
  // PostgreSQL URI, postgresql://... or postgres://... (see occhat::store::open_store). Empty:
  // the data dir's occhat.db.
  std::string store;
  // Where the bytes of files are (--files-dir; never in the database). Empty: data_dir/files.
  std::filesystem::path files_dir;
  // Failed logins (see server/src/login_throttle.hpp): consecutive failures allowed for one id
  // from one client address, for one id from all addresses, and for one address across all ids,
  // before the next attempt there must wait login_lockout_seconds (doubling with each further
  // round, at most 15 min). A delay, never a lock: the owner at another address is not affected
  // until the much higher per-account ceiling.
  int login_max_failures = 5;
  int login_account_max_failures = 100;
  int login_address_max_failures = 20;
  int login_lockout_seconds = 30;
  // Connections silent for this long are closed (clients ping every 10 s to stay).
  int idle_timeout_seconds = 30;
  // Open connections in all; beyond it a new one gets RESOURCE_EXHAUSTED and is closed.
  // 0: the process's open-file limit minus a reserve for the database, files and logs, so the
  // server refuses clearly instead of running out of descriptors.
  int max_connections = 0;
  // Connections not (yet) logged in; beyond it a new one is refused the same way.
  int max_unauthenticated = 1000;
  // Of those, from one client address (so one address cannot take every slot).
  int max_unauthenticated_per_address = 64;
  // A connection must log in (or register and log in) within this long, or it is closed. Under
  // pressure (more than half of max_unauthenticated taken) new connections get at most 10 s.
  int login_timeout_seconds = 60;
  // Bytes queued for clients across all connections; above it, a connection with unsent
  // answers handles no new request until its queue drained (back-pressure, not buffering).
  std::uint64_t max_queued_bytes = 256ull * 1024 * 1024;
  // A connection whose queued frames could not be written for this long is closed.
  int write_stall_timeout_seconds = 30;
  // Messages per second per user (all their connections together), with bursts up to
  // message_burst; 0 disables the limit. Beyond it: RATE_LIMITED with the time to wait.
  double message_rate = 1000;
  double message_burst = 2000;
  // Registrations, each of which costs an argon2id hash and takes a user id for good: per client
  // address per HOUR (bursts up to register_burst_per_address) and across the server per SECOND
  // (bursts up to register_burst); 0 disables a limit. Beyond either: RATE_LIMITED with the time
  // to wait, decided before any hashing.
  // false (--registration closed): REGISTER is refused with NOT_ALLOWED, so only accounts that
  // already exist can log in (for a private server; there is no admin command to add one yet).
  bool registration_open = true;
  double register_rate_per_address = 20;
  double register_burst_per_address = 10;
  double register_rate = 10;
  double register_burst = 20;
  // Friend requests per hour per user, with bursts up to friend_request_burst; 0 disables the
  // limit. Only an add that would store a new request counts (not accepting one, not asking
  // again while one is pending). Beyond it: RATE_LIMITED with the time to wait.
  double friend_request_rate = 30;
  double friend_request_burst = 10;
  // User lookups by id (find) per hour per user, with bursts up to find_burst; 0 disables the
  // limit. Ids are only 6 digits, so without it one account could walk all 900,000 of them and
  // collect every nick. Beyond it: RATE_LIMITED with the time to wait.
  double find_rate = 600;
  double find_burst = 60;
  // Rooms: members one room may have (invites and joins past it: RESOURCE_EXHAUSTED), and rooms
  // one user may own at once (so nobody can fill the room id space or the store).
  int max_room_members = 1000;
  int max_rooms_per_user = 100;
  // Uploads announcing more bytes are refused before anything is stored (16 GiB).
  std::uint64_t max_file_size = 17179869184ull;
  // Unfinished uploads without activity for this long are removed (at start-up and hourly).
  int upload_expiry_hours = 24;
  // Uploads are refused (RESOURCE_EXHAUSTED "not enough disk space on the server") unless this
  // many bytes stay free on the data dir's file system after every unfinished upload's remaining
  // bytes: room for the database (logins, sessions, messages) that uploads may never take.
  std::uint64_t min_free_bytes = 256ull * 1024 * 1024;
  // Per sender: unfinished uploads at once, and the announced bytes of them together.
  int max_unfinished_uploads = 16;
  std::uint64_t max_unfinished_upload_bytes = 64ull * 1024 * 1024 * 1024;
  // false: acknowledge commits once written to the OS rather than fsynced (--durability process).
  bool fsync_commits = true;
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::text;
  // --metrics-listen: serve /metrics (Prometheus) and /healthz on this address; off when
  // metrics_host is empty. Port 0 picks a free one (logged: "metrics on HOST:PORT").
  std::string metrics_host;
  std::uint16_t metrics_port = 0;
  bool log_timestamps = true;  // text lines only: JSON lines always carry "time"
  // TLS (--tls-cert/--tls-key): both set, or both empty for plain TCP. The certificate file is
  // a PEM chain, leaf first (e.g. Let's Encrypt's fullchain.pem); the key an unencrypted PEM key.
  std::filesystem::path tls_cert_file;
  std::filesystem::path tls_key_file;
  // A TLS client must finish its handshake within this long, or it is closed.
  int tls_handshake_timeout_seconds = 10;
  // Cluster (--bus): the NATS server every node of the cluster talks through (nats://HOST:PORT;
  // empty: a single node). Needs a PostgreSQL store, which all nodes share.
  std::string bus_url;
  // This node's name in logs and heartbeats (--node-id; empty: HOSTNAME:PORT).
  std::string node_id;
  // How long start-up keeps trying PostgreSQL and NATS before it gives up (0: one try).
  int startup_wait_seconds = 30;
  // SO_REUSEPORT on the listener: several nodes on one machine share one port (--reuse-port).
  bool reuse_port = false;
  // Stop gracefully on SIGINT/SIGTERM (main sets this; an embedding program may not want it).
  bool handle_signals = true;
};

class Server {
 public:
  // Creates the data dir (mode 0700), opens and migrates the store and binds the listening
  // socket. Throws std::exception with a printable message on failure.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound address as HOST:PORT (the real port when 0 was asked for).
  std::string address() const;

  // Serves until stop() or a handled signal; returns after in-flight store writes finished and
  // every connection was closed. Call once, from one thread.
  void run();

  // Thread-safe and idempotent: stop accepting, close every connection, let run() return.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace occhat::server

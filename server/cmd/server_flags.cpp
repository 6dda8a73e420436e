#include "server_flags.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>


namespace occhat::server {
namespace {

// "HOST:PORT"; an IPv6 host goes in brackets: "[::1]:7878".
bool parse_host_port(const std::string& text, std::string& host_out, std::uint16_t& port_out) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  const int value = std::stoi(port);
  if (value > 65535) return false;
  host_out = host;
  port_out = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

void add_server_flags(CLI::App& app, ServerFlags& f) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--listen", f.listen, "address to listen on, HOST:PORT (port 0 picks a free port)")
      ->capture_default_str();
  app.add_option("--data-dir", f.data_dir, "directory for the database and the files")->capture_default_str();
  app.add_option("--store", f.options.store,
                 "where the database is instead: a file path, sqlite:PATH, sqlite:///abs/path, or PostgreSQL as "
                 "postgresql://USER@HOST:PORT/DB (any libpq URI; also postgres://) (default: DATA_DIR/occhat.db)")
      ->type_name("LOCATION");
  app.add_option("--files-dir", f.files_dir,
                 "directory for the bytes of files, whichever the store (default: DATA_DIR/files)")
      ->type_name("DIR");
  app.add_option("--login-max-failures", f.options.login_max_failures,
                 "consecutive failed logins of one id from one client address before that address must wait "
                 "(RATE_LIMITED); the owner elsewhere is not affected")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--login-account-max-failures", f.options.login_account_max_failures,
                 "consecutive failed logins of one id from all addresses together before every address must wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--login-address-max-failures", f.options.login_address_max_failures,
                 "consecutive failed logins from one client address across all ids before that address must wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--login-lockout-seconds", f.options.login_lockout_seconds,
                 "the first wait after too many failures; doubles with each further round, max 15 min")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--idle-timeout-seconds", f.options.idle_timeout_seconds,
                 "close connections from which nothing arrived for this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--max-file-size", f.options.max_file_size,
                 "largest file an upload may announce, in bytes (checked before anything is stored)")
      ->capture_default_str();
  app.add_option("--upload-expiry-hours", f.options.upload_expiry_hours,
                 "remove unfinished uploads after this many hours without activity")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 365));
  app.add_option("--min-free-bytes", f.options.min_free_bytes,
                 "refuse uploads unless this many bytes stay free on the data dir's file system after all "
                 "unfinished uploads (room for logins and messages)")
      ->capture_default_str();
  app.add_option("--max-unfinished-uploads", f.options.max_unfinished_uploads,
                 "unfinished uploads one user may have at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--max-unfinished-upload-bytes", f.options.max_unfinished_upload_bytes,
                 "announced bytes of one user's unfinished uploads together")
      ->capture_default_str();
  app.add_option("--max-connections", f.options.max_connections,
                 "open connections in all; more are refused with RESOURCE_EXHAUSTED (0: the open-file "
                 "limit minus 64)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_option("--max-unauthenticated", f.options.max_unauthenticated,
                 "connections not logged in; more are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--max-unauthenticated-per-address", f.options.max_unauthenticated_per_address,
                 "connections not logged in from one client address; more are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--max-queued-bytes", f.options.max_queued_bytes,
                 "bytes queued for clients across all connections; above it, connections with unsent answers "
                 "handle no new requests until they drain")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1024 * 1024}, std::uint64_t{1} << 40));
  app.add_option("--write-stall-timeout-seconds", f.options.write_stall_timeout_seconds,
                 "close a connection whose queued frames could not be written for this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--login-timeout-seconds", f.options.login_timeout_seconds,
                 "close connections that have not logged in after this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--message-rate", f.options.message_rate,
                 "messages per second per user (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--message-burst", f.options.message_burst, "messages a user may send at once above the rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--register-rate-per-address", f.options.register_rate_per_address,
                 "registrations per hour from one client address (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--register-burst-per-address", f.options.register_burst_per_address,
                 "registrations one client address may make at once above its rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--register-rate", f.options.register_rate,
                 "registrations per second across the server (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--register-burst", f.options.register_burst,
                 "registrations the server accepts at once above --register-rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--friend-request-rate", f.options.friend_request_rate,
                 "new friend requests per hour per user (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--friend-request-burst", f.options.friend_request_burst,
                 "friend requests a user may send at once above the rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--find-rate", f.options.find_rate,
                 "user lookups by id (find) per hour per user (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--find-burst", f.options.find_burst, "lookups a user may make at once above the rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--max-room-members", f.options.max_room_members,
                 "members one room may have; invitations and joins past it are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  app.add_option("--max-rooms-per-user", f.options.max_rooms_per_user,
                 "rooms one user may own at once; more are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--registration", f.registration,
                 "open = anyone may register; closed = REGISTER is refused with NOT_ALLOWED (only existing "
                 "accounts log in)")
      ->capture_default_str()
      ->check(CLI::IsMember({"open", "closed"}));
  app.add_option("--durability", f.durability,
                 "when a message counts as stored: disk = fsynced (survives power loss); process = "
                 "written to the OS (survives a server crash, not a power loss; lower latency)")
      ->capture_default_str()
      ->check(CLI::IsMember({"disk", "process"}));
  app.add_option("--log-level", f.log_level,
                 "quiet: no log lines; info: connections, logins, friendships, files, errors; "
                 "debug: also one line per message")
      ->capture_default_str()
      ->check(CLI::IsMember({"quiet", "info", "debug"}));
  app.add_option("--metrics-listen", f.metrics_listen,
                 "serve Prometheus metrics on GET /metrics and a health check on GET /healthz at HOST:PORT "
                 "(nothing else; off by default). Keep it on a private address")
      ->type_name("HOST:PORT");
  app.add_option("--log-format", f.log_format,
                 "text: one line per event, after an ISO-8601 UTC time (left out under systemd, whose journal "
                 "adds its own); json: one {\"time\":...,\"message\":...} object per line, for log shippers")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--tls-cert", f.tls_cert,
                 "serve TLS with this certificate chain (PEM, leaf first, e.g. fullchain.pem); needs --tls-key")
      ->type_name("FILE");
  app.add_option("--tls-key", f.tls_key, "the private key of --tls-cert (PEM, unencrypted, e.g. privkey.pem)")
      ->type_name("FILE");
  app.add_option("--bus", f.options.bus_url,
                 "run as one node of a cluster: the NATS server (nats://HOST:PORT) that carries pushes, "
                 "presence and revocations between the nodes; needs a PostgreSQL --store shared by all")
      ->type_name("nats://HOST:PORT");
  app.add_option("--node-id", f.options.node_id,
                 "this node's name in logs and heartbeats (default: HOSTNAME:PORT); unique in the cluster")
      ->type_name("NAME");
  app.add_option("--startup-wait", f.options.startup_wait_seconds,
                 "seconds start-up keeps retrying PostgreSQL and NATS before it exits 1 (0: one try)")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  app.add_flag("--reuse-port", f.options.reuse_port,
               "SO_REUSEPORT on the listener, so several nodes on one machine share one port");
  app.add_option("--tls-handshake-timeout-seconds", f.options.tls_handshake_timeout_seconds,
                 "close TLS connections that have not completed the handshake after this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
}

std::optional<std::string> finish_server_options(ServerFlags& f) {
  if (!parse_host_port(f.listen, f.options.host, f.options.port)) {
    return fmt::format("--listen must be HOST:PORT, got '{}'", f.listen);
  }
  if (!f.metrics_listen.empty() &&
      !parse_host_port(f.metrics_listen, f.options.metrics_host, f.options.metrics_port)) {
    return fmt::format("--metrics-listen must be HOST:PORT, got '{}'", f.metrics_listen);
  }
  if (f.tls_cert.empty() != f.tls_key.empty()) {
    return std::string("--tls-cert and --tls-key go together: give both or neither");
  }
  if (!f.options.bus_url.empty()) {
    const std::string& store = f.options.store;
    if (!store.starts_with("postgresql://") && !store.starts_with("postgres://")) {
      return std::string("--bus needs a PostgreSQL store (--store postgresql://...)");
    }
    if (!f.options.bus_url.starts_with("nats://")) {
      return fmt::format("--bus must be nats://HOST:PORT, got '{}'", f.options.bus_url);
    }
  }
  f.options.tls_cert_file = f.tls_cert;
  f.options.tls_key_file = f.tls_key;
  f.options.data_dir = f.data_dir;
  f.options.files_dir = f.files_dir;
  f.options.log_level = log_level_named(f.log_level).value();  // checked by IsMember
  f.options.log_format = f.log_format == "json" ? LogFormat::json : LogFormat::text;
  // systemd sets JOURNAL_STREAM when stderr goes to the journal, which stamps each line itself.
  f.options.log_timestamps = std::getenv("JOURNAL_STREAM") == nullptr;
  f.options.fsync_commits = f.durability == "disk";
  f.options.registration_open = f.registration == "open";
  return std::nullopt;
}

}  // namespace occhat::server

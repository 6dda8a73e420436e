// occhat-server: flags, then run the server until SIGINT/SIGTERM.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>

#include "occhat/server/server.hpp"

namespace {

// "HOST:PORT"; an IPv6 host goes in brackets: "[::1]:7878".
bool parse_listen(const std::string& text, occhat::server::ServerOptions& options) {
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
  options.host = host;
  options.port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  occhat::server::ServerOptions options;
  std::string listen = "127.0.0.1:7878";
  std::string data_dir = "./occhat-data";

  CLI::App app{"occhat-server: the occhat chat server"};
  app.add_option("--listen", listen, "address to listen on, HOST:PORT (port 0 picks a free port)")
      ->capture_default_str();
  app.add_option("--data-dir", data_dir, "directory for the database and the files")->capture_default_str();
  app.add_option("--store", options.store,
                 "where the database is instead: a file path, sqlite:PATH or sqlite:///abs/path (files stay in "
                 "--data-dir; default: DATA_DIR/occhat.db)")
      ->type_name("LOCATION");
  app.add_option("--login-max-failures", options.login_max_failures,
                 "consecutive failed logins of one id from one client address before that address must wait "
                 "(RATE_LIMITED); the owner elsewhere is not affected")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--login-account-max-failures", options.login_account_max_failures,
                 "consecutive failed logins of one id from all addresses together before every address must wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--login-address-max-failures", options.login_address_max_failures,
                 "consecutive failed logins from one client address across all ids before that address must wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--login-lockout-seconds", options.login_lockout_seconds,
                 "the first wait after too many failures; doubles with each further round, max 15 min")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--idle-timeout-seconds", options.idle_timeout_seconds,
                 "close connections from which nothing arrived for this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--max-file-size", options.max_file_size,
                 "largest file an upload may announce, in bytes (checked before anything is stored)")
      ->capture_default_str();
  app.add_option("--upload-expiry-hours", options.upload_expiry_hours,
                 "remove unfinished uploads after this many hours without activity")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 365));
  app.add_option("--min-free-bytes", options.min_free_bytes,
                 "refuse uploads unless this many bytes stay free on the data dir's file system after all "
                 "unfinished uploads (room for logins and messages)")
      ->capture_default_str();
  app.add_option("--max-unfinished-uploads", options.max_unfinished_uploads,
                 "unfinished uploads one user may have at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--max-unfinished-upload-bytes", options.max_unfinished_upload_bytes,
                 "announced bytes of one user's unfinished uploads together")
      ->capture_default_str();
  app.add_option("--max-connections", options.max_connections,
                 "open connections in all; more are refused with RESOURCE_EXHAUSTED (0: the open-file "
                 "limit minus 64)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_option("--max-unauthenticated", options.max_unauthenticated,
                 "connections not logged in; more are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--max-unauthenticated-per-address", options.max_unauthenticated_per_address,
                 "connections not logged in from one client address; more are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--max-queued-bytes", options.max_queued_bytes,
                 "bytes queued for clients across all connections; above it, connections with unsent answers "
                 "handle no new requests until they drain")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1024 * 1024}, std::uint64_t{1} << 40));
  app.add_option("--write-stall-timeout-seconds", options.write_stall_timeout_seconds,
                 "close a connection whose queued frames could not be written for this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--login-timeout-seconds", options.login_timeout_seconds,
                 "close connections that have not logged in after this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--message-rate", options.message_rate,
                 "messages per second per user (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--message-burst", options.message_burst, "messages a user may send at once above the rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--register-rate-per-address", options.register_rate_per_address,
                 "registrations per hour from one client address (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--register-burst-per-address", options.register_burst_per_address,
                 "registrations one client address may make at once above its rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--register-rate", options.register_rate,
                 "registrations per second across the server (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--register-burst", options.register_burst,
                 "registrations the server accepts at once above --register-rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--friend-request-rate", options.friend_request_rate,
                 "new friend requests per hour per user (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--friend-request-burst", options.friend_request_burst,
                 "friend requests a user may send at once above the rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--find-rate", options.find_rate,
                 "user lookups by id (find) per hour per user (0: unlimited); beyond it RATE_LIMITED")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--find-burst", options.find_burst, "lookups a user may make at once above the rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--max-room-members", options.max_room_members,
                 "members one room may have; invitations and joins past it are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  app.add_option("--max-rooms-per-user", options.max_rooms_per_user,
                 "rooms one user may own at once; more are refused with RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  std::string registration = "open";
  app.add_option("--registration", registration,
                 "open = anyone may register; closed = REGISTER is refused with NOT_ALLOWED (only existing "
                 "accounts log in)")
      ->capture_default_str()
      ->check(CLI::IsMember({"open", "closed"}));
  std::string durability = "disk";
  app.add_option("--durability", durability,
                 "when a message counts as stored: disk = fsynced (survives power loss); process = "
                 "written to the OS (survives a server crash, not a power loss; lower latency)")
      ->capture_default_str()
      ->check(CLI::IsMember({"disk", "process"}));
  std::string log_level = "info";
  app.add_option("--log-level", log_level,
                 "quiet: no log lines; info: connections, logins, friendships, files, errors; "
                 "debug: also one line per message")
      ->capture_default_str()
      ->check(CLI::IsMember({"quiet", "info", "debug"}));
  std::string tls_cert;
  std::string tls_key;
  app.add_option("--tls-cert", tls_cert,
                 "serve TLS with this certificate chain (PEM, leaf first, e.g. fullchain.pem); needs --tls-key")
      ->type_name("FILE");
  app.add_option("--tls-key", tls_key, "the private key of --tls-cert (PEM, unencrypted, e.g. privkey.pem)")
      ->type_name("FILE");
  app.add_option("--tls-handshake-timeout-seconds", options.tls_handshake_timeout_seconds,
                 "close TLS connections that have not completed the handshake after this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  app.set_version_flag("--version", "occhat-server 0.1.0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "occhat-server: {}\n", e.what());
    return 1;
  }
  if (!parse_listen(listen, options)) {
    fmt::print(stderr, "occhat-server: --listen must be HOST:PORT, got '{}'\n", listen);
    return 1;
  }
  if (tls_cert.empty() != tls_key.empty()) {
    fmt::print(stderr, "occhat-server: --tls-cert and --tls-key go together: give both or neither\n");
    return 1;
  }
  options.tls_cert_file = tls_cert;
  options.tls_key_file = tls_key;
  options.data_dir = data_dir;
  options.log_level = occhat::server::log_level_named(log_level).value();  // checked by IsMember
  options.fsync_commits = durability == "disk";
  options.registration_open = registration == "open";

  try {
    occhat::server::Server server(options);
    // Scripts and tests wait for exactly this line, so it is flushed at once.
    fmt::print("listening on {}\n", server.address());
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    fmt::print(stderr, "occhat-server: {}\n", e.what());
    return 1;
  }
  return 0;
}

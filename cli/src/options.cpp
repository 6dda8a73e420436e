#include "options.hpp"

#include <charconv>
#include <string_view>

#include "errors.hpp"

namespace occhat::cli {

void add_global_options(CLI::App& app, GlobalOptions& options) {
  // Subcommands created later inherit this, so `occhat whoami --json` works like `occhat --json whoami`.
  app.fallthrough();
  app.add_option("--server", options.server,
                 "Server as HOST:PORT, or a cluster's nodes as HOST:PORT,HOST:PORT,... to fail over between "
                 "(default: the saved session's server, else " +
                     std::string(default_server) + ")")
      ->envname("OCCHAT_SERVER")
      ->type_name("HOST:PORT[,...]");
  app.add_option("--home", options.home, "Directory holding session.json (default: ~/.occhat)")
      ->envname("OCCHAT_HOME")
      ->type_name("DIR");
  app.add_flag("--json", options.json, "Machine-readable output: one JSON object per result");
  app.add_flag("--tls", options.tls,
               "Connect with TLS, verifying the server's certificate and host name (remembered by login)")
      ->envname("OCCHAT_TLS");
  app.add_option("--ca", options.ca,
                 "Trust the CA certificate(s) in this PEM file instead of the system store; implies --tls")
      ->envname("OCCHAT_CA")
      ->type_name("FILE");
}

std::string resolve_server(const GlobalOptions& options, const std::string& fallback) {
  if (!options.server.empty()) return options.server;
  if (!fallback.empty()) return fallback;
  return std::string(default_server);
}

namespace {

bool is_host_port(std::string_view entry) {
  const auto colon = entry.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == entry.size()) return false;
  const std::string_view port_text = entry.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  return ec == std::errc{} && end == port_text.data() + port_text.size() && port != 0 && port <= 65535;
}

}  // namespace

void validate_server_address(const std::string& server) {
  if (server.find(',') == std::string::npos) {
    if (!is_host_port(server)) throw usage_error("invalid server address \"" + server + "\": expected HOST:PORT");
    return;
  }
  std::size_t start = 0;
  for (;;) {
    const auto comma = server.find(',', start);
    const std::string entry = server.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!is_host_port(entry)) {
      throw usage_error("invalid server address \"" + entry + "\" in \"" + server +
                        "\": expected HOST:PORT or a comma-separated list HOST:PORT,HOST:PORT,...");
    }
    if (comma == std::string::npos) return;
    start = comma + 1;
  }
}

bool argv_wants_json(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--json") return true;
  }
  return false;
}

}  // namespace occhat::cli

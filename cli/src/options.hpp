#pragma once
// Global options, accepted before or after the subcommand (CLI11 fallthrough).

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace occhat::cli {

inline constexpr std::string_view default_server = "127.0.0.1:7878";

struct GlobalOptions {
  std::string server;  // --server / OCCHAT_SERVER (one HOST:PORT or a list); empty when neither was given
  std::string home;    // --home / OCCHAT_HOME; empty means ~/.occhat
  bool json = false;   // --json
  bool tls = false;    // --tls / OCCHAT_TLS=1 (also implied by --ca)
  std::string ca;      // --ca / OCCHAT_CA: PEM file of the CA to trust; empty = system store
};

// Declares --server, --home, --json, --tls and --ca on the root app and makes subcommands fall through to it.
void add_global_options(CLI::App& app, GlobalOptions& options);

// The server a command talks to: the explicit --server/OCCHAT_SERVER if given, else `fallback`
// (the saved session's server, for commands that use one), else the default.
std::string resolve_server(const GlobalOptions& options, const std::string& fallback = {});

// Throws a usage error unless `server` looks like HOST:PORT with a port in 1..65535, or is a
// comma-separated list of such entries (the error then names the bad entry).
void validate_server_address(const std::string& server);

// True if argv asks for --json. Used only to format errors of a parse that failed, when the
// parsed options are not available.
bool argv_wants_json(int argc, const char* const* argv);

}  // namespace occhat::cli

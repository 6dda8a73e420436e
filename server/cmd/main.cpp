// occhat-server: flags (from the command line and --config FILE), then run the server until
// SIGINT/SIGTERM, or an operator command (user ..., stats, export, import) on its store.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "config_file.hpp"
#include "dump_commands.hpp"
#include "operator_commands.hpp"
#include "server_flags.hpp"

namespace {

using occhat::server::ServerFlags;

// The config file's entries, then the command line: CLI11 keeps the last value of a flag, so the
// command line wins. Throws ConfigError.
std::vector<std::string> arguments_with_config(int argc, char** argv) {
  std::vector<std::string> args;
  const std::string config = occhat::server::config_path_in(argc, argv);
  if (!config.empty()) {
    ServerFlags scratch;
    args = occhat::server::config_arguments(config, occhat::server::read_config_file(config),
                                            [&scratch](CLI::App& probe) { add_server_flags(probe, scratch); });
  }
  args.insert(args.end(), argv + 1, argv + argc);
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector of arguments last-first
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  ServerFlags flags;
  CLI::App app{"occhat-server: the occhat chat server"};
  add_server_flags(app, flags);
  std::string config;  // read before the parse (arguments_with_config); here for --help and checks
  app.add_option("--config", config,
                 "read flags from FILE: one 'key = value' per line, a key being a flag's name without the "
                 "dashes; flags on the command line override it")
      ->type_name("FILE");
  app.set_version_flag("--version", "occhat-server " OCCHAT_VERSION);
  occhat::server::add_operator_commands(app);
  occhat::server::add_dump_commands(app);
  try {
    std::vector<std::string> args = arguments_with_config(argc, argv);
    app.parse(args);
  } catch (const occhat::server::ConfigError& e) {
    fmt::print(stderr, "occhat-server: {}\n", e.what());
    return 1;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "occhat-server: {}\n", e.what());
    return 1;
  }
  if (const auto error = finish_server_options(flags)) {
    fmt::print(stderr, "occhat-server: {}\n", *error);
    return 1;
  }
  if (const auto exit_code = occhat::server::run_operator_command(app, flags.options)) return *exit_code;
  if (const auto exit_code = occhat::server::run_dump_command(app, flags.options)) return *exit_code;

  try {
    occhat::server::Server server(flags.options);
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

#include "app.hpp"

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "errors.hpp"
#include "exit_codes.hpp"
#include "extra_words.hpp"
#include "help_formatter.hpp"
#include "options.hpp"
#include "output.hpp"

namespace occhat::cli {
namespace {

int run_or_throw(int argc, char** argv) {
  GlobalOptions options;
  CLI::App app{"occhat: chat from the terminal and from scripts", "occhat"};
  // Set before the subcommands exist: they copy the root's formatter when created.
  app.formatter(std::make_shared<HelpFormatter>());
  app.set_version_flag("--version", "occhat " OCCHAT_VERSION);
  add_global_options(app, options);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 usage error, 2 cannot reach the server, 3 authentication failed or\n"
      "not logged in, 4 not found, 5 not allowed, 6 rate-limited, 7 integrity error,\n"
      "10 other server error.");

  const auto commands = make_commands();
  std::vector<std::pair<CLI::App*, Command*>> subcommands;
  for (const auto& command : commands) {
    CLI::App* sub = app.add_subcommand(command->name(), command->description());
    command->configure(*sub);
    subcommands.emplace_back(sub, command.get());
  }
  keep_extra_words(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and friends are "errors" with exit code 0: CLI11 prints the help to stdout.
    if (e.get_exit_code() == 0) return app.exit(e);
    // Anything else is a usage error with our one-line format and exit code 1 (not CLI11's).
    std::string message = e.what();
    if (e.get_name() == "RequiredError" && app.get_subcommands().empty()) {
      const auto rest = app.remaining();
      message = rest.empty() ? "missing command (run: occhat --help)"
                             : "unknown command \"" + rest.front() + "\" (run: occhat --help)";
    }
    return Output(argv_wants_json(argc, argv)).error(usage_error(message));
  }

  const Output out(options.json);
  try {
    check_extra_words(app);
    // Checked before any password prompt, so a typo does not cost typing the password.
    if (!options.server.empty()) validate_server_address(options.server);
    Context ctx{options, out, Home::resolve(options.home)};
    for (const auto& [sub, command] : subcommands) {
      if (sub->parsed()) {
        command->run(ctx);
        return exit_code::success;
      }
    }
    throw usage_error("missing command (run: occhat --help)");
  } catch (const Error& e) {
    return out.error(e);
  } catch (const std::exception& e) {
    return out.error(Error(ErrorCode::internal, std::string("internal error: ") + e.what()));
  }
}

}  // namespace

int run(int argc, char** argv) noexcept {
  // Output to a closed pipe (`occhat ... | head -0`) must be an error, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  const bool json = argv_wants_json(argc, argv);
  try {
    try {
      return run_or_throw(argc, argv);
    } catch (const Error& e) {
      return Output(json).error(e);
    } catch (const std::exception& e) {
      return Output(json).error(Error(ErrorCode::internal, std::string("internal error: ") + e.what()));
    } catch (...) {
      return Output(json).error(Error(ErrorCode::internal, "internal error"));
    }
  } catch (...) {
    // Printing the error failed too (e.g. stdout closed); the exit code still tells.
    std::fputs("occhat: internal error\n", stderr);
    return exit_code::other;
  }
}

}  // namespace occhat::cli

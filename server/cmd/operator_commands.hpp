#pragma once
// occhat-server's operator commands, run instead of the server when named:
//   occhat-server [--config FILE] [--data-dir DIR | --store LOCATION] user list [--json]
//   ... user reset-password ID     (the new password: first line of stdin)
//   ... user disable ID | user enable ID | user delete ID --yes
//   ... stats [--json]
// They work on the store directly, with the server stopped or running (SQLite waits for the
// server's write lock); a running server closes the connections of an account disabled or reset
// within a second (it polls the store's account events).
// Exit codes: 0 done, 1 usage or store error, 4 no such user.

#include <CLI/CLI.hpp>

#include <functional>

#include "occhat/server/server.hpp"

namespace occhat::server {

// Adds the subcommands to `app`. After parsing, run_operator_command() runs the one given.
void add_operator_commands(CLI::App& app);

// Runs the operator command named on the command line, if any: its exit code. nullopt when none
// was named (start the server).
std::optional<int> run_operator_command(CLI::App& app, const ServerOptions& options);

}  // namespace occhat::server

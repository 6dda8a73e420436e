#pragma once
// occhat-server export and import (the README's "Export, import and backups"):
//   occhat-server [--data-dir DIR | --store LOCATION] export [--files-dir DIR] > dump.jsonl
//   occhat-server [--data-dir DIR | --store LOCATION] import [--files-dir DIR] [--merge] < dump.jsonl
// Exit codes: 0 done, 1 usage, I/O or store error, 6 import into a store that is not empty
// without --merge, 7 a malformed dump.

#include <CLI/CLI.hpp>

#include <optional>

#include "occhat/server/server.hpp"

namespace occhat::server {

void add_dump_commands(CLI::App& app);

// Runs export or import if one was named: its exit code; nullopt otherwise.
std::optional<int> run_dump_command(CLI::App& app, const ServerOptions& options);

}  // namespace occhat::server

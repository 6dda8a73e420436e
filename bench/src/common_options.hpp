#pragma once
// Options every subcommand takes: which server binary, where to work, what to pass through.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "server_process.hpp"

namespace occhat::bench {

struct CommonOptions {
  std::string server_bin;                // empty: next to occhat-bench in the build tree
  std::string work_dir;                  // empty: a fresh mkdtemp dir under /tmp
  bool keep = false;                     // keep the work dir (server.log, database) at exit
  std::vector<std::string> server_args;  // passed to occhat-server verbatim
  bool quick = false;                    // scaled-down sizes for a fast smoke run
  unsigned threads = 1;                  // client io_context threads
  std::string store;                     // empty: SQLite in <dir>/data; else a location (postgresql://...)
};

// Adds the common options to `app` (a subcommand), bound to `options`.
void add_common_options(CLI::App& app, CommonOptions& options);

// The occhat-server to start: --server-bin, else <dir of this executable>/../server/occhat-server.
std::string resolve_server_bin(const CommonOptions& options);

// The server of a load run: resolve_server_bin() on a port the kernel picks, data in <dir>/data,
// log in <dir>/server.log, no idle timeout and no per-user message rate (capacity, not policy,
// is measured), then the --server-arg values.
harness::ServerConfig server_config(const CommonOptions& options, const std::string& dir);

}  // namespace occhat::bench

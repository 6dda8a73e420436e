#include "common_options.hpp"

#include <unistd.h>

#include <filesystem>

#include "bench_error.hpp"

namespace occhat::bench {

void add_common_options(CLI::App& app, CommonOptions& options) {
  app.add_option("--server-bin", options.server_bin,
                 "occhat-server binary (default: ../server/occhat-server next to occhat-bench)");
  app.add_option("--work-dir", options.work_dir,
                 "directory for the server's data and the test files (default: a new dir under /tmp)");
  app.add_flag("--keep", options.keep, "keep the work dir at exit");
  // Write values that start with "-" as --server-arg=--flag=value (CLI11 would take them for
  // options of ours otherwise).
  app.add_option("--server-arg", options.server_args, "extra occhat-server argument, repeatable: --server-arg=--flag=value")
      ->allow_extra_args(false);
  app.add_flag("--quick", options.quick, "scaled-down run");
  app.add_option("--threads", options.threads, "client I/O threads")->check(CLI::Range(1, 64));
  app.add_option("--store", options.store,
                 "run the server on this store (e.g. postgresql://USER@HOST:PORT/DB) instead of SQLite in the work "
                 "dir; the bench seeds its users there, so use an empty database");
}

std::string resolve_server_bin(const CommonOptions& options) {
  namespace fs = std::filesystem;
  fs::path bin = options.server_bin;
  if (bin.empty()) {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw BenchError("cannot find own executable: " + ec.message());
    bin = self.parent_path() / ".." / "server" / "occhat-server";
  }
  if (::access(bin.c_str(), X_OK) != 0) {
    throw BenchError("occhat-server not found or not executable at " + bin.string() + " (use --server-bin)");
  }
  return fs::weakly_canonical(bin).string();
}

harness::ServerConfig server_config(const CommonOptions& options, const std::string& dir) {
  harness::ServerConfig config;
  config.binary = resolve_server_bin(options);
  config.data_dir = dir + "/data";
  config.log_path = dir + "/server.log";
  // The bench measures throughput, not the abuse limits: its clients come from a few 127.0.0.x
  // addresses, up to --in-flight handshakes at a time.
  config.extra_args = {"--idle-timeout-seconds", "86400", "--message-rate", "0",
                       "--max-unauthenticated-per-address", "1000000"};
  if (!options.store.empty()) {
    config.extra_args.push_back("--store");
    config.extra_args.push_back(options.store);
  }
  config.extra_args.insert(config.extra_args.end(), options.server_args.begin(), options.server_args.end());
  return config;
}

}  // namespace occhat::bench

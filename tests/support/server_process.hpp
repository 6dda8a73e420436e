#pragma once
// One occhat-server child process, for the integration tests and occhat-bench (library
// occhat_harness): started on the port the kernel picks (its "listening on HOST:PORT" line read
// from stdout with a bounded wait), stderr appended to a log file, stopped with a signal and,
// if it does not exit within a grace period, SIGKILL.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace occhat::harness {

struct ServerConfig {
  std::string binary;                  // path of occhat-server
  std::string listen = "127.0.0.1:0";  // --listen
  std::string data_dir;                // empty: a fresh directory under /tmp, removed at destruction
  std::string log_path;                // empty: <data_dir>.log
  std::vector<std::string> extra_args;
  std::chrono::seconds start_timeout{20};  // for the "listening on" line
  std::chrono::seconds stop_grace{10};     // after stop()'s signal, before SIGKILL
};

class ServerProcess {
 public:
  // Starts the server; throws std::runtime_error if it does not print its listening line in time.
  explicit ServerProcess(ServerConfig config);
  ~ServerProcess();  // stop(SIGTERM), then removes a data dir it made
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server (again, after stop(): same data dir, new port).
  void start();
  // Sends `signal`, waits (SIGKILL after stop_grace) and returns the exit status as from
  // waitpid, or -1 if nothing was running (status() then has how it ended, if it did).
  int stop(int signal = SIGTERM);
  // False once the child has exited (reaped here; status() tells how).
  bool running();

  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  std::uint16_t port() const { return port_; }
  const std::string& data_dir() const { return config_.data_dir; }
  const std::string& log_path() const { return config_.log_path; }
  // Everything the server wrote to stderr so far.
  std::string log() const;
  // How the last run ended: "exit 0", "killed by signal 9", ...; empty while it runs.
  const std::string& ended() const { return ended_; }
  // VmRSS of the server in bytes; throws std::runtime_error if the process is gone.
  std::uint64_t rss_bytes() const;

 private:
  void reaped(int status);

  ServerConfig config_;
  std::string owned_dir_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;  // kept open while the server runs, so its writes never hit a closed pipe
  std::string address_;
  std::uint16_t port_ = 0;
  std::string ended_;
};

// VmRSS of process `pid` in bytes, 0 if it cannot be read.
std::uint64_t rss_bytes_of(pid_t pid);

// A loopback port on which nothing listens (bound, then released): a server that is down, or
// the port a server is started on later.
std::uint16_t unused_port();

}  // namespace occhat::harness

#ifdef OCCHAT_SERVER_BIN
#include "test_store.hpp"

namespace occhat::test {

// The store of one test server, made before the process starts (a base, so it is constructed
// first and destroyed last).
class WithTestStore {
 protected:
  explicit WithTestStore(const std::string& data_dir) : test_store_(data_dir) {}
  TestStore test_store_;
};

// The tests' server: the occhat-server of this build (OCCHAT_SERVER_BIN, set by the
// occhat_test_support target), a fresh data dir unless one is given, on the store
// OCCHAT_TEST_STORE names (test_store.hpp; SQLite by default).
class ServerProcess : private WithTestStore, public harness::ServerProcess {
 public:
  explicit ServerProcess(std::string data_dir = {}, std::vector<std::string> extra_args = {})
      : WithTestStore(data_dir),
        harness::ServerProcess(config(std::move(data_dir), test_store_.server_args(), std::move(extra_args))) {
    test_store_.remember_in(harness::ServerProcess::data_dir());
  }

 private:
  static harness::ServerConfig config(std::string data_dir, std::vector<std::string> store_args,
                                      std::vector<std::string> extra_args) {
    harness::ServerConfig c;
    c.binary = OCCHAT_SERVER_BIN;
    c.data_dir = std::move(data_dir);
    // The test's own flags last: they win over the store's (a flag given twice keeps the last).
    c.extra_args = std::move(store_args);
    c.extra_args.insert(c.extra_args.end(), extra_args.begin(), extra_args.end());
    return c;
  }
};

}  // namespace occhat::test
#endif

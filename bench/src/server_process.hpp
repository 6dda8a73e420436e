#pragma once
// One occhat-server child process per benchmark: started on a port the kernel picks, its
// "listening on HOST:PORT" line read from stdout (bounded wait), stderr to a log file, stopped
// with SIGTERM (SIGKILL if it does not exit in time).

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace occhat::bench {

struct ServerConfig {
  std::string binary;
  std::string listen = "127.0.0.1:0";
  std::string data_dir;
  std::string log_path;
  std::vector<std::string> extra_args;
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerConfig config);  // throws BenchError if it does not start in 20 s
  ~ServerProcess();                             // stop()
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // VmRSS of the server in bytes (throws if the process is gone).
  std::uint64_t rss_bytes() const;
  // True while the child has not exited.
  bool running();
  // SIGTERM, then SIGKILL after 10 s. Returns a description of how it ended ("exit 0", ...).
  std::string stop();

 private:
  ServerConfig config_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string ended_;
};

}  // namespace occhat::bench

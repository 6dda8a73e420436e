#pragma once
// Starts a real occhat-server process for a test: fresh data dir (unless one is given), port 0,
// waits for its "listening on HOST:PORT" line. Stops it with SIGTERM on destruction.

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace occhat::test {

class ServerProcess {
 public:
  // data_dir empty: a fresh directory under the system temp dir, removed by the destructor.
  explicit ServerProcess(std::string data_dir = {}, std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)) {
    if (data_dir.empty()) {
      char tmpl[] = "/tmp/occhat-test-XXXXXX";
      if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
      owned_dir_ = tmpl;
      data_dir_ = owned_dir_ + "/data";
    } else {
      data_dir_ = std::move(data_dir);
    }
    log_path_ = data_dir_ + ".log";
    start();
  }

  ~ServerProcess() {
    stop(SIGTERM);
    if (!owned_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(owned_dir_, ec);
    }
  }

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server (again, after stop(): same data dir, new port). Throws if it does not
  // print its listening line within 15 s.
  void start() {
    int out_pipe[2];
    if (pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> args = {OCCHAT_SERVER_BIN, "--listen", "127.0.0.1:0", "--data-dir", data_dir_};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(out_pipe[1], STDOUT_FILENO);
      FILE* log = std::fopen(log_path_.c_str(), "a");
      if (log) dup2(fileno(log), STDERR_FILENO);
      close(out_pipe[0]);
      close(out_pipe[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out_pipe[1]);
    stdout_ = fdopen(out_pipe[0], "r");
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    char buf[256];
    while (std::chrono::steady_clock::now() < deadline) {
      if (!std::fgets(buf, sizeof buf, stdout_)) break;
      line = buf;
      const std::string prefix = "listening on ";
      if (line.rfind(prefix, 0) == 0) {
        address_ = line.substr(prefix.size());
        while (!address_.empty() && (address_.back() == '\n' || address_.back() == '\r')) address_.pop_back();
        port_ = static_cast<std::uint16_t>(std::stoi(address_.substr(address_.rfind(':') + 1)));
        return;
      }
    }
    stop(SIGKILL);
    throw std::runtime_error("occhat-server did not start; log: " + log());
  }

  // Sends `signal` and waits for the process; returns its exit status (as from waitpid), or -1
  // if it was not running.
  int stop(int signal = SIGTERM) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (stdout_) {
      std::fclose(stdout_);
      stdout_ = nullptr;
    }
    return status;
  }

  bool running() const {
    if (pid_ <= 0) return false;
    return waitpid(pid_, nullptr, WNOHANG) == 0;
  }

  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }
  std::uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  // Everything the server wrote to stderr so far.
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::vector<std::string> extra_args_;
  std::string owned_dir_;
  std::string data_dir_;
  std::string log_path_;
  std::string address_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
};

}  // namespace occhat::test

#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "bench_error.hpp"

namespace occhat::bench {
namespace {

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

ServerProcess::ServerProcess(ServerConfig config) : config_(std::move(config)) {
  std::vector<std::string> args = {config_.binary, "--listen", config_.listen, "--data-dir", config_.data_dir,
                                   "--idle-timeout-seconds", "86400",
                                   // Capacity, not policy, is measured: no per-user message rate.
                                   "--message-rate", "0"};
  args.insert(args.end(), config_.extra_args.begin(), config_.extra_args.end());
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw BenchError("pipe failed");
  const int log = ::open(config_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw BenchError("cannot open " + config_.log_path);
  pid_ = ::fork();
  if (pid_ < 0) throw BenchError("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(log);
  stdout_fd_ = out[0];

  // Read stdout until the listening line, polling so a server that never prints cannot hang us.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string text;
  const std::string prefix = "listening on ";
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[256];
    const auto n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    const auto at = text.find(prefix);
    const auto eol = at == std::string::npos ? std::string::npos : text.find('\n', at);
    if (eol != std::string::npos) {
      const std::string address = text.substr(at + prefix.size(), eol - at - prefix.size());
      port_ = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
      return;
    }
  }
  const std::string how = stop();
  throw BenchError("occhat-server did not start (" + how + "; no 'listening on' line within 20 s); see " +
                   config_.log_path);
}

ServerProcess::~ServerProcess() { stop(); }

std::uint64_t ServerProcess::rss_bytes() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:  1234 kB"
  }
  throw BenchError("cannot read the server's VmRSS (did it exit?)");
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    ended_ = describe_status(status);
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ServerProcess::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    pid_t done = 0;
    while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (done == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      ended_ = "did not exit within 10 s of SIGTERM: killed";
    } else {
      ended_ = describe_status(status);
    }
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
  return ended_;
}

}  // namespace occhat::bench

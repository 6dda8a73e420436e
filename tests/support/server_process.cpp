#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace occhat::harness {
namespace {

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

ServerProcess::ServerProcess(ServerConfig config) : config_(std::move(config)) {
  if (config_.data_dir.empty()) {
    char tmpl[] = "/tmp/occhat-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    owned_dir_ = tmpl;
    config_.data_dir = owned_dir_ + "/data";
  }
  if (config_.log_path.empty()) config_.log_path = config_.data_dir + ".log";
  start();
}

ServerProcess::~ServerProcess() {
  stop(SIGTERM);
  if (!owned_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(owned_dir_, ec);
  }
}

void ServerProcess::start() {
  std::vector<std::string> args = {config_.binary, "--listen", config_.listen, "--data-dir", config_.data_dir};
  args.insert(args.end(), config_.extra_args.begin(), config_.extra_args.end());
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const int log_fd = ::open(config_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("cannot open " + config_.log_path);
  }
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(log_fd);
  stdout_fd_ = out[0];
  ended_.clear();

  // Read stdout until the listening line, polling so a server that never prints cannot hang us.
  const auto deadline = std::chrono::steady_clock::now() + config_.start_timeout;
  const std::string prefix = "listening on ";
  std::string text;
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
      address_ = text.substr(at + prefix.size(), eol - at - prefix.size());
      if (!address_.empty() && address_.back() == '\r') address_.pop_back();
      port_ = static_cast<std::uint16_t>(std::stoi(address_.substr(address_.rfind(':') + 1)));
      return;
    }
  }
  stop(SIGKILL);
  throw std::runtime_error("occhat-server did not start (" + ended_ + "; no 'listening on' line within " +
                           std::to_string(config_.start_timeout.count()) + " s); log " + config_.log_path + ": " +
                           log());
}

void ServerProcess::reaped(int status) {
  ended_ = describe_status(status);
  pid_ = -1;
}

int ServerProcess::stop(int signal) {
  int status = -1;
  if (pid_ > 0) {
    ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + config_.stop_grace;
    pid_t done = 0;
    while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (done == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      reaped(status);
      ended_ = "did not exit within " + std::to_string(config_.stop_grace.count()) + " s of signal " +
               std::to_string(signal) + ": killed";
    } else {
      reaped(status);
    }
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
  return status;
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped(status);
    return false;
  }
  return true;
}

std::string ServerProcess::log() const {
  std::ifstream in(config_.log_path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::uint64_t ServerProcess::rss_bytes() const {
  const std::uint64_t rss = pid_ > 0 ? rss_bytes_of(pid_) : 0;
  if (rss == 0) throw std::runtime_error("cannot read the server's VmRSS (did it exit?)");
  return rss;
}

std::uint64_t rss_bytes_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:  1234 kB"
  }
  return 0;
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace occhat::harness

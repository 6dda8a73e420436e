#include "shell/signal_pipe.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "occhat/error.hpp"

namespace occhat::cli {
namespace {

int g_read_fd = -1;
int g_write_fd = -1;

extern "C" void on_signal(int signo) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] const ssize_t n = ::write(g_write_fd, &byte, 1);
  errno = saved_errno;
}

void install(int signo, struct sigaction& old) {
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(signo, &action, &old);
}

}  // namespace

SignalPipe::SignalPipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw Error(ErrorCode::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  g_read_fd = fds[0];
  g_write_fd = fds[1];
  install(SIGINT, old_int_);
  install(SIGTERM, old_term_);
  install(SIGHUP, old_hup_);
  install(SIGWINCH, old_winch_);
}

SignalPipe::~SignalPipe() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGHUP, &old_hup_, nullptr);
  ::sigaction(SIGWINCH, &old_winch_, nullptr);
  ::close(g_read_fd);
  ::close(g_write_fd);
  g_read_fd = g_write_fd = -1;
}

int SignalPipe::fd() const noexcept { return g_read_fd; }

std::vector<int> SignalPipe::take() {
  std::vector<int> signals;
  unsigned char buffer[64];
  ssize_t n;
  while ((n = ::read(g_read_fd, buffer, sizeof buffer)) > 0) {
    signals.insert(signals.end(), buffer, buffer + n);
  }
  return signals;
}

}  // namespace occhat::cli

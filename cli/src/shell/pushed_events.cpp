#include "shell/pushed_events.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace occhat::cli {

PushedEvents::PushedEvents() {
  int fds[2];
  // Non-blocking both ways: a full pipe already means "wake up", so a failed write is fine.
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw Error(ErrorCode::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

PushedEvents::~PushedEvents() {
  ::close(read_fd_);
  ::close(write_fd_);
}

void PushedEvents::push(const Event& event) {
  {
    const std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(write_fd_, &byte, 1);
}

std::vector<Event> PushedEvents::take_all() {
  // Drain the pipe first: an event pushed after this point writes a new byte, so none is missed.
  char buffer[256];
  while (::read(read_fd_, buffer, sizeof buffer) > 0) {
  }
  const std::lock_guard lock(mutex_);
  return std::exchange(events_, {});
}

}  // namespace occhat::cli

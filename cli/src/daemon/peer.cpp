#include "daemon/peer.hpp"

#include <cerrno>
#include <string>

#include <sys/socket.h>
#include <unistd.h>

#include "daemon/jsonrpc.hpp"

namespace occhat::cli::daemon {

bool Peer::send(const Json& json) {
  const std::string line = to_line(json);
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = socket_ ? ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL)
                              : ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closed_ = true;
      // Wakes this peer's reader, so its thread ends and the peer is dropped.
      if (socket_) ::shutdown(fd_, SHUT_RDWR);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace occhat::cli::daemon

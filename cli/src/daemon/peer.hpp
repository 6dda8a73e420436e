#pragma once
// One client of the daemon as the daemon writes to it: stdout, or one accepted socket connection.
// Lines from several threads (answers, events, connection notices) are written whole and in the
// order send() was called; a peer that cannot be written any more is closed for good.

#include <atomic>
#include <mutex>

#include "output.hpp"

namespace occhat::cli::daemon {

class Peer {
 public:
  // `fd` is written with write() (stdout) or send(MSG_NOSIGNAL) (`socket`). Not owned.
  Peer(int fd, bool socket) : fd_(fd), socket_(socket) {}
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Writes `json` as one line. Returns false (and marks the peer closed) when the write fails:
  // the reader went away, or a socket client did not read for kSendTimeout (see transport.cpp).
  bool send(const Json& json);
  bool closed() const noexcept { return closed_.load(); }

 private:
  int fd_;
  bool socket_;
  std::mutex mutex_;
  std::atomic<bool> closed_{false};
};

}  // namespace occhat::cli::daemon

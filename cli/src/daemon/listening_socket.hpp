#pragma once
// The daemon's UNIX socket (--socket PATH): owner-only (mode 0600, created under umask 0177 so it
// is never reachable by others, not even for a moment).
//
// An existing PATH: a socket nobody listens on (left by a daemon that was killed) is replaced; a
// socket a live daemon listens on is refused (conflict, exit 10); anything else (a file, a
// directory) is never touched (invalid_argument, exit 1). On destruction the socket file is
// removed if it is still the one this daemon created.

#include <string>

#include <sys/types.h>

namespace occhat::cli::daemon {

class ListeningSocket {
 public:
  explicit ListeningSocket(std::string path);  // throws occhat::Error
  ~ListeningSocket();
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;

  int fd() const noexcept { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace occhat::cli::daemon

#include "daemon/line_reader.hpp"

#include <cerrno>

#include <poll.h>
#include <unistd.h>

#include "daemon/jsonrpc.hpp"

namespace occhat::cli::daemon {

bool LineReader::fill() {
  while (!stop_.load()) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 100);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    char chunk[65536];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  return false;
}

LineReader::Status LineReader::next(std::string& line) {
  bool skipping = false;  // inside an oversized line: drop bytes up to its newline
  for (;;) {
    const std::size_t newline = buf_.find('\n', scanned_);
    if (newline != std::string::npos) {
      if (skipping) {
        buf_.erase(0, newline + 1);
        scanned_ = 0;
        return Status::too_long;
      }
      line.assign(buf_, 0, newline);
      buf_.erase(0, newline + 1);
      scanned_ = 0;
      if (line.size() > kMaxLineBytes) return Status::too_long;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return Status::line;
    }
    scanned_ = buf_.size();
    if (buf_.size() > kMaxLineBytes) {
      skipping = true;
      buf_.clear();
      scanned_ = 0;
    }
    if (eof_ || !fill()) {
      if (skipping) {
        buf_.clear();
        return Status::too_long;
      }
      if (buf_.empty() || stop_.load()) return Status::end;
      line = std::move(buf_);
      buf_.clear();
      scanned_ = 0;
      return Status::line;
    }
  }
}

}  // namespace occhat::cli::daemon

#pragma once
// Reads newline-delimited requests from a file descriptor with a bounded buffer: a line longer
// than kMaxLineBytes is reported as too long and skipped up to its newline, never held whole.

#include <atomic>
#include <string>

namespace occhat::cli::daemon {

class LineReader {
 public:
  enum class Status { line, too_long, end };

  LineReader(int fd, const std::atomic<bool>& stop) : fd_(fd), stop_(stop) {}

  // The next line (without its newline, a trailing '\r' removed) in `line`; too_long for an
  // oversized one (already skipped); end at end of input, on a read error, or once `stop` is set
  // (checked every 100 ms). A last line without a newline counts as a line.
  Status next(std::string& line);

 private:
  bool fill();  // reads more into buf_; false at end/stop

  int fd_;
  const std::atomic<bool>& stop_;
  std::string buf_;
  std::size_t scanned_ = 0;  // buf_[0, scanned_) has no newline
  bool eof_ = false;
};

}  // namespace occhat::cli::daemon

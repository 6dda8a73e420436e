#pragma once
// A last word for a long transfer cut short by Ctrl-C (or SIGTERM/SIGHUP): how to continue.
//
// While an InterruptHint lives, those signals print its prepared line (text on stderr, or with
// --json the error object on stdout) and then end the process as the signal would have (exit
// 128+N), so a shell still sees "interrupted". The line is built up front: a signal handler may
// only call async-signal-safe functions such as write().

#include <string>

#include "output.hpp"

namespace occhat::cli {

class InterruptHint {
 public:
  // `message` is the one-line error, e.g. "interrupted; run the same command again to resume".
  InterruptHint(const Output& out, const std::string& message);
  ~InterruptHint();
  InterruptHint(const InterruptHint&) = delete;
  InterruptHint& operator=(const InterruptHint&) = delete;
};

}  // namespace occhat::cli

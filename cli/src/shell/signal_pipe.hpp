#pragma once
// Turns SIGINT, SIGTERM, SIGHUP and SIGWINCH into bytes on a pipe the shell's poll loop watches,
// so they are handled between redisplays instead of inside them. The previous handlers come back
// on destruction. At most one SignalPipe may exist at a time.

#include <csignal>
#include <vector>

namespace occhat::cli {

class SignalPipe {
 public:
  SignalPipe();  // throws Error(internal) if no pipe can be made
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int fd() const noexcept;
  // The signals caught since the last call, in order.
  std::vector<int> take();

 private:
  struct sigaction old_int_{}, old_term_{}, old_hup_{}, old_winch_{};
};

}  // namespace occhat::cli

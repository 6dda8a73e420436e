#pragma once
// Hands SDK events from the SDK's I/O thread to the shell's poll loop.
//
// push() runs in the event handler (I/O thread): it never blocks and makes no SDK call; it
// queues the event and makes fd() readable. The main thread polls fd() and calls take_all().

#include <mutex>
#include <vector>

#include "occhat/client.hpp"

namespace occhat::cli {

class PushedEvents {
 public:
  PushedEvents();  // throws Error(internal) if no pipe can be made
  ~PushedEvents();
  PushedEvents(const PushedEvents&) = delete;
  PushedEvents& operator=(const PushedEvents&) = delete;

  void push(const Event& event);
  int fd() const noexcept { return read_fd_; }
  // Every queued event, oldest first; empties the pipe too.
  std::vector<Event> take_all();

 private:
  std::mutex mutex_;
  std::vector<Event> events_;
  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace occhat::cli

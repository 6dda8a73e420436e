#pragma once
// Server pushes on their way to the application: queued for next_event(), or handed to a handler.
//
// Thread safety: all members may be called from any thread. push() is called on the I/O thread.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "occhat/client.hpp"

namespace occhat::detail {

class EventQueue {
 public:
  using Handler = std::function<void(const Event&)>;

  // With a handler installed the event goes to it (called without any lock held; an exception
  // it throws is swallowed so it cannot kill the I/O thread). Otherwise it is queued.
  void push(Event event);
  // Waits up to `timeout` for a queued event. Returns nullopt on timeout or after close().
  std::optional<Event> next(std::chrono::milliseconds timeout);
  // Replaces the handler; a non-empty handler also receives events already queued.
  void set_handler(Handler handler);
  // Wakes every next() for good (the Client is being destroyed).
  void close();

 private:
  // Backstop against an application that never reads: beyond this the oldest events are
  // dropped. Pushes that matter (messages) are also kept by the server until acknowledged.
  static constexpr std::size_t kMaxQueued = 100000;

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> queue_;
  std::shared_ptr<Handler> handler_;
  bool closed_ = false;
};

}  // namespace occhat::detail

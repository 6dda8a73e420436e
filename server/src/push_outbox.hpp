#pragma once
// Where pushes for one connection go: its outbound queue. Implemented by Connection; a
// Subscription pushes into it without knowing about sockets.

#include <asio/awaitable.hpp>

#include "push_bus.hpp"

namespace occhat::server {

// Where a subscription's pushes go: its connection's outbound queue.
class PushOutbox {
 public:
  virtual ~PushOutbox() = default;
  // Queues `frame` if the queue has room for pushes (some is always kept for answers); false
  // when it has none or the connection is closing.
  virtual bool try_push(const SharedFrame& frame) = 0;
  virtual bool has_push_room() const noexcept = 0;
  // Completes once the writer made room (or the connection is closing).
  virtual asio::awaitable<void> room() = 0;
  virtual bool closing() const noexcept = 0;
};

}  // namespace occhat::server

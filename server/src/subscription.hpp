#pragma once
// One connection's inbox subscription: every item of its user with seq > the start is pushed
// in order, then each new one, plus friends' presence changes. A pushed item goes out directly
// only when it is the next seq after `pushed_seq` and the outbox has room for pushes; otherwise
// a catch-up coroutine reads the store from where the pushes left off, once the writer made
// room. So a connection never sees a seq skipped, reordered or twice, and a slow reader never
// grows server memory: what does not fit stays in the store.
//
// Presence changes are coalesced while the outbox is full: only the latest state per friend is
// kept (bounded by the friend count) and sent once there is room.
//
// Lives on the network thread. Knows nothing of sockets or sessions: it pushes into a
// PushOutbox and reads through an InboxReader, so it is tested without a server.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "push_bus.hpp"
#include "push_outbox.hpp"

namespace occhat::server {

// Reads up to `limit` items of `user_id`'s inbox with seq > `after_seq` (the store's fetch_inbox).
using InboxReader = std::function<asio::awaitable<store::InboxPage>(std::uint32_t user_id, std::uint64_t after_seq,
                                                                     std::uint32_t limit)>;

class Subscription : public std::enable_shared_from_this<Subscription> {
 public:
  // A catch-up reads this many items per store call and pushes them in frames of at most
  // kMaxPushItems items / kMaxPushPayload bytes.
  static constexpr std::uint32_t kCatchUpBatch = 256;
  static constexpr std::size_t kMaxPushItems = 256;
  static constexpr std::size_t kMaxPushPayload = 48 * 1024;

  // A catch-up whose store read failed (the database is down) is tried again after this long.
  static constexpr std::chrono::milliseconds kCatchUpRetry{1000};

  Subscription(asio::any_io_executor executor, std::shared_ptr<PushOutbox> outbox, InboxReader reader,
               std::uint32_t user_id, std::uint64_t connection_id,
               std::chrono::milliseconds retry_delay = kCatchUpRetry);

  std::uint32_t user_id() const noexcept { return user_id_; }
  // Every item up to here was queued on the connection (or acknowledged).
  std::uint64_t pushed_seq() const noexcept { return pushed_seq_; }
  bool catching_up() const noexcept { return catching_up_; }

  // Pushes every item with seq > max(after_seq, pushed_seq) from the store, then new ones.
  // Starting again only moves the start forward: a seq is never pushed twice.
  void start(std::uint64_t after_seq);
  // A newly committed item of this user; `frame` carries exactly this item.
  void deliver(const store::InboxItem& item, const SharedFrame& frame);
  // The user acknowledged up to `acked_seq` on this connection: no push needed up to there.
  void acknowledged(std::uint64_t acked_seq);
  // A friend's presence changed.
  void presence(const wire::PresenceEvent& event, const SharedFrame& frame);
  // The writer made room: sends coalesced presence changes.
  void room_made();
  // The subscription ended (logout, close): a running catch-up stops at its next step.
  void cancel() noexcept { cancelled_ = true; }

 private:
  void start_catch_up();
  // Reads and pushes until caught up, retrying every retry_delay_ while the store fails.
  asio::awaitable<void> catch_up();
  // One attempt; throws what the store read threw.
  asio::awaitable<void> catch_up_pass();
  bool active() const noexcept { return !cancelled_ && !outbox_->closing(); }
  void note_fell_behind();

  asio::any_io_executor executor_;
  std::shared_ptr<PushOutbox> outbox_;
  InboxReader reader_;
  const std::uint32_t user_id_;
  const std::uint64_t connection_id_;
  const std::chrono::milliseconds retry_delay_;
  std::uint64_t pushed_seq_ = 0;
  bool catching_up_ = false;
  bool dirty_ = false;        // items arrived while catching up: read the store once more
  bool fell_behind_ = false;  // logged once: the queue was full and pushes came from the store
  bool cancelled_ = false;
  struct PendingPresence {
    wire::PresenceEvent event;
    SharedFrame frame;
  };
  std::map<std::uint32_t, PendingPresence> pending_presence_;  // by friend id
};

}  // namespace occhat::server

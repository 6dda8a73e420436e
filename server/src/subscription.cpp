#include "subscription.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

#include "log.hpp"
#include "wire_convert.hpp"

namespace occhat::server {

Subscription::Subscription(asio::any_io_executor executor, std::shared_ptr<PushOutbox> outbox, InboxReader reader,
                           std::uint32_t user_id, std::uint64_t connection_id,
                           std::chrono::milliseconds retry_delay)
    : executor_(std::move(executor)),
      outbox_(std::move(outbox)),
      reader_(std::move(reader)),
      user_id_(user_id),
      connection_id_(connection_id),
      retry_delay_(retry_delay) {}

void Subscription::start(std::uint64_t after_seq) {
  if (!active()) return;
  pushed_seq_ = std::max(pushed_seq_, after_seq);
  if (catching_up_) {
    dirty_ = true;
  } else {
    start_catch_up();
  }
}

void Subscription::deliver(const store::InboxItem& item, const SharedFrame& frame) {
  if (!active() || item.user_id != user_id_) return;
  if (item.seq <= pushed_seq_) return;  // a catch-up already pushed it
  if (catching_up_) {
    dirty_ = true;
    return;
  }
  if (item.seq == pushed_seq_ + 1) {
    if (outbox_->try_push(frame)) {
      pushed_seq_ = item.seq;
      return;
    }
    note_fell_behind();
  }
  // Out of order or no room: the store has everything; read it from where we left off.
  start_catch_up();
}

void Subscription::acknowledged(std::uint64_t acked_seq) { pushed_seq_ = std::max(pushed_seq_, acked_seq); }

void Subscription::presence(const wire::PresenceEvent& event, const SharedFrame& frame) {
  if (!active()) return;
  if (pending_presence_.empty() && outbox_->try_push(frame)) return;
  // Only the latest state per friend matters; this stays bounded by the friend count.
  pending_presence_[event.user_id()] = PendingPresence{event, frame};
}

void Subscription::room_made() {
  while (!pending_presence_.empty() && active()) {
    if (!outbox_->try_push(pending_presence_.begin()->second.frame)) return;
    pending_presence_.erase(pending_presence_.begin());
  }
}

void Subscription::note_fell_behind() {
  if (fell_behind_) return;
  fell_behind_ = true;
  log_event("conn {} reads slowly: pushes wait in the store until it catches up", connection_id_);
}

void Subscription::start_catch_up() {
  catching_up_ = true;
  dirty_ = false;
  asio::co_spawn(executor_, [self = shared_from_this()] { return self->catch_up(); }, asio::detached);
}

asio::awaitable<void> Subscription::catch_up() {
  bool failed = false;
  while (active()) {
    bool done = false;
    try {
      co_await catch_up_pass();
      done = true;
    } catch (const std::exception& e) {
      // The store is unreachable (PostgreSQL down) or failed: the items wait there. Retried on a
      // timer, not only at the next delivered item: after an outage no new item may come for a
      // while, and what was committed before it must still reach this connection.
      if (!failed) log_event("conn {} inbox catch-up failed: {}; retrying", connection_id_, e.what());
      failed = true;
    }
    if (done) break;
    asio::steady_timer wait(executor_, retry_delay_);
    asio::error_code ec;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  catching_up_ = false;
}

asio::awaitable<void> Subscription::catch_up_pass() {
  while (active()) {
    while (active() && !outbox_->has_push_room()) co_await outbox_->room();
    if (!active()) break;
    dirty_ = false;
    const store::InboxPage page = co_await reader_(user_id_, pushed_seq_, kCatchUpBatch);
    if (!active()) break;
    // An ack on this connection may have moved pushed_seq past some of these meanwhile.
    std::size_t next = 0;
    while (next < page.items.size() && page.items[next].seq <= pushed_seq_) ++next;
    bool full = false;
    while (next < page.items.size()) {
      wire::Envelope body;
      const auto end = pack_inbox_items(page.items, next, kMaxPushItems, kMaxPushPayload, *body.mutable_inbox_items());
      const SharedFrame frame = encode_push(body);
      if (!frame) throw std::logic_error("packed inbox items exceed the frame cap");
      if (!outbox_->try_push(frame)) {
        full = true;
        break;
      }
      pushed_seq_ = page.items[end - 1].seq;
      next = end;
    }
    if (full) note_fell_behind();
    if (!full && !page.more && !dirty_) break;
  }
}

}  // namespace occhat::server

#include "event_queue.hpp"

namespace occhat::detail {

namespace {
void deliver(const EventQueue::Handler& handler, const Event& event) noexcept {
  try {
    handler(event);
  } catch (...) {
    // A handler's bug must not take the connection down with it.
  }
}
}  // namespace

void EventQueue::push(Event event) {
  std::shared_ptr<Handler> handler;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    handler = handler_;
    if (!handler) {
      if (queue_.size() >= kMaxQueued) queue_.pop_front();
      queue_.push_back(std::move(event));
      ready_.notify_one();
      return;
    }
  }
  deliver(*handler, event);
}

std::optional<Event> EventQueue::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return closed_ || !queue_.empty(); });
  if (closed_ || queue_.empty()) return std::nullopt;
  Event event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

void EventQueue::set_handler(Handler handler) {
  std::deque<Event> backlog;
  std::shared_ptr<Handler> installed;
  {
    std::lock_guard lock(mutex_);
    handler_ = handler ? std::make_shared<Handler>(std::move(handler)) : nullptr;
    if (handler_) {
      backlog.swap(queue_);
      installed = handler_;
    }
  }
  for (const auto& event : backlog) deliver(*installed, event);
}

void EventQueue::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  queue_.clear();
  ready_.notify_all();
}

}  // namespace occhat::detail

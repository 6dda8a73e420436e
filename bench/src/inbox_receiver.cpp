#include "inbox_receiver.hpp"

#include <chrono>


namespace occhat::bench {

namespace {
std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

InboxReceiver::InboxReceiver(asio::io_context& io, MessageHandler on_message, FailureHandler on_failure)
    : timer_(io), on_message_(std::move(on_message)), on_failure_(std::move(on_failure)) {}

InboxReceiver::~InboxReceiver() { *alive_ = false; }

void InboxReceiver::attach(std::shared_ptr<RawConnection> conn) {
  conn_ = std::move(conn);
  conn_->set_push_handler([this](const wire::Envelope& push) { on_push(push); });
}

void InboxReceiver::on_push(const wire::Envelope& push) {
  if (!push.has_inbox_items()) return;  // presence and other pushes do not matter here
  const std::int64_t now = steady_ns();
  for (const auto& item : push.inbox_items().items()) {
    if (item.seq() != last_seq_ + 1 && last_seq_ != 0) {
      on_failure_("inbox seq jumped from " + std::to_string(last_seq_) + " to " + std::to_string(item.seq()));
    }
    last_seq_ = item.seq();
    if (item.has_message()) on_message_(item.message().text(), now);
  }
  if (last_seq_ - sent_ack_ >= kAckEvery) {
    ack_now();
  } else if (last_seq_ > sent_ack_) {
    arm_timer();
  }
}

void InboxReceiver::arm_timer() {
  if (timer_armed_ || stopped_) return;
  timer_armed_ = true;
  timer_.expires_after(kAckDelay);
  timer_.async_wait([this, alive = alive_](std::error_code ec) {
    if (!*alive) return;
    timer_armed_ = false;
    if (!ec) ack_now();
  });
}

void InboxReceiver::ack_now() {
  if (last_seq_ <= sent_ack_ || !conn_ || !conn_->is_open()) return;
  const std::uint64_t up_to = last_seq_;
  sent_ack_ = up_to;
  conn_->send(rq::ack(up_to), [this, up_to, alive = alive_](const wire::Envelope* answer) {
    if (!*alive || !answer) return;  // a closed connection is reported by its lost handler
    if (!answer->has_ok()) {
      on_failure_("ack answered with " + (answer->has_error() ? answer->error().message() : std::string("?")));
      return;
    }
    if (up_to > confirmed_ack_) confirmed_ack_ = up_to;
    if (on_ack_) on_ack_(up_to);
  });
}

void InboxReceiver::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace occhat::bench

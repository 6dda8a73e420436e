#pragma once
// The receiving half of a chat client: takes InboxItems pushes, hands every chat message to a
// callback, and acknowledges cumulatively like a real client would (every 64 items, or 10 ms
// after the last unacknowledged one, whichever comes first).

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "raw_connection.hpp"

namespace occhat::bench {

class InboxReceiver {
 public:
  // (the message's text, the steady_clock time it arrived in ns)
  using MessageHandler = std::function<void(const std::string& text, std::int64_t received_ns)>;
  using FailureHandler = std::function<void(const std::string& why)>;

  InboxReceiver(asio::io_context& io, MessageHandler on_message, FailureHandler on_failure);
  ~InboxReceiver();

  // Installs the push handler on `conn` and starts the ack timer.
  void attach(std::shared_ptr<RawConnection> conn);
  // Acknowledges everything received so far at once (no-op if already acknowledged).
  void ack_now();
  void stop();  // stops the ack timer
  // Called on the io thread when the server confirms an acknowledgement up to `seq`.
  void set_ack_handler(std::function<void(std::uint64_t seq)> handler) { on_ack_ = std::move(handler); }

  std::uint64_t last_seq() const { return last_seq_; }
  // The highest seq whose acknowledgement the server confirmed.
  std::uint64_t confirmed_ack() const { return confirmed_ack_; }

  static constexpr std::uint64_t kAckEvery = 64;
  static constexpr auto kAckDelay = std::chrono::milliseconds(10);

 private:
  void on_push(const wire::Envelope& push);
  void arm_timer();

  std::shared_ptr<RawConnection> conn_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  bool stopped_ = false;
  MessageHandler on_message_;
  FailureHandler on_failure_;
  std::function<void(std::uint64_t)> on_ack_;
  std::uint64_t last_seq_ = 0;
  std::uint64_t sent_ack_ = 0;
  std::uint64_t confirmed_ack_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace occhat::bench

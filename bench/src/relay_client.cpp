#include "relay_client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include <charconv>
#include <exception>

#include "handshake.hpp"

namespace occhat::bench {

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void RelayShared::fail(const std::string& why) {
  std::lock_guard lock(failure_mutex);
  if (!failure) failure = why;
}

std::optional<std::string> RelayShared::first_failure() {
  std::lock_guard lock(failure_mutex);
  return failure;
}

RelayClient::RelayClient(asio::io_context& io, asio::ip::tcp::endpoint server, RelayClientConfig config,
                         RelayShared& shared)
    : io_(io),
      server_(server),
      config_(std::move(config)),
      shared_(shared),
      receiver_(
          io, [this](const std::string& text, std::int64_t at) { on_message(text, at); },
          [this](const std::string& why) { shared_.fail("user " + std::to_string(config_.self) + ": " + why); }),
      send_timer_(io) {}

RelayClient::~RelayClient() { *alive_ = false; }

void RelayClient::start() {
  asio::co_spawn(
      io_,
      [this]() -> asio::awaitable<void> {
        try {
          HandshakeOptions options;
          options.subscribe = config_.subscribe;
          options.before_subscribe = [this](const std::shared_ptr<RawConnection>& conn) { receiver_.attach(conn); };
          conn_ = co_await open_session(io_, server_, config_.token, options);
          conn_->set_lost_handler([this](const std::string& why) {
            if (shared_.phase.load() < RelayShared::done) shared_.fail("user " + std::to_string(config_.self) + ": " + why);
          });
          if (!config_.subscribe) receiver_.attach(conn_);
          shared_.ready.fetch_add(1);
        } catch (const std::exception& e) {
          shared_.fail("user " + std::to_string(config_.self) + " could not log in: " + e.what());
        }
      },
      asio::detached);
}

void RelayClient::begin_sending() {
  asio::post(io_, [this] {
    if (config_.interval.count() > 0) {
      next_send_ = std::chrono::steady_clock::now() + config_.phase_offset;
      schedule_open_loop();
      return;
    }
    for (std::size_t i = 0; i < config_.window; ++i) send_one();
  });
}

void RelayClient::finish() {
  asio::post(io_, [this] {
    send_timer_.cancel();
    receiver_.stop();
  });
}

void RelayClient::ack_now() {
  asio::post(io_, [this] { receiver_.ack_now(); });
}

void RelayClient::send_one() {
  if (!conn_ || !conn_->is_open()) return;
  if (shared_.phase.load(std::memory_order_relaxed) != RelayShared::sending) return;
  if (config_.max_messages > 0 && requested_ >= config_.max_messages) return;
  // The text is exactly text_size bytes: the send time in decimal ns, padded with 'x'.
  text_.assign(config_.text_size, 'x');
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, steady_now_ns());
  (void)ec;
  text_.replace(0, static_cast<std::size_t>(end - digits), digits, static_cast<std::size_t>(end - digits));
  ++in_flight_;
  ++requested_;
  shared_.requested.fetch_add(1, std::memory_order_relaxed);
  conn_->send(config_.room ? rq::send_room_message(config_.room, text_) : rq::send_message(config_.peer, text_),
              [this, alive = alive_](const wire::Envelope* answer) {
                if (*alive) on_sent(answer);
              });
}

void RelayClient::on_sent(const wire::Envelope* answer) {
  --in_flight_;
  if (!answer) return;  // the lost handler reports the closed connection
  if (!answer->has_message_sent()) {
    shared_.fail("user " + std::to_string(config_.self) + ": send answered with " +
                 (answer->has_error() ? answer->error().message() : std::string("an unexpected frame")));
    return;
  }
  shared_.sent.fetch_add(1, std::memory_order_relaxed);
  if (config_.interval.count() == 0) send_one();  // closed loop: refill the window
}

void RelayClient::on_message(const std::string& text, std::int64_t received_ns) {
  shared_.received.fetch_add(1, std::memory_order_relaxed);
  if (received_ns < shared_.window_start_ns.load(std::memory_order_relaxed) ||
      received_ns >= shared_.window_end_ns.load(std::memory_order_relaxed)) {
    return;
  }
  shared_.received_in_window.fetch_add(1, std::memory_order_relaxed);
  std::int64_t sent_ns = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), sent_ns);
  if (ec != std::errc() || ptr == text.data()) {
    shared_.fail("user " + std::to_string(config_.self) + " received a text without a send time");
    return;
  }
  latencies_.push_back(received_ns - sent_ns);
  sent_times_.push_back(sent_ns);
}

void RelayClient::schedule_open_loop() {
  // Open loop: every message due by now goes out now, whatever is still in flight, so a slow
  // server shows up as latency instead of a lower offered rate (no coordinated omission).
  const auto now = std::chrono::steady_clock::now();
  while (next_send_ <= now && shared_.phase.load(std::memory_order_relaxed) == RelayShared::sending) {
    send_one();
    next_send_ += config_.interval;
  }
  if (shared_.phase.load(std::memory_order_relaxed) != RelayShared::sending) return;
  send_timer_.expires_at(next_send_);
  send_timer_.async_wait([this, alive = alive_](std::error_code ec) {
    if (*alive && !ec) schedule_open_loop();
  });
}

}  // namespace occhat::bench

#pragma once
// One chat user of the relay benchmark: logged in and subscribed, sending to its friend
// (closed loop with a window of W in flight, or open loop at a fixed rate) and receiving the
// friend's messages, whose text carries their send time (steady_clock ns) for latency.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "inbox_receiver.hpp"
#include "raw_connection.hpp"

namespace occhat::bench {

// State shared by every client of one run and the orchestrating main thread.
struct RelayShared {
  enum Phase : int { setup = 0, sending = 1, draining = 2, done = 3 };
  std::atomic<int> phase{setup};
  std::atomic<std::int64_t> window_start_ns{INT64_MAX};
  std::atomic<std::int64_t> window_end_ns{INT64_MAX};
  std::atomic<std::uint64_t> ready{0};
  std::atomic<std::uint64_t> requested{0};  // SendMessage requests written
  std::atomic<std::uint64_t> sent{0};       // MessageSent answers (stored and committed)
  std::atomic<std::uint64_t> received{0};   // chat messages pushed to recipients
  std::atomic<std::uint64_t> received_in_window{0};

  std::mutex failure_mutex;
  std::optional<std::string> failure;
  void fail(const std::string& why);
  std::optional<std::string> first_failure();
};

struct RelayClientConfig {
  std::uint32_t self = 0;
  std::uint32_t peer = 0;
  std::uint32_t room = 0;  // > 0: messages go to this room instead of to `peer`
  std::string token;
  std::size_t text_size = 100;
  std::size_t window = 1;                  // closed loop: requests in flight
  std::chrono::nanoseconds interval{0};    // > 0: open loop, one message per interval
  std::chrono::nanoseconds phase_offset{0};  // open loop: where in the interval this sender starts
  std::uint64_t max_messages = 0;          // > 0: stop after this many (backlog fill)
  bool subscribe = true;
};

class RelayClient {
 public:
  RelayClient(asio::io_context& io, asio::ip::tcp::endpoint server, RelayClientConfig config, RelayShared& shared);
  ~RelayClient();

  // Posts the login (+ subscribe); shared.ready is incremented when done.
  void start();
  // Posts the start of sending (shared.phase must be `sending`).
  void begin_sending();
  // Posts a stop of the ack timer and the send timer.
  void finish();

  // Latencies recorded inside the window (read after the io threads stopped), and the send time
  // of each (the same index): a room message reaches many clients, and its fan-out latency is
  // that of its last receipt.
  std::vector<std::int64_t>& latencies_ns() { return latencies_; }
  const std::vector<std::int64_t>& sent_times_ns() const { return sent_times_; }
  // Where the inbox stands (read after the io threads stopped, or from the io thread).
  const InboxReceiver& receiver() const { return receiver_; }
  void ack_now();

 private:
  void send_one();
  void on_sent(const wire::Envelope* answer);
  void on_message(const std::string& text, std::int64_t received_ns);
  void schedule_open_loop();

  asio::io_context& io_;
  asio::ip::tcp::endpoint server_;
  RelayClientConfig config_;
  RelayShared& shared_;
  std::shared_ptr<RawConnection> conn_;
  InboxReceiver receiver_;
  asio::steady_timer send_timer_;
  std::chrono::steady_clock::time_point next_send_{};
  std::uint64_t in_flight_ = 0;
  std::uint64_t requested_ = 0;
  std::string text_;
  std::vector<std::int64_t> latencies_;
  std::vector<std::int64_t> sent_times_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

std::int64_t steady_now_ns();

}  // namespace occhat::bench

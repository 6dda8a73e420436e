#pragma once
// The order in which one connection's requests run. Consecutive pipelined requests (sends) run
// concurrently, at most `max_in_flight` at once, so they share group commits; every other
// request waits until those are answered, then runs alone. Each request runs as: handle ->
// queue its answer -> apply its own effects, in that order. Effects belong to their request:
// none runs before its own answer is queued, whatever the other requests in flight do.
//
// Network thread only.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "effects.hpp"

namespace occhat::server {

class RequestPipeline {
 public:
  // Turns a request into its reply (never throws: failures are error replies).
  // `read_at`: when the frame was decoded (the epoch unless the server times stages).
  using Handle =
      std::function<asio::awaitable<Reply>(const proto::Frame& frame, std::chrono::steady_clock::time_point read_at)>;
  // Queues the reply's answer for `request_id` (waiting while the queue is full).
  using Answer = std::function<asio::awaitable<void>(std::uint32_t request_id, const Reply& reply)>;
  // Applies one effect of a reply whose answer is queued.
  using Apply = std::function<void(const Effect& effect)>;
  // Queues the reply's answer now if that needs no waiting; false: Answer does it. Optional: the
  // usual case (the queue has room) then costs no coroutine per answer.
  using TryAnswer = std::function<bool(std::uint32_t request_id, const Reply& reply)>;

  RequestPipeline(asio::any_io_executor executor, std::size_t max_in_flight, Handle handle, Answer answer,
                  Apply apply, TryAnswer try_answer = {});

  // Runs `frame` once every earlier request finished (answered, effects applied).
  asio::awaitable<void> run_alone(const proto::Frame& frame, std::chrono::steady_clock::time_point read_at = {});
  // Starts `frame` alongside the pipelined requests in flight, waiting first while
  // `max_in_flight` are; returns once it started. `keep_alive` is held until it finished.
  asio::awaitable<void> run_pipelined(proto::Frame frame, std::shared_ptr<void> keep_alive,
                                      std::chrono::steady_clock::time_point read_at = {});
  // Completes once no pipelined request is in flight (or stop() was called).
  asio::awaitable<void> drain() { return wait_for_in_flight(0); }
  // The connection is gone: waiters stop waiting.
  void stop();
  std::size_t in_flight() const noexcept { return in_flight_; }

 private:
  asio::awaitable<void> run(const proto::Frame& frame, std::chrono::steady_clock::time_point read_at);
  asio::awaitable<void> wait_for_in_flight(std::size_t at_most);

  asio::any_io_executor executor_;
  std::size_t max_in_flight_;
  Handle handle_;
  Answer answer_;
  Apply apply_;
  TryAnswer try_answer_;
  std::size_t in_flight_ = 0;
  asio::steady_timer finished_;  // cancelled whenever a pipelined request finished
  bool stopped_ = false;
};

}  // namespace occhat::server

#include "request_pipeline.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

namespace occhat::server {

RequestPipeline::RequestPipeline(asio::any_io_executor executor, std::size_t max_in_flight, Handle handle,
                                 Answer answer, Apply apply, TryAnswer try_answer)
    : executor_(executor),
      max_in_flight_(max_in_flight),
      handle_(std::move(handle)),
      answer_(std::move(answer)),
      apply_(std::move(apply)),
      try_answer_(std::move(try_answer)),
      finished_(executor) {
  finished_.expires_at(asio::steady_timer::time_point::max());
}

asio::awaitable<void> RequestPipeline::run(const proto::Frame& frame, std::chrono::steady_clock::time_point read_at) {
  const Reply reply = co_await handle_(frame, read_at);
  if (!try_answer_ || !try_answer_(frame.request_id, reply)) co_await answer_(frame.request_id, reply);
  for (const auto& effect : reply.effects) apply_(effect);
}

asio::awaitable<void> RequestPipeline::run_alone(const proto::Frame& frame,
                                                 std::chrono::steady_clock::time_point read_at) {
  // Checked here first: most requests wait for nothing, and a coroutine call costs a frame.
  if (in_flight_ > 0) co_await wait_for_in_flight(0);
  co_await run(frame, read_at);
}

asio::awaitable<void> RequestPipeline::run_pipelined(proto::Frame frame, std::shared_ptr<void> keep_alive,
                                                     std::chrono::steady_clock::time_point read_at) {
  if (in_flight_ >= max_in_flight_) co_await wait_for_in_flight(max_in_flight_ - 1);
  ++in_flight_;
  // `keep_alive` and the frame live in the coroutine frame until the request finished.
  auto pipelined = [](RequestPipeline* self, proto::Frame frame, std::shared_ptr<void> keep_alive,
                      std::chrono::steady_clock::time_point read_at) -> asio::awaitable<void> {
    (void)keep_alive;
    try {
      co_await self->run(frame, read_at);
    } catch (const std::exception&) {
      // Only a closed connection gets here (no answer can be queued); nothing is left to do.
    }
    --self->in_flight_;
    self->finished_.cancel();
  };
  asio::co_spawn(executor_, pipelined(this, std::move(frame), std::move(keep_alive), read_at), asio::detached);
}

asio::awaitable<void> RequestPipeline::wait_for_in_flight(std::size_t at_most) {
  while (in_flight_ > at_most && !stopped_) {
    asio::error_code ec;
    co_await finished_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void RequestPipeline::stop() {
  stopped_ = true;
  finished_.cancel();
}

}  // namespace occhat::server

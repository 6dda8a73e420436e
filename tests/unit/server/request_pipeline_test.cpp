// RequestPipeline: each request's effects run after its own answer is queued, never another
// request's, however pipelined requests interleave.

#include "request_pipeline.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

namespace occhat::server {
namespace {

// A gate a coroutine waits at until the test opens it.
class Gate {
 public:
  explicit Gate(asio::io_context& io) : timer_(io) { timer_.expires_at(asio::steady_timer::time_point::max()); }
  asio::awaitable<void> wait() {
    while (!open_) {
      asio::error_code ignored;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }
  void open() {
    open_ = true;
    timer_.cancel();
  }

 private:
  asio::steady_timer timer_;
  bool open_ = false;
};

proto::Frame send_frame(std::uint32_t request_id) {
  proto::Frame frame;
  frame.request_id = request_id;
  frame.body.mutable_send_message_request()->set_text("hi");
  return frame;
}

class RequestPipelineTest : public ::testing::Test {
 protected:
  Gate& gate(std::map<std::uint32_t, std::unique_ptr<Gate>>& gates, std::uint32_t id) {
    auto& slot = gates[id];
    if (!slot) slot = std::make_unique<Gate>(io_);
    return *slot;
  }

  // Requests finish handling when their handler gate opens; their answer is queued when their
  // answer gate opens (a full queue); each reply carries one effect naming its request.
  RequestPipeline make_pipeline(std::size_t max_in_flight) {
    return RequestPipeline(
        io_.get_executor(), max_in_flight,
        [this](const proto::Frame& frame, std::chrono::steady_clock::time_point) -> asio::awaitable<Reply> {
          const std::uint32_t id = frame.request_id;
          log_.push_back("start " + std::to_string(id));
          co_await gate(handled_, id).wait();
          Reply reply;
          reply.body.mutable_ok();
          reply.effects.emplace_back(effect::Acknowledged{id});
          co_return reply;
        },
        [this](std::uint32_t request_id, const Reply&) -> asio::awaitable<void> {
          co_await gate(answered_, request_id).wait();
          log_.push_back("answer " + std::to_string(request_id));
        },
        [this](const Effect& effect) {
          log_.push_back("effect " + std::to_string(std::get<effect::Acknowledged>(effect).acked_seq));
        },
        [this](std::uint32_t request_id, const Reply&) {
          if (!answer_now_.count(request_id)) return false;  // e.g. the connection's queue is full
          log_.push_back("answer now " + std::to_string(request_id));
          return true;
        });
  }

  void spawn(asio::awaitable<void> work) { asio::co_spawn(io_, std::move(work), asio::detached); }
  void settle() {
    io_.restart();
    io_.poll();
  }

  asio::io_context io_;
  std::map<std::uint32_t, std::unique_ptr<Gate>> handled_;
  std::map<std::uint32_t, std::unique_ptr<Gate>> answered_;
  std::vector<std::string> log_;
  std::set<std::uint32_t> answer_now_;  // requests whose answer is queued without waiting
};

TEST_F(RequestPipelineTest, EffectsOfAPipelinedRequestWaitForItsOwnAnswer) {
  auto pipeline = make_pipeline(8);
  auto keep = std::make_shared<int>(0);
  spawn(pipeline.run_pipelined(send_frame(1), keep));
  spawn(pipeline.run_pipelined(send_frame(2), keep));
  settle();
  EXPECT_EQ(pipeline.in_flight(), 2u);
  // Request 1 is handled but its answer waits for queue space; request 2 then finishes fully.
  gate(handled_, 1).open();
  settle();
  gate(handled_, 2).open();
  gate(answered_, 2).open();
  settle();
  // Request 1's effect must not have run: its answer is not queued yet.
  EXPECT_EQ(log_, (std::vector<std::string>{"start 1", "start 2", "answer 2", "effect 2"}));
  gate(answered_, 1).open();
  settle();
  EXPECT_EQ(log_, (std::vector<std::string>{"start 1", "start 2", "answer 2", "effect 2", "answer 1", "effect 1"}));
  EXPECT_EQ(pipeline.in_flight(), 0u);
}

TEST_F(RequestPipelineTest, AnAnswerQueuedWithoutWaitingStillPrecedesItsEffectsAndKeepsTheOrder) {
  auto pipeline = make_pipeline(8);
  auto keep = std::make_shared<int>(0);
  answer_now_ = {1, 3};  // request 2 finds the queue full and waits for room
  for (std::uint32_t id = 1; id <= 3; ++id) spawn(pipeline.run_pipelined(send_frame(id), keep));
  settle();
  for (std::uint32_t id = 1; id <= 3; ++id) gate(handled_, id).open();
  settle();
  EXPECT_EQ(log_, (std::vector<std::string>{"start 1", "start 2", "start 3", "answer now 1", "effect 1", "answer now 3",
                                            "effect 3"}));
  gate(answered_, 2).open();
  settle();
  EXPECT_EQ(log_.back(), "effect 2");
  EXPECT_EQ(log_[log_.size() - 2], "answer 2");
  EXPECT_EQ(pipeline.in_flight(), 0u);
}

TEST_F(RequestPipelineTest, ARequestRunAloneWaitsForEveryPipelinedRequestAndItsEffects) {
  auto pipeline = make_pipeline(8);
  auto keep = std::make_shared<int>(0);
  spawn(pipeline.run_pipelined(send_frame(1), keep));
  proto::Frame alone = send_frame(3);
  spawn(pipeline.run_alone(alone));
  gate(handled_, 3).open();
  gate(answered_, 3).open();
  settle();
  EXPECT_EQ(log_, (std::vector<std::string>{"start 1"}));
  gate(handled_, 1).open();
  gate(answered_, 1).open();
  settle();
  EXPECT_EQ(log_, (std::vector<std::string>{"start 1", "answer 1", "effect 1", "start 3", "answer 3", "effect 3"}));
}

TEST_F(RequestPipelineTest, AtMostMaxInFlightRequestsRunAtOnce) {
  auto pipeline = make_pipeline(2);
  auto keep = std::make_shared<int>(0);
  bool third_started = false;
  spawn(pipeline.run_pipelined(send_frame(1), keep));
  spawn(pipeline.run_pipelined(send_frame(2), keep));
  spawn([](RequestPipeline& p, std::shared_ptr<int> k, bool& started) -> asio::awaitable<void> {
    co_await p.run_pipelined(send_frame(3), k);
    started = true;
  }(pipeline, keep, third_started));
  settle();
  EXPECT_EQ(pipeline.in_flight(), 2u);
  EXPECT_FALSE(third_started);
  gate(handled_, 1).open();
  gate(answered_, 1).open();
  settle();
  EXPECT_TRUE(third_started);
  EXPECT_EQ(pipeline.in_flight(), 2u);
  // The keep-alive is held by each request in flight.
  EXPECT_EQ(keep.use_count(), 3);
}

}  // namespace
}  // namespace occhat::server

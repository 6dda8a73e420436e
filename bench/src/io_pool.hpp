#pragma once
// The client side's event loops: N io_contexts, one thread each (default N = 1: one thread can
// drive thousands of connections, and a second would compete with the server for 2 cores).
// The main thread orchestrates: it posts work to the contexts and polls shared atomics.

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace occhat::bench {

class IoPool {
 public:
  explicit IoPool(unsigned threads);
  ~IoPool();  // stops the contexts and joins the threads
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  asio::io_context& context(std::size_t i) { return *contexts_[i % contexts_.size()]; }
  void stop();

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

// Declared after the objects that live on the pool's contexts (which are declared after the
// pool): on any exit it joins the threads first, so those objects are destroyed while no handler
// runs, and the contexts (with their pending handlers) go last.
class StopPoolOnExit {
 public:
  explicit StopPoolOnExit(IoPool& pool) : pool_(pool) {}
  ~StopPoolOnExit() { pool_.stop(); }
  StopPoolOnExit(const StopPoolOnExit&) = delete;
  StopPoolOnExit& operator=(const StopPoolOnExit&) = delete;

 private:
  IoPool& pool_;
};

// Polls `done` every millisecond until it is true; throws BenchError("timed out: <what>") after
// `timeout`. Also throws if `failure` (checked each time) holds a message.
void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout, const std::string& what,
                const std::function<std::optional<std::string>()>& failure = {});

}  // namespace occhat::bench

#include "io_pool.hpp"

#include <cstdio>
#include <exception>

#include "bench_error.hpp"

namespace occhat::bench {

IoPool::IoPool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  for (auto& io : contexts_) {
    threads_.emplace_back([ctx = io.get()] {
      for (;;) {
        try {
          ctx->run();
          return;
        } catch (const std::exception& e) {
          // A handler threw: report and keep the loop alive; the orchestrator notices the stall.
          std::fprintf(stderr, "occhat-bench: client error: %s\n", e.what());
        }
      }
    });
  }
}

IoPool::~IoPool() { stop(); }

void IoPool::stop() {
  guards_.clear();
  for (auto& io : contexts_) io->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout, const std::string& what,
                const std::function<std::optional<std::string>()>& failure) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return;
    if (failure) {
      if (auto message = failure()) throw BenchError(*message);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw BenchError("timed out after " + std::to_string(timeout.count() / 1000.0).substr(0, 5) + " s: " + what);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace occhat::bench

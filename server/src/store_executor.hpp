#pragma once
// Owns the Store and the one thread every store call runs on. Sessions co_await run(); the
// network thread never blocks on SQLite (an fsync can take milliseconds) and the Store needs no
// locking because only this thread touches it.

#include <asio/awaitable.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <memory>
#include <optional>
#include <thread>

#include "occhat/store/store.hpp"
#include "run_on.hpp"

namespace occhat::server {

class StoreExecutor {
 public:
  explicit StoreExecutor(std::unique_ptr<store::Store> store);
  ~StoreExecutor();
  StoreExecutor(const StoreExecutor&) = delete;
  StoreExecutor& operator=(const StoreExecutor&) = delete;

  // Runs f(Store&) on the store thread; StoreError propagates to the awaiting coroutine.
  template <typename F>
  auto run(F f) {
    return run_on(context_.get_executor(), [this, f = std::move(f)]() mutable { return f(*store_); });
  }

  // Runs every call already queued, then stops the thread. Idempotent.
  void shutdown();

 private:
  std::unique_ptr<store::Store> store_;
  asio::io_context context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace occhat::server

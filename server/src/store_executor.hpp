#pragma once
// Owns the Store and the one thread every store call runs on. Sessions co_await run(); the
// network thread never blocks on SQLite (an fsync can take milliseconds) and the Store needs no
// locking because only this thread touches it.
//
// Group commit: calls that are queued together run in one batch (Store::begin_batch) and are
// answered together after its one commit. While a batch commits (the fsync), new calls queue
// up and form the next batch, so the number of fsyncs per second stays bounded by the disk,
// not by the number of requests. No call is answered before the commit that made it durable,
// and a read never returns something that is not yet committed.

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>

#include "occhat/store/store.hpp"

namespace occhat::server {

class StoreExecutor {
 public:
  explicit StoreExecutor(std::unique_ptr<store::Store> store);
  ~StoreExecutor();
  StoreExecutor(const StoreExecutor&) = delete;
  StoreExecutor& operator=(const StoreExecutor&) = delete;

  // Runs f(Store&) on the store thread as part of the current batch and completes once that
  // batch is committed. StoreError from f, or from the commit, propagates to the awaiting
  // coroutine. Pass a named local, not a lambda temporary (g++ 12; see run_on.hpp).
  template <typename F>
  auto run(F f) -> asio::awaitable<std::invoke_result_t<F&, store::Store&>> {
    using Result = std::invoke_result_t<F&, store::Store&>;
    // Only trivially copyable captures cross into Asio (see run_on.hpp): the coroutine owns f.
    F* job = new F(std::move(f));
    return asio::co_spawn(
        context_.get_executor(),
        [this, job]() -> asio::awaitable<Result> {
          std::unique_ptr<F> owned(job);
          std::exception_ptr failure;
          auto batch = join_batch(failure);
          if constexpr (std::is_void_v<Result>) {
            if (!failure) {
              try {
                (*owned)(*store_);
              } catch (...) {
                failure = std::current_exception();
              }
            }
            co_await committed(batch);
            rethrow_if_failed(failure, batch.get());
          } else {
            std::optional<Result> result;
            if (!failure) {
              try {
                result.emplace((*owned)(*store_));
              } catch (...) {
                failure = std::current_exception();
              }
            }
            co_await committed(batch);
            rethrow_if_failed(failure, batch.get());
            co_return std::move(*result);
          }
        },
        asio::use_awaitable);
  }

  // Runs every call already queued, then stops the thread. Idempotent.
  void shutdown();

 private:
  struct Batch {
    explicit Batch(asio::io_context& context) : done(context) {
      done.expires_at(asio::steady_timer::time_point::max());
    }
    asio::steady_timer done;  // cancelled once the commit finished
    bool finished = false;
    std::exception_ptr failure;  // the commit's error, if it failed
  };

  // The open batch (opening one, and scheduling its commit, if none is). On failure to open,
  // `failure` is set and the result is null.
  std::shared_ptr<Batch> join_batch(std::exception_ptr& failure);
  void commit_open_batch();
  static asio::awaitable<void> committed(const std::shared_ptr<Batch>& batch);
  static void rethrow_if_failed(const std::exception_ptr& failure, const Batch* batch);

  std::unique_ptr<store::Store> store_;
  asio::io_context context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::shared_ptr<Batch> open_batch_;
  std::thread thread_;
};

}  // namespace occhat::server

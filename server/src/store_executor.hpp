#pragma once
// How store work leaves the network thread. Sessions co_await run(job): job(Store&) runs on a
// store thread, and the awaiting coroutine resumes on its own executor with the job's result
// (or its exception) once the job's work is durable. The network thread never blocks on the
// database (an fsync can take milliseconds).
//
// Which thread, which connection and which transaction a job gets is the implementation's
// business (make_store_executor picks one for the store location):
//  - SqliteStoreExecutor (the embedded default): one store thread and one connection; jobs
//    queued together share one group commit (sqlite_store_executor.hpp).
//  - PooledStoreExecutor: N threads, each with its own Store connection; every Store call is its
//    own transaction (pooled_store_executor.hpp). For a backend with a server that handles
//    concurrent connections (PostgreSQL).
// So a job must not rely on its several Store calls sharing one transaction.
//
// Order: SqliteStoreExecutor runs jobs in the order they were submitted, and the session's
// pipelined send_message requests rely on it (one connection's messages are stored in the order
// they arrived). PooledStoreExecutor runs run() jobs concurrently and in no order; jobs given to
// run_in_order() with the same key run one after another, in the order they were submitted. The
// send handlers (1:1 and room) key by the sender's user id (sender_order_key), so one user's
// sends, pipelined or from several connections, are stored and answered in the order they
// arrived, on any store. Every other request waits for the connection's sends in flight
// (RequestPipeline::run_alone), so it needs no key. Pushes to one recipient from different
// senders may reach the network thread out of seq order on a pool; the Subscription turns that
// into a read of the store, so a connection still sees its seqs in order (subscription.hpp).
//
// Adding an executor: derive from StoreExecutor and implement submit() and shutdown().

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "metrics.hpp"
#include "occhat/store/store.hpp"

namespace occhat::server {

namespace detail {
// A job of run() with room for its result: what crosses to the store thread as one pointer.
class StoreCall {
 public:
  virtual ~StoreCall() = default;
  virtual void operator()(store::Store& store) = 0;
  // When the call reached each stage (metrics: where a request's time goes).
  std::chrono::steady_clock::time_point submitted_at, finished_at, durable_at;
};
}  // namespace detail

class StoreExecutor {
 public:
  StoreExecutor() = default;
  virtual ~StoreExecutor() = default;
  StoreExecutor(const StoreExecutor&) = delete;
  StoreExecutor& operator=(const StoreExecutor&) = delete;

  // Runs f(Store&) on a store thread and completes once its work is durable. An exception from
  // f (StoreError, or any other), or from the commit, propagates to the awaiting coroutine.
  // Pass a named local, not a lambda temporary (g++ 12; see run_on.hpp).
  template <typename F>
  auto run(F f) -> asio::awaitable<std::invoke_result_t<F&, store::Store&>> {
    // Only trivially copyable values cross into Asio and the coroutine frame (see run_on.hpp):
    // the coroutine owns the job through a raw pointer.
    return await_call(this, new Call<F>(std::move(f)));
  }

  // As run(), but after every job submitted earlier with the same `order_key`, and before every
  // later one: jobs whose order matters (one connection's sends, one user's inbox) share a key.
  // With `durable_at`, tells when the job's work became durable (set only while the stages are
  // observed: observe_stages; send_stages.hpp).
  template <typename F>
  auto run_in_order(std::uint64_t order_key, F f, std::chrono::steady_clock::time_point* durable_at = nullptr)
      -> asio::awaitable<std::invoke_result_t<F&, store::Store&>> {
    return await_call(this, new Call<F>(std::move(f)), order_key, durable_at);
  }

  // Runs every job already submitted, then stops the store thread(s). Idempotent. No run()
  // after it.
  virtual void shutdown() = 0;

  // Where the executor records how long each commit took (metrics); null: nowhere. Set before
  // the first run().
  void observe_commits(LatencyHistogram* histogram) noexcept { commit_latency_ = histogram; }
  // Where the executor records each call's stages (store_queue, store_job, store_commit_wait,
  // store_resume); null: nowhere. Set before the first run().
  void observe_stages(ServerMetrics* metrics) noexcept { stages_ = metrics; }

  // A job as an executor sees it: runs on a store thread and may throw.
  using Job = std::function<void(store::Store&)>;
  // Called exactly once per job, from any thread: with nullptr once the job's work is durable,
  // else with the reason it failed (the job's exception, or the commit's).
  using Done = std::function<void(std::exception_ptr)>;

 protected:
  // Runs `job` on a store thread, then calls `done`. Must not throw.
  virtual void submit(Job job, Done done) = 0;
  // As submit(), in order with the other jobs of `order_key` (see run_in_order). The default
  // suits an executor that runs every job in submission order anyway.
  virtual void submit_in_order(std::uint64_t order_key, Job job, Done done) {
    (void)order_key;
    submit(std::move(job), std::move(done));
  }

  void record_commit(std::chrono::nanoseconds elapsed) noexcept {
    if (commit_latency_ != nullptr) commit_latency_->observe(elapsed);
  }

 private:
  LatencyHistogram* commit_latency_ = nullptr;
  ServerMetrics* stages_ = nullptr;

  // Calls done on a store thread and waiting to resume their coroutines. They go back to the
  // network thread together: one post (one wake-up) per group commit, not one per call.
  struct Completion {
    std::shared_ptr<void> waiting;                  // the coroutine's completion handler
    void (*resume)(void* waiting, std::exception_ptr failure);
    std::exception_ptr failure;
    detail::StoreCall* call;
    asio::any_io_executor resume_on;                // tracks work: its run() waits for us
  };
  void complete(Completion completion);
  void resume_completed();
  std::mutex completed_mutex_;
  std::vector<Completion> completed_;
  std::vector<Completion> resuming_;  // resume_completed()'s list (its capacity reused)

  template <typename F>
  class Call final : public detail::StoreCall {
   public:
    using Result = std::invoke_result_t<F&, store::Store&>;
    explicit Call(F f) : f_(std::move(f)) {}
    void operator()(store::Store& store) override {
      if constexpr (std::is_void_v<Result>) {
        f_(store);
      } else {
        result_.emplace(f_(store));
      }
    }
    Result take() {
      if constexpr (!std::is_void_v<Result>) return std::move(*result_);
    }

   private:
    F f_;
    std::optional<std::conditional_t<std::is_void_v<Result>, char, Result>> result_;
  };

  template <typename C>
  static asio::awaitable<typename C::Result> await_call(StoreExecutor* self, C* raw,
                                                        std::optional<std::uint64_t> order_key = std::nullopt,
                                                        std::chrono::steady_clock::time_point* durable_at = nullptr) {
    std::unique_ptr<C> call(raw);
    co_await self->submitted(call.get(), order_key);
    if (durable_at) *durable_at = call->durable_at;
    co_return call->take();
  }

  // Submits *call (in order with `order_key`'s jobs, if given) and completes (on the awaiting
  // coroutine's executor) when it is done.
  asio::awaitable<void> submitted(detail::StoreCall* call, std::optional<std::uint64_t> order_key);
};

// The order key of `user_id`'s sends (run_in_order), apart from any other kind of key.
constexpr std::uint64_t sender_order_key(std::uint32_t user_id) noexcept { return user_id; }

// The executor for the store at `location` (see store::open_store): SQLite gets its group-commit
// executor, any other backend a pool of `connections` connections. Throws StoreError.
std::unique_ptr<StoreExecutor> make_store_executor(std::string_view location, const store::StoreOptions& options,
                                                   std::size_t connections = 8);

}  // namespace occhat::server

#include "store_executor.hpp"

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/use_awaitable.hpp>

#include <future>
#include <string>
#include <vector>

#include "occhat/store/sqlite_store.hpp"
#include "pooled_store_executor.hpp"
#include "sqlite_store_executor.hpp"

namespace occhat::server {

asio::awaitable<void> StoreExecutor::submitted(detail::StoreCall* call, std::optional<std::uint64_t> order_key) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
      [this, call, order_key](auto handler) {
        // The awaiting coroutine resumes on its own executor, which counts as busy meanwhile (its
        // run() does not return while a store job is out). The handler is move-only and Job/Done
        // are std::functions (copyable), hence the shared_ptr.
        auto resume_on = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
        // The stages are timed only when someone looks at them (--metrics-listen or a test).
        ServerMetrics* stages = stages_;
        if (stages) call->submitted_at = std::chrono::steady_clock::now();
        Job job = [call, stages](store::Store& store) {
          if (stages) {
            const auto started = std::chrono::steady_clock::now();
            stages->store_queue.observe(started - call->submitted_at);
            (*call)(store);
            call->finished_at = std::chrono::steady_clock::now();
            stages->store_job.observe(call->finished_at - started);
          } else {
            (*call)(store);
          }
        };
        using Waiting = typename decltype(waiting)::element_type;
        Done done = [this, call, stages, waiting = std::move(waiting),
                     resume_on = std::move(resume_on)](std::exception_ptr failure) mutable {
          if (stages) {
            call->durable_at = std::chrono::steady_clock::now();
            // A job that threw never set finished_at: its wait counts from submission.
            const auto finished = call->finished_at.time_since_epoch().count() != 0 ? call->finished_at : call->submitted_at;
            stages->store_commit_wait.observe(call->durable_at - finished);
          }
          complete(Completion{std::move(waiting),
                              [](void* handler, std::exception_ptr why) { (*static_cast<Waiting*>(handler))(why); },
                              failure, call, std::move(resume_on)});
        };
        if (order_key) {
          submit_in_order(*order_key, std::move(job), std::move(done));
        } else {
          submit(std::move(job), std::move(done));
        }
      },
      asio::use_awaitable);
}

void StoreExecutor::complete(Completion completion) {
  std::unique_lock lock(completed_mutex_);
  if (!completed_.empty() && completed_.front().resume_on != completion.resume_on) {
    // Another executor than the waiting ones' (rare: everything runs on the network thread):
    // this one goes back on its own.
    lock.unlock();
    auto executor = completion.resume_on;
    asio::post(executor, [this, completion = std::move(completion)]() mutable {
      if (stages_) stages_->store_resume.observe(std::chrono::steady_clock::now() - completion.call->durable_at);
      completion.resume(completion.waiting.get(), completion.failure);
    });
    return;
  }
  const bool first = completed_.empty();
  completed_.push_back(std::move(completion));
  if (!first) return;
  auto executor = completed_.front().resume_on;
  lock.unlock();
  asio::post(executor, [this] { resume_completed(); });
}

void StoreExecutor::resume_completed() {
  {
    std::lock_guard lock(completed_mutex_);
    resuming_.swap(completed_);
  }
  const auto now = stages_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  for (std::size_t i = 0; i < resuming_.size(); ++i) {
    auto& completion = resuming_[i];
    if (stages_) stages_->store_resume.observe(now - completion.call->durable_at);
    try {
      completion.resume(completion.waiting.get(), completion.failure);
    } catch (...) {
      // A coroutine's exception leaves run() (the server logs it and runs on): the calls after
      // it must still resume, in a handler of their own.
      for (std::size_t j = i + 1; j < resuming_.size(); ++j) {
        auto rest = std::move(resuming_[j]);
        auto executor = rest.resume_on;
        asio::post(executor, [rest = std::move(rest)]() mutable { rest.resume(rest.waiting.get(), rest.failure); });
      }
      resuming_.clear();
      throw;
    }
  }
  resuming_.clear();
}

std::unique_ptr<StoreExecutor> make_store_executor(std::string_view location, const store::StoreOptions& options,
                                                   std::size_t connections) {
  auto first = store::open_store(location, options);
  // SQLite allows one writer at a time: more connections would only queue on its lock, while
  // one connection with group commit shares each fsync among every call queued meanwhile.
  if (auto* sqlite = dynamic_cast<store::SqliteStore*>(first.get())) {
    first.release();
    return std::make_unique<SqliteStoreExecutor>(std::unique_ptr<store::SqliteStore>(sqlite));
  }
  // The first connection migrated the schema; the others are opened at once, in parallel (a
  // PostgreSQL connection takes tens of milliseconds to set up: a server start should not pay
  // for them one after another). The first failure is thrown once every open has finished.
  std::vector<std::future<std::unique_ptr<store::Store>>> opening;
  for (std::size_t i = 1; i < connections; ++i) {
    opening.push_back(std::async(std::launch::async, [location = std::string(location), options] {
      return store::open_store(location, options);
    }));
  }
  std::vector<std::unique_ptr<store::Store>> pool;
  pool.push_back(std::move(first));
  std::exception_ptr failure;
  for (auto& connection : opening) {
    try {
      pool.push_back(connection.get());
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return std::make_unique<PooledStoreExecutor>(std::move(pool));
}

}  // namespace occhat::server

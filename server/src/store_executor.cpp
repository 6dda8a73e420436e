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
        Job job = [call](store::Store& store) { (*call)(store); };
        Done done = [waiting = std::move(waiting), resume_on = std::move(resume_on)](std::exception_ptr failure) mutable {
          asio::post(resume_on, [waiting = std::move(waiting), failure]() mutable { (*waiting)(failure); });
        };
        if (order_key) {
          submit_in_order(*order_key, std::move(job), std::move(done));
        } else {
          submit(std::move(job), std::move(done));
        }
      },
      asio::use_awaitable);
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

#include "store_executor.hpp"

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>

#include "log.hpp"

namespace occhat::server {

StoreExecutor::StoreExecutor(std::unique_ptr<store::Store> store)
    : store_(std::move(store)), work_(context_.get_executor()) {
  thread_ = std::thread([this] {
    // Store calls throw into the awaiting coroutine, never here; anything that still escapes is
    // logged and the loop keeps serving.
    for (;;) {
      try {
        context_.run();
        return;
      } catch (const std::exception& e) {
        log_event("store thread: unexpected exception: {}", e.what());
      }
    }
  });
}

StoreExecutor::~StoreExecutor() { shutdown(); }

void StoreExecutor::shutdown() {
  work_.reset();  // run() returns once the queue is empty: in-flight writes finish first
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<StoreExecutor::Batch> StoreExecutor::join_batch(std::exception_ptr& failure) {
  if (open_batch_) return open_batch_;
  try {
    store_->begin_batch();
  } catch (...) {
    failure = std::current_exception();
    return nullptr;
  }
  open_batch_ = std::make_shared<Batch>(context_);
  // Queued behind every call already waiting: they all join this batch. Calls queued from now
  // on run after the commit, in the next batch.
  asio::post(context_, [this] { commit_open_batch(); });
  return open_batch_;
}

void StoreExecutor::commit_open_batch() {
  const auto batch = std::move(open_batch_);  // leaves open_batch_ empty: the next call opens one
  try {
    store_->commit_batch();
  } catch (...) {
    batch->failure = std::current_exception();
    log_event("store: a group commit failed; its calls report a storage failure");
  }
  batch->finished = true;
  batch->done.cancel();
}

asio::awaitable<void> StoreExecutor::committed(const std::shared_ptr<Batch>& batch) {
  if (!batch || batch->finished) co_return;
  asio::error_code ignored;
  co_await batch->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void StoreExecutor::rethrow_if_failed(const std::exception_ptr& failure, const Batch* batch) {
  if (failure) std::rethrow_exception(failure);
  if (batch && batch->failure) std::rethrow_exception(batch->failure);
}

}  // namespace occhat::server

#include "store_executor.hpp"

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

}  // namespace occhat::server

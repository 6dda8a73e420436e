#include "pooled_store_executor.hpp"

#include <chrono>
#include <stdexcept>

namespace occhat::server {

PooledStoreExecutor::PooledStoreExecutor(std::vector<std::unique_ptr<store::Store>> connections)
    : connections_(std::move(connections)) {
  if (connections_.empty()) throw std::invalid_argument("a store pool needs at least one connection");
  threads_.reserve(connections_.size());
  for (auto& connection : connections_) threads_.emplace_back([this, store = connection.get()] { serve(*store); });
}

PooledStoreExecutor::~PooledStoreExecutor() { shutdown(); }

void PooledStoreExecutor::shutdown() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void PooledStoreExecutor::submit(Job job, Done done) {
  {
    const std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(job), std::move(done));
  }
  wake_.notify_one();
}

void PooledStoreExecutor::serve(store::Store& store) {
  for (;;) {
    std::pair<Job, Done> next;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every submitted job has been taken
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    std::exception_ptr failure;
    const auto started = std::chrono::steady_clock::now();
    try {
      // Each Store call is its own transaction here: the job's time is its commit's.
      next.first(store);
      record_commit(std::chrono::steady_clock::now() - started);
    } catch (...) {
      failure = std::current_exception();
    }
    next.second(failure);
  }
}

}  // namespace occhat::server

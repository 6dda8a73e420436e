#include "pooled_store_executor.hpp"

#include <algorithm>
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
    queue_.push_back(Entry{std::nullopt, std::move(job), std::move(done)});
  }
  wake_.notify_one();
}

void PooledStoreExecutor::submit_in_order(std::uint64_t order_key, Job job, Done done) {
  {
    const std::lock_guard lock(mutex_);
    queue_.push_back(Entry{order_key, std::move(job), std::move(done)});
  }
  wake_.notify_one();
}

std::deque<PooledStoreExecutor::Entry>::iterator PooledStoreExecutor::next_runnable() {
  // The first entry of a key is its oldest: taking entries front to first keeps each key's order.
  // A linear scan: the queue is short unless the database stalls, and then it is not the cost.
  return std::find_if(queue_.begin(), queue_.end(),
                      [this](const Entry& entry) { return !entry.key || !running_keys_.contains(*entry.key); });
}

void PooledStoreExecutor::serve(store::Store& store) {
  for (;;) {
    Entry next;
    {
      std::unique_lock lock(mutex_);
      auto runnable = queue_.end();
      wake_.wait(lock, [&] {
        runnable = next_runnable();
        return runnable != queue_.end() || (stopping_ && queue_.empty());
      });
      if (runnable == queue_.end()) return;  // stopping, and every submitted job has been taken
      next = std::move(*runnable);
      queue_.erase(runnable);
      if (next.key) running_keys_.insert(*next.key);
    }
    std::exception_ptr failure;
    const auto started = std::chrono::steady_clock::now();
    try {
      // Each Store call is its own transaction here: the job's time is its commit's.
      next.job(store);
      record_commit(std::chrono::steady_clock::now() - started);
    } catch (...) {
      failure = std::current_exception();
    }
    // done() before the key is released: the key's next job cannot finish, and its done() be
    // posted, before this one's. So a connection's pipelined sends are answered, and their pushes
    // published, in the order they were stored, as with SQLite's single writer.
    next.done(failure);
    if (next.key) {
      {
        const std::lock_guard lock(mutex_);
        running_keys_.erase(*next.key);
      }
      // The key's next job may be waiting for any thread, not just this one.
      wake_.notify_all();
    }
  }
}

}  // namespace occhat::server

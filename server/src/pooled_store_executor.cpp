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
    ready_.push_back(Entry{std::nullopt, std::move(job), std::move(done)});
  }
  wake_.notify_one();
}

void PooledStoreExecutor::submit_in_order(std::uint64_t order_key, Job job, Done done) {
  {
    const std::lock_guard lock(mutex_);
    const auto [busy, inserted] = behind_.try_emplace(order_key);
    if (!inserted) {  // the key has a job ready or running: this one waits its turn
      busy->second.push_back(Entry{order_key, std::move(job), std::move(done)});
      return;
    }
    ready_.push_back(Entry{order_key, std::move(job), std::move(done)});
  }
  wake_.notify_one();
}

void PooledStoreExecutor::release_key(std::uint64_t key) {
  const auto busy = behind_.find(key);
  if (busy->second.empty()) {
    behind_.erase(busy);
    return;
  }
  ready_.push_back(std::move(busy->second.front()));
  busy->second.pop_front();
}

void PooledStoreExecutor::serve(store::Store& store) {
  for (;;) {
    Entry next;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !ready_.empty() || stopping_; });
      // Stopping: a key's jobs still behind a running one become ready when it ends, on the
      // thread that ran it, which then takes them itself.
      if (ready_.empty()) return;
      next = std::move(ready_.front());
      ready_.pop_front();
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
        release_key(*next.key);
      }
      wake_.notify_one();
    }
  }
}

}  // namespace occhat::server

#pragma once
// A StoreExecutor over a pool of connections: one thread per Store object, each job on whichever
// thread is free, every Store call its own transaction (the Store contract). A job is answered
// when it returns, since its calls have committed by then. Jobs run concurrently and in no
// particular order, except jobs submitted with the same order key (run_in_order): those run one
// at a time, in submission order, and complete (their done() is called) in that order too, while
// other jobs go ahead on the other threads. Meant for a backend whose server serves many
// connections at once
// (PostgreSQL); SQLite works too (its busy_timeout makes writers wait for each other) but gains
// nothing over SqliteStoreExecutor's group commit.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store_executor.hpp"

namespace occhat::server {

class PooledStoreExecutor final : public StoreExecutor {
 public:
  // One thread per connection; the connections must all serve the same store and be open.
  explicit PooledStoreExecutor(std::vector<std::unique_ptr<store::Store>> connections);
  ~PooledStoreExecutor() override;

  void shutdown() override;

 protected:
  void submit(Job job, Done done) override;
  void submit_in_order(std::uint64_t order_key, Job job, Done done) override;

 private:
  struct Entry {
    std::optional<std::uint64_t> key;
    Job job;
    Done done;
  };
  void serve(store::Store& store);
  // The queue's first entry that may start now (no key, or a key with no job running), or end().
  std::deque<Entry>::iterator next_runnable();

  std::vector<std::unique_ptr<store::Store>> connections_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Entry> queue_;                 // guarded by mutex_
  std::unordered_set<std::uint64_t> running_keys_;  // guarded by mutex_: keys with a job running
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace occhat::server

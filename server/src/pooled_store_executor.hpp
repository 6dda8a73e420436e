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
#include <unordered_map>
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
  // After a keyed job: its key's next job becomes ready, or the key is free again. Locked.
  void release_key(std::uint64_t key);

  std::vector<std::unique_ptr<store::Store>> connections_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Jobs that may start now: unkeyed ones, and at most one per key. Guarded by mutex_.
  std::deque<Entry> ready_;
  // Per key with a job ready or running, the jobs behind it, oldest first. A key's later jobs
  // wait here rather than in ready_, so a thread never scans past them: with 50 senders each
  // keeping 64 sends in flight, a shared queue made every wake-up scan thousands of blocked
  // entries (the pool burned ~600 us of CPU per message). Guarded by mutex_.
  std::unordered_map<std::uint64_t, std::deque<Entry>> behind_;
  bool stopping_ = false;  // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace occhat::server

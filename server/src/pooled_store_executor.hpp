#pragma once
// A StoreExecutor over a pool of connections: one thread per Store object, each job on whichever
// thread is free, every Store call its own transaction (the Store contract). A job is answered
// when it returns, since its calls have committed by then. Jobs run concurrently and in no
// particular order. Meant for a backend whose server serves many connections at once
// (PostgreSQL); SQLite works too (its busy_timeout makes writers wait for each other) but gains
// nothing over SqliteStoreExecutor's group commit.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
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

 private:
  void serve(store::Store& store);

  std::vector<std::unique_ptr<store::Store>> connections_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<Job, Done>> queue_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace occhat::server

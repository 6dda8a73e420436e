#pragma once
// The StoreExecutor of the embedded SQLite store: one store thread owns the one connection, so
// the Store needs no locking.
//
// Group commit: jobs that are queued together run in one batch (SqliteStore::begin_batch) and
// are answered together after its one commit. While a batch commits (the fsync), new jobs queue
// up and form the next batch, so the number of fsyncs per second stays bounded by the disk, not
// by the number of requests. No job is answered before the commit that made it durable (a
// failed job neither: its error may rest on what the batch's earlier jobs wrote), and a read
// never returns something that is not yet committed.

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "occhat/store/sqlite_store.hpp"
#include "store_executor.hpp"

namespace occhat::server {

class SqliteStoreExecutor final : public StoreExecutor {
 public:
  explicit SqliteStoreExecutor(std::unique_ptr<store::SqliteStore> store);
  ~SqliteStoreExecutor() override;

  void shutdown() override;

 protected:
  void submit(Job job, Done done) override;

 private:
  struct Answer {
    Done done;
    std::exception_ptr failure;  // the job's own
  };
  struct Queued {
    Job job;
    Done done;
  };

  // On the store thread: runs every job submitted since the last drain.
  void drain_submitted();

  // On the store thread: runs one job in the open batch (opening one, and scheduling its
  // commit, if none is).
  void run_job(Job& job, Done& done);
  void commit_open_batch();

  std::unique_ptr<store::SqliteStore> store_;
  asio::io_context context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  bool batch_open_ = false;
  std::vector<Answer> batch_;  // the open batch's jobs, answered after its commit
  // Jobs cross to the store thread through this list: one post (one wake-up of the store
  // thread) per burst of submissions, not one per job. A drain is posted whenever it is not empty.
  std::mutex submitted_mutex_;
  std::vector<Queued> submitted_;
  std::vector<Queued> draining_;  // store thread only: the list being run (its capacity reused)
  std::thread thread_;
};

}  // namespace occhat::server

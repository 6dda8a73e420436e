#pragma once
// The StoreExecutor of the embedded SQLite store: one thread owns the one connection, so the
// Store needs no locking. Which thread depends on the durability:
//  - a store thread of its own (the constructor without an executor; --durability disk): a
//    commit's fsync takes milliseconds and must not stall the network thread;
//  - the network thread itself (the constructor with the network io_context's executor;
//    --durability process): a commit only writes WAL pages (synchronous=NORMAL, no fsync), so
//    handing every job to another thread and its answer back (two wake-ups, two context
//    switches per message on a VM) costs more than the job. Jobs submitted during one turn of
//    the event loop are queued, and one posted drain runs them all in one batch, commits it and
//    answers them: the batch is everything that arrived in one network wake-up. While a job
//    runs the network thread serves nobody else, so long jobs (a backlog page, an export)
//    delay every connection by their length (README "Durability").
//
// Group commit: jobs that are queued together run in one batch (SqliteStore::begin_batch) and
// are answered together after its one commit. While a batch commits (the fsync), new jobs queue
// up and form the next batch, so the number of fsyncs per second stays bounded by the disk, not
// by the number of requests. No job is answered before the commit that made it durable (a
// failed job neither: its error may rest on what the batch's earlier jobs wrote), and a read
// never returns something that is not yet committed.

#include <asio/any_io_executor.hpp>
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
  // Jobs run on a store thread of the executor's own.
  explicit SqliteStoreExecutor(std::unique_ptr<store::SqliteStore> store);
  // Jobs run on `network`, which must be the executor of an io_context run by one thread (the
  // server's network thread). submit() stays safe from any thread. shutdown() runs the jobs
  // still queued on the calling thread: call it once that io_context no longer runs.
  SqliteStoreExecutor(std::unique_ptr<store::SqliteStore> store, asio::any_io_executor network);
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
  // On the network thread: runs every job submitted since the last drain in one batch,
  // commits it and answers them.
  void drain_inline();

  // On the store thread: runs one job in the open batch (opening one, and scheduling its
  // commit, if none is).
  void run_job(Job& job, Done& done);
  void commit_open_batch();

  std::unique_ptr<store::SqliteStore> store_;
  // Set: jobs run on this executor (the network thread), context_ and thread_ stay unused.
  std::optional<asio::any_io_executor> network_;
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

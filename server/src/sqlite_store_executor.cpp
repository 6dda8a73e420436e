#include "sqlite_store_executor.hpp"

#include <asio/post.hpp>

#include <chrono>

#include "log.hpp"

namespace occhat::server {

SqliteStoreExecutor::SqliteStoreExecutor(std::unique_ptr<store::SqliteStore> store)
    : store_(std::move(store)), work_(context_.get_executor()) {
  thread_ = std::thread([this] {
    // Jobs report their exceptions through Done, never here; anything that still escapes is
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

SqliteStoreExecutor::~SqliteStoreExecutor() { shutdown(); }

void SqliteStoreExecutor::shutdown() {
  work_.reset();  // run() returns once the queue is empty: in-flight writes finish first
  if (thread_.joinable()) thread_.join();
}

void SqliteStoreExecutor::submit(Job job, Done done) {
  bool first;
  {
    std::lock_guard lock(submitted_mutex_);
    first = submitted_.empty();
    submitted_.push_back(Queued{std::move(job), std::move(done)});
  }
  if (first) asio::post(context_, [this] { drain_submitted(); });
}

void SqliteStoreExecutor::drain_submitted() {
  {
    std::lock_guard lock(submitted_mutex_);
    draining_.swap(submitted_);
  }
  // In submission order. The first job opens a batch and queues its commit behind this drain
  // (and behind a drain posted meanwhile): all of them share the one commit.
  for (auto& queued : draining_) run_job(queued.job, queued.done);
  draining_.clear();
}

void SqliteStoreExecutor::run_job(Job& job, Done& done) {
  if (!batch_open_) {
    try {
      store_->begin_batch();
    } catch (...) {
      done(std::current_exception());
      return;
    }
    batch_open_ = true;
    // Queued behind every job already waiting: they all join this batch. Jobs queued from now
    // on run after the commit, in the next batch.
    asio::post(context_, [this] { commit_open_batch(); });
  }
  std::exception_ptr failure;
  try {
    job(*store_);
  } catch (...) {
    failure = std::current_exception();
  }
  batch_.push_back(Answer{std::move(done), failure});
}

void SqliteStoreExecutor::commit_open_batch() {
  std::vector<Answer> answers;
  answers.swap(batch_);  // leaves the batch empty: the next job opens one
  batch_open_ = false;
  std::exception_ptr commit_failure;
  const auto started = std::chrono::steady_clock::now();
  try {
    store_->commit_batch();
    record_commit(std::chrono::steady_clock::now() - started);
  } catch (...) {
    commit_failure = std::current_exception();
    log_event("store: a group commit failed; its calls report a storage failure");
  }
  for (auto& answer : answers) answer.done(answer.failure ? answer.failure : commit_failure);
}

}  // namespace occhat::server

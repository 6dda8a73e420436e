#include "wal_checkpointer.hpp"

#include <cstdio>

namespace occhat::store::sqlite {

WalCheckpointer::WalCheckpointer(std::string path, std::string synchronous)
    : path_(std::move(path)), synchronous_(std::move(synchronous)) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::attach(sqlite3* db) { sqlite3_wal_hook(db, &WalCheckpointer::on_commit, this); }

int WalCheckpointer::on_commit(void* self_pointer, sqlite3* db, const char* /*name*/, int wal_pages) {
  auto* self = static_cast<WalCheckpointer*>(self_pointer);
  // The WAL started over (all of it had been copied): requests start from the bottom again.
  if (wal_pages < self->last_pages_) self->next_request_pages_ = kPages;
  self->last_pages_ = wal_pages;
  if (wal_pages >= kInlinePages) {
    // Returns at once if the background checkpoint holds the checkpoint lock (PASSIVE never
    // waits); its result is no failure of the commit that is already durable.
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (wal_pages >= self->next_request_pages_) {
    self->next_request_pages_ = wal_pages + kRequestStep;
    self->request();
  }
  return SQLITE_OK;
}

void WalCheckpointer::request() {
  {
    std::lock_guard lock(mutex_);
    if (requested_ || stopping_) return;
    requested_ = true;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  wake_.notify_one();
}

void WalCheckpointer::run() {
  sqlite3* db = nullptr;
  // Failing to open only leaves the checkpoints to SQLite itself: the last connection to close
  // checkpoints, and the WAL grows meanwhile; nothing is lost.
  if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "occhat store: cannot open a checkpoint connection: %s\n", db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_wal_autocheckpoint(db, 0);  // this connection never writes; no hook of its own either
  const std::string pragma = "PRAGMA synchronous = " + synchronous_;
  sqlite3_exec(db, pragma.c_str(), nullptr, nullptr, nullptr);
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_) break;
    requested_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, never waits for the writer, never blocks it.
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
  lock.unlock();
  sqlite3_close(db);
}

}  // namespace occhat::store::sqlite

#pragma once
// Moves SQLite's WAL checkpoints off the commit path. By default the connection that commits
// past 1,000 WAL pages copies them into the database file inside that COMMIT (and, with
// synchronous=FULL, fsyncs the file): every call of that group commit waits for it, which shows
// as the p99 of a relayed message. Instead the store connection only signals here, and a thread
// of our own runs PASSIVE checkpoints on a second connection: those take no write lock, so
// commits go on meanwhile (SQLite starts the WAL over once a writer finds it all copied).
// Under writes without a pause the background copy never quite catches up (new frames arrive
// while it copies), so past kInlinePages the committing connection finishes the copy itself:
// little is left to copy by then, and the WAL starts over at the next write.

#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace occhat::store::sqlite {

class WalCheckpointer {
 public:
  // `synchronous` is the store's PRAGMA synchronous value (FULL or NORMAL): the checkpoint syncs
  // as the store does.
  WalCheckpointer(std::string path, std::string synchronous);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Installs the hook on the store's connection `db` (replacing wal_autocheckpoint).
  void attach(sqlite3* db);

  // WAL pages after which a checkpoint is asked for: SQLite's own autocheckpoint default.
  static constexpr int kPages = 1000;
  // After a request, the next one waits until the WAL grew by this much: a pass that ended just
  // behind the writer is not followed by one pass (and one fsync) per commit.
  static constexpr int kRequestStep = kPages / 2;
  // WAL pages after which the committing connection checkpoints itself (bounds the WAL).
  static constexpr int kInlinePages = 2 * kPages;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages);
  void request();
  void run();

  const std::string path_;
  const std::string synchronous_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  int next_request_pages_ = kPages;  // store thread only (the hook)
  int last_pages_ = 0;               // store thread only: the WAL's size at the last commit
  bool stopping_ = false;
  std::thread thread_;  // started on the first request
};

}  // namespace occhat::store::sqlite

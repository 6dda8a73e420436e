#pragma once
// occhat::store_sqlite — the embedded default backend: one SQLite file in WAL mode.
//
// Beyond the Store contract it offers group commit, for the server's SQLite executor only:
// begin_batch() opens a transaction that every following call joins (each call as its own
// savepoint, so a failing call undoes only itself) until commit_batch() makes the whole batch
// durable with one commit: one fsync for many calls. Outside a batch each call is its own
// transaction. Batches do not nest.

#include <filesystem>
#include <memory>

#include "occhat/store/store.hpp"

namespace occhat::store {

class SqliteStore : public Store {
 public:
  virtual void begin_batch() = 0;
  // Throws StoreError if the commit fails; nothing of the batch is stored then.
  virtual void commit_batch() = 0;
};

// Opens (creating owner-only if needed) the SQLite database at `path` and migrates it to the
// current schema. The parent directory must exist. Throws StoreError on failure. Servers and
// tools go through open_store(); this is for code that needs the batch hooks.
std::unique_ptr<SqliteStore> open_sqlite_store(const std::filesystem::path& path,
                                               Durability durability = Durability::disk);

}  // namespace occhat::store

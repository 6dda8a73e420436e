#pragma once
// A thin RAII layer over the sqlite3 C API: just enough to prepare, bind, step and read
// columns without leaking handles. Every failure throws occhat::store::StoreError(internal)
// carrying SQLite's message. Not thread-safe: one thread at a time, like the Store above it.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace occhat::store::sqlite {

class Database;

// A prepared statement borrowed from the Database's cache: preparing costs more than running
// most of our queries, so each SQL text is prepared once and reused (reset and unbound when the
// Statement ends). A second Statement of the same text while the first is alive gets its own.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);
  Statement& bind_null(int index);

  // Returns true when a row is available, false when the statement is done. Throws on errors;
  // a constraint violation throws too, unless `constraint_ok` is set, in which case step()
  // returns false and constraint_failed() tells the caller which constraint broke.
  bool step(bool constraint_ok = false);
  // The extended result code of the last step() that hit a constraint (0 otherwise).
  int constraint_failed() const noexcept { return constraint_code_; }

  // Makes the statement reusable; bindings are cleared as well.
  void reset();

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::vector<std::uint8_t> column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool* cache_in_use_ = nullptr;  // the cache entry's flag; nullptr for an uncached statement
  int constraint_code_ = 0;
};

class Database {
 public:
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows we care about.
  void exec(std::string_view sql);
  // Runs one statement (no rows) through the statement cache: parsed once, not on every call
  // (BEGIN, COMMIT, SAVEPOINT and RELEASE run for every store call).
  void run(std::string_view sql);
  // Convenience for "SELECT single integer" / "PRAGMA x" queries.
  std::int64_t query_int(std::string_view sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int changes() noexcept { return sqlite3_changes(db_); }

  sqlite3* handle() noexcept { return db_; }
  // Throws StoreError with `what` and SQLite's last message.
  [[noreturn]] void fail(std::string_view what) const;

  // True while a transaction (ours or SQLite's implicit one) is open.
  bool in_transaction() noexcept { return sqlite3_get_autocommit(db_) == 0; }

 private:
  friend class Statement;
  // The cached statement for `sql` if it is free (in_use points at its busy flag), else a fresh
  // one (in_use = nullptr; finalized on release).
  sqlite3_stmt* acquire(std::string_view sql, bool*& in_use);
  static void release(sqlite3_stmt* stmt, bool* in_use) noexcept;

  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
  };
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  using Cache = std::unordered_map<std::string, CachedStatement, TextHash, std::equal_to<>>;
  sqlite3* db_ = nullptr;
  Cache cache_;
  // The cache entry last found for the SQL text at an address: the queries are string literals,
  // so the address finds the entry without hashing the whole text on every call (a send runs a
  // dozen statements). The text is still compared, so a reused address never finds a wrong one.
  std::unordered_map<const char*, Cache::value_type*> by_address_;
};

// Runs a transaction: commits when the scope ends normally, rolls back if an exception leaves
// it (commit() makes the commit explicit and lets its failure throw). Inside an open transaction
// (a group commit, see SqliteStore::begin_batch) it is a savepoint instead: a failing call undoes only
// its own changes, and the durable commit is the enclosing transaction's.
class Transaction {
 public:
  // IMMEDIATE takes the write lock up front so two writers never deadlock upgrading.
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool nested_ = false;
  bool done_ = false;
};

}  // namespace occhat::store::sqlite

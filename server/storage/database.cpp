#include "database.hpp"

#include <fmt/format.h>

#include <cerrno>

#include "occhat/store/store.hpp"

namespace occhat::store::sqlite {
namespace {

// A full disk is the client's to know (RESOURCE_EXHAUSTED "server disk is full": retry later),
// not an INTERNAL failure: SQLITE_FULL, or an I/O error whose cause was ENOSPC/EDQUOT. SQLite
// rolls the statement (or transaction) back, so the next write works again once there is room.
bool disk_full(sqlite3* db, int rc) {
  if ((rc & 0xff) == SQLITE_FULL) return true;
  if ((rc & 0xff) == SQLITE_IOERR) {
    const int error = sqlite3_system_errno(db);
    return error == ENOSPC || error == EDQUOT;
  }
  return false;
}

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
  const std::string message = sqlite3_errmsg(db);
  if (disk_full(db, rc)) throw StoreError(ErrorCode::resource_exhausted, "server disk is full");
  throw StoreError(ErrorCode::internal, fmt::format("{}: {}", what, message));
}

}  // namespace

Database::Database(const std::string& path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(ErrorCode::internal, fmt::format("cannot open database {}: {}", path, message));
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry.stmt);
  // sqlite3_close_v2 defers the close until every statement is finalized, so destruction order
  // of Statement vs Database cannot leak the handle.
  sqlite3_close_v2(db_);
}

sqlite3_stmt* Database::acquire(std::string_view sql, bool*& in_use) {
  const auto known = by_address_.find(sql.data());
  if (known != by_address_.end() && known->second->first == sql && !known->second->second.in_use) {
    known->second->second.in_use = true;
    in_use = &known->second->second.in_use;  // elements of an unordered_map never move
    return known->second->second.stmt;
  }
  // Text built at run time has ever new addresses: the map starts over rather than grow.
  if (by_address_.size() > 2 * cache_.size() + 64) by_address_.clear();
  auto found = cache_.find(sql);
  if (found != cache_.end() && !found->second.in_use) {
    found->second.in_use = true;
    in_use = &found->second.in_use;
    by_address_[sql.data()] = &*found;
    return found->second.stmt;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    fail("sqlite prepare failed");
  }
  in_use = nullptr;
  if (found == cache_.end()) {
    const auto entry = cache_.emplace(std::string(sql), CachedStatement{stmt, true}).first;
    in_use = &entry->second.in_use;
    by_address_[sql.data()] = &*entry;
  }
  return stmt;
}

void Database::release(sqlite3_stmt* stmt, bool* in_use) noexcept {
  if (!in_use) {
    sqlite3_finalize(stmt);
    return;
  }
  // Reset ends the statement's read of the database; unbinding drops copies of bound text.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  *in_use = false;
}

void Database::fail(std::string_view what) const { throw_sqlite(db_, sqlite3_extended_errcode(db_), what); }

void Database::exec(std::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail("sqlite exec failed");
}

void Database::run(std::string_view sql) {
  Statement stmt(*this, sql);
  while (stmt.step()) {
  }
}

std::int64_t Database::query_int(std::string_view sql) {
  Statement stmt(*this, sql);
  if (!stmt.step()) throw StoreError(ErrorCode::internal, fmt::format("no row from: {}", sql));
  return stmt.column_int(0);
}

Statement::Statement(Database& db, std::string_view sql) : db_(db) { stmt_ = db.acquire(sql, cache_in_use_); }

Statement::~Statement() { Database::release(stmt_, cache_in_use_); }

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_.fail("sqlite bind failed");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK) {
    db_.fail("sqlite bind failed");
  }
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  if (sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT) != SQLITE_OK) {
    db_.fail("sqlite bind failed");
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_.fail("sqlite bind failed");
  return *this;
}

bool Statement::step(bool constraint_ok) {
  constraint_code_ = 0;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (constraint_ok && (rc & 0xff) == SQLITE_CONSTRAINT) {
    constraint_code_ = rc;
    sqlite3_reset(stmt_);
    return false;
  }
  // Reset so the statement's error does not linger into the next use.
  const bool full = disk_full(db_.handle(), rc);
  const std::string message = sqlite3_errmsg(db_.handle());
  sqlite3_reset(stmt_);
  if (full) throw StoreError(ErrorCode::resource_exhausted, "server disk is full");
  throw StoreError(ErrorCode::internal, fmt::format("sqlite step failed: {}", message));
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  constraint_code_ = 0;
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)) : std::string();
}

std::vector<std::uint8_t> Statement::column_blob(int index) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);
  return data ? std::vector<std::uint8_t>(data, data + size) : std::vector<std::uint8_t>();
}

bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

Transaction::Transaction(Database& db) : db_(db), nested_(db.in_transaction()) {
  db_.run(nested_ ? "SAVEPOINT call" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (done_) return;
  if (!nested_) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    return;
  }
  // Some errors (e.g. a full disk) make SQLite roll back the whole transaction by itself; the
  // savepoint is then gone and there is nothing left to undo here.
  if (db_.in_transaction()) {
    sqlite3_exec(db_.handle(), "ROLLBACK TO call; RELEASE call", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  db_.run(nested_ ? "RELEASE call" : "COMMIT");
  done_ = true;
}

}  // namespace occhat::store::sqlite

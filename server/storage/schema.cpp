#include "schema.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "occhat/store/store.hpp"

namespace occhat::store::sqlite {
namespace {

// Append-only: step N brings the schema from version N to N+1. Never edit a released step;
// add a new one (files in the field are already at the old step's result).
constexpr std::array<std::string_view, 1> kMigrations{
    // 0 -> 1: accounts and login sessions.
    R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  email         TEXT    NOT NULL,
  nick          TEXT    NOT NULL,
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash    BLOB    PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
)sql",
};

}  // namespace

int current_schema_version() noexcept { return static_cast<int>(kMigrations.size()); }

void migrate(Database& db) {
  Transaction tx(db);
  const auto version = db.query_int("PRAGMA user_version");
  if (version > current_schema_version()) {
    throw StoreError(ErrorCode::internal,
                     fmt::format("database schema version {} is newer than this server understands ({})", version,
                                 current_schema_version()));
  }
  for (auto step = static_cast<std::size_t>(version); step < kMigrations.size(); ++step) {
    db.exec(kMigrations[step]);
  }
  if (version != current_schema_version()) {
    // PRAGMA takes no bound parameters; the value is our own constant.
    db.exec(fmt::format("PRAGMA user_version = {}", current_schema_version()));
  }
  tx.commit();
}

}  // namespace occhat::store::sqlite

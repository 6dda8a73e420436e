#pragma once
// Versioned schema. The version lives in PRAGMA user_version; migrate() applies every step the
// file has not seen yet, in one transaction, so a crash mid-migration leaves the old version.

#include "database.hpp"

namespace occhat::store::sqlite {

// The version a freshly migrated database is at.
int current_schema_version() noexcept;

// Brings `db` to current_schema_version(). Throws StoreError(internal) if the file was written
// by a newer server (we never downgrade a schema we do not understand).
void migrate(Database& db);

}  // namespace occhat::store::sqlite

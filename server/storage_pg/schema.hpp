#pragma once
// PostgreSQL schema migrations, versioned like the SQLite ones: step N brings the schema from
// version N to N+1, and version N means the same tables on both backends (so an export from
// either store at version N has the same records). The version lives in a one-row table
// schema_version (PostgreSQL has no PRAGMA user_version).

#include "connection.hpp"

namespace occhat::store::pg {

int current_schema_version() noexcept;

// Reads the stored version (0 for an empty database).
int stored_schema_version(Connection& conn);

// Brings the database to the current version in one transaction. Servers starting at once
// against one database take turns (an advisory lock), so each step runs once. Throws
// StoreError(internal) for a database newer than this binary.
void migrate(Connection& conn);

}  // namespace occhat::store::pg

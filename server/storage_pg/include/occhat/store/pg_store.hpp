#pragma once
// occhat::store_pg — the PostgreSQL backend: the whole Store contract over libpq, one connection
// per Store object (the server's PooledStoreExecutor holds several). open_store() picks it for
// postgresql:// and postgres:// locations.

#include <memory>
#include <string_view>

#include "occhat/store/store.hpp"

namespace occhat::store {

// Connects to `uri` (any libpq connection URI or string) and migrates the database to the
// current schema. Throws StoreError(unavailable) if the database cannot be reached,
// StoreError(internal) for a schema newer than this binary.
std::unique_ptr<Store> open_pg_store(std::string_view uri);

}  // namespace occhat::store

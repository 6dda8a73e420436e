#pragma once
// occhat::store_pg — the PostgreSQL backend, under construction (issue 16). It fills the Store
// contract group by group; a method not ported yet throws StoreError(internal) "... is not
// complete yet". Until every method works, open_store() refuses postgresql:// locations and
// only the store contract tests reach this backend, through open_pg_store().

#include <memory>
#include <string_view>

#include "occhat/store/store.hpp"

namespace occhat::store {

// Connects to `uri` (any libpq connection URI or string) and migrates the database to the
// current schema. Throws StoreError(unavailable) if the database cannot be reached,
// StoreError(internal) for a schema newer than this binary.
std::unique_ptr<Store> open_pg_store(std::string_view uri);

}  // namespace occhat::store

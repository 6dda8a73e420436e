#pragma once
// What occhat-server's operator commands (`occhat-server user ...`, `stats`) need from the server
// core besides the Store: where the store is, and the server's own password rules and hashing,
// so an account an operator changes is exactly like one changed through the protocol.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "occhat/server/server.hpp"
#include "occhat/store/store.hpp"

namespace occhat::server {

// The store location the server would use with `options` (--store, else DATA_DIR/occhat.db).
std::string store_location(const ServerOptions& options);

// The directory of the files' bytes with `options` (--files-dir, else DATA_DIR/files).
std::filesystem::path files_location(const ServerOptions& options);

// Opens that store (one connection; migrated like at server start). The server may be running:
// SQLite waits for its write lock. Throws store::StoreError.
std::unique_ptr<store::Store> open_operator_store(const ServerOptions& options);

// Deletes the account as `occhat delete-account` does (see Store::delete_user), removes the bytes
// of the files that went with it, and records an account event so a running server closes its
// connections. Throws store::StoreError(not_found) for an unknown or deleted user.
void delete_user_as_operator(store::Store& store, const ServerOptions& options, std::uint32_t user_id);

// The argon2id hash the server would store for `password`, after the registration rules
// (8..1024 bytes). Throws occhat::Error(invalid_argument) naming the rule.
std::string hash_new_password(std::string_view password);

}  // namespace occhat::server

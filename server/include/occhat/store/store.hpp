#pragma once
// occhat::store — the server's source of truth. `Store` is the only seam through which the
// server touches persistent state, so a PostgreSQL backend can replace the embedded SQLite one
// without anything above this interface noticing.
//
// Thread safety: a Store is NOT thread-safe. The server calls it from exactly one thread (its
// store thread); tests call it from the test thread.
//
// Errors: every failure throws StoreError. Its code is ErrorCode::internal for storage failures
// (I/O, corruption, a schema newer than this binary) and a more specific code where the caller
// can act on it (ErrorCode::resource_exhausted when no free user id is left). "Not found" is not
// an error: lookups return std::nullopt / false.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "occhat/proto/error_code.hpp"

namespace occhat::store {

class StoreError : public std::runtime_error {
 public:
  StoreError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// The range user ids are drawn from (inclusive).
inline constexpr std::uint32_t kMinUserId = 100000;
inline constexpr std::uint32_t kMaxUserId = 999999;

// SHA-256 of a session token. The store never sees the token itself.
using TokenHash = std::array<std::uint8_t, 32>;

struct User {
  std::uint32_t id = 0;
  std::string email;
  std::string nick;
  std::int64_t created_at = 0;  // Unix seconds
};

class Store {
 public:
  virtual ~Store() = default;

  // The schema version the store is at (after migrations ran on open).
  virtual int schema_version() = 0;

  // Creates a user with a fresh random id in kMinUserId..kMaxUserId and returns the id. The
  // arguments are stored as given (validation is the caller's job); `password_hash` must already
  // be a one-way hash. Throws StoreError(resource_exhausted) when the id space is nearly full.
  virtual std::uint32_t create_user(std::string_view email, std::string_view nick,
                                    std::string_view password_hash) = 0;

  virtual std::optional<User> find_user(std::uint32_t id) = 0;

  // The stored password hash of `id`, or nullopt for an unknown id.
  virtual std::optional<std::string> password_hash(std::uint32_t id) = 0;

  // Records a session. Throws StoreError(not_found) if `user_id` does not exist.
  virtual void create_session(std::uint32_t user_id, const TokenHash& token_hash) = 0;

  // The user owning the session, or nullopt if there is none. Updates the session's
  // last-used time.
  virtual std::optional<std::uint32_t> user_for_session(const TokenHash& token_hash) = 0;

  // Revokes a session. Returns false if there was none.
  virtual bool delete_session(const TokenHash& token_hash) = 0;
};

// Opens (creating if needed) the SQLite database at `path` and migrates it to the current
// schema. The parent directory must exist. Throws StoreError on failure.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path);

}  // namespace occhat::store

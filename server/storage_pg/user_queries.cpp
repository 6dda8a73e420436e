// Accounts and login sessions, and the small helpers every group uses.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include "queries.hpp"

namespace occhat::store::pg {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t pair_key(std::uint32_t a, std::uint32_t b) {
  const auto [low, high] = std::minmax(a, b);
  return static_cast<std::int64_t>((std::uint64_t{low} << 32) | high);
}

void lock_pair(Connection& conn, std::uint32_t a, std::uint32_t b) {
  conn.run("SELECT pg_advisory_xact_lock($1)", Params{}.add(pair_key(a, b)));
}

std::int64_t as_int(std::uint64_t value) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string join_ids(const std::vector<std::uint32_t>& ids) {
  std::string text;
  for (const std::uint32_t id : ids) {
    if (!text.empty()) text += ',';
    text += std::to_string(id);
  }
  return text;
}

std::vector<std::uint32_t> split_ids(std::string_view text) {
  std::vector<std::uint32_t> ids;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    std::uint32_t id = 0;
    if (std::from_chars(part.data(), part.data() + part.size(), id).ec == std::errc{}) ids.push_back(id);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return ids;
}

User require_user(Connection& conn, std::uint32_t id) {
  // A deleted account's tombstone is no user. FOR SHARE: a concurrent delete_user (which locks
  // the row FOR NO KEY UPDATE first) either waits for this call or is seen here as the tombstone
  // it made, so nothing new refers to a deleted user.
  const auto result =
      conn.run("SELECT nick FROM users WHERE id = $1 AND deleted_ms IS NULL FOR SHARE", Params{}.add(id));
  if (result.empty()) throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", id));
  User user;
  user.id = id;
  user.nick = result.text(0, 0);
  return user;
}

void lock_users(Connection& conn, std::vector<std::uint32_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (const std::uint32_t id : ids) conn.run("SELECT 1 FROM users WHERE id = $1 FOR SHARE", Params{}.add(id));
}

bool create_user(Connection& conn, std::uint32_t id, std::string_view email, std::string_view nick,
                 std::string_view password_hash) {
  // ON CONFLICT DO NOTHING: a taken id stores nothing and leaves the transaction usable.
  const auto result = conn.run(
      "INSERT INTO users(id, email, nick, password_hash, created_at) VALUES($1, $2, $3, $4, $5) "
      "ON CONFLICT (id) DO NOTHING",
      Params{}.add(id).add(email).add(nick).add(password_hash).add(now_seconds()));
  return result.affected() == 1;
}

std::uint64_t user_count(Connection& conn) {
  return static_cast<std::uint64_t>(conn.run("SELECT count(*) FROM users").integer(0, 0));
}

std::optional<User> find_user(Connection& conn, std::uint32_t id) {
  const auto result = conn.run(
      "SELECT id, email, nick, created_at, discoverable FROM users WHERE id = $1 AND deleted_ms IS NULL",
      Params{}.add(id));
  if (result.empty()) return std::nullopt;
  User user;
  user.id = static_cast<std::uint32_t>(result.integer(0, 0));
  user.email = result.text(0, 1);
  user.nick = result.text(0, 2);
  user.created_at = result.integer(0, 3);
  user.discoverable = result.integer(0, 4) != 0;
  return user;
}

std::optional<std::string> password_hash(Connection& conn, std::uint32_t id) {
  const auto result =
      conn.run("SELECT password_hash FROM users WHERE id = $1 AND deleted_ms IS NULL", Params{}.add(id));
  if (result.empty()) return std::nullopt;
  return result.text(0, 0);
}

void create_session(Connection& conn, std::uint32_t user_id, const TokenHash& token_hash,
                    const SessionOrigin& origin) {
  // Inserting only if the user exists, rather than catching the foreign-key violation, keeps the
  // transaction usable (a failed statement aborts a PostgreSQL transaction). As SQLite's, a
  // tombstone still takes a session (the caller checked the user); delete_user removes them.
  const auto result = conn.run(
      "INSERT INTO sessions(token_hash, user_id, created_at, last_used_at, client_name, last_address) "
      "SELECT $1, id, $3, $3, $4, $5 FROM users WHERE id = $2",
      Params{}.add_bytes(token_hash).add(user_id).add(now_seconds()).add(origin.client_name).add(origin.address));
  if (result.affected() == 0) throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", user_id));
}

std::optional<std::uint32_t> user_for_session(Connection& conn, const TokenHash& token_hash,
                                              const SessionOrigin& origin) {
  // An empty origin (a caller that does not know it) leaves the stored one.
  const auto result = conn.run(
      "UPDATE sessions SET last_used_at = $2, "
      "last_address = CASE WHEN $3 = '' THEN last_address ELSE $3 END, "
      "client_name = CASE WHEN $4 = '' THEN client_name ELSE $4 END "
      "WHERE token_hash = $1 RETURNING user_id",
      Params{}.add_bytes(token_hash).add(now_seconds()).add(origin.address).add(origin.client_name));
  if (result.empty()) return std::nullopt;
  return static_cast<std::uint32_t>(result.integer(0, 0));
}

bool delete_session(Connection& conn, const TokenHash& token_hash) {
  return conn.run("DELETE FROM sessions WHERE token_hash = $1", Params{}.add_bytes(token_hash)).affected() > 0;
}

}  // namespace occhat::store::pg

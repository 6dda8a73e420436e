// Accounts and login sessions.

#include <fmt/format.h>

#include <chrono>

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
  const auto result = conn.run("SELECT id, email, nick, created_at FROM users WHERE id = $1", Params{}.add(id));
  if (result.empty()) return std::nullopt;
  User user;
  user.id = static_cast<std::uint32_t>(result.integer(0, 0));
  user.email = result.text(0, 1);
  user.nick = result.text(0, 2);
  user.created_at = result.integer(0, 3);
  return user;
}

std::optional<std::string> password_hash(Connection& conn, std::uint32_t id) {
  const auto result = conn.run("SELECT password_hash FROM users WHERE id = $1", Params{}.add(id));
  if (result.empty()) return std::nullopt;
  return result.text(0, 0);
}

void create_session(Connection& conn, std::uint32_t user_id, const TokenHash& token_hash) {
  // Inserting only if the user exists, rather than catching the foreign-key violation, keeps the
  // transaction usable (a failed statement aborts a PostgreSQL transaction).
  const auto result = conn.run(
      "INSERT INTO sessions(token_hash, user_id, created_at, last_used_at) "
      "SELECT $1, id, $3, $3 FROM users WHERE id = $2",
      Params{}.add_bytes(token_hash).add(user_id).add(now_seconds()));
  if (result.affected() == 0) throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", user_id));
}

std::optional<std::uint32_t> user_for_session(Connection& conn, const TokenHash& token_hash) {
  const auto result = conn.run("UPDATE sessions SET last_used_at = $2 WHERE token_hash = $1 RETURNING user_id",
                               Params{}.add_bytes(token_hash).add(now_seconds()));
  if (result.empty()) return std::nullopt;
  return static_cast<std::uint32_t>(result.integer(0, 0));
}

bool delete_session(Connection& conn, const TokenHash& token_hash) {
  return conn.run("DELETE FROM sessions WHERE token_hash = $1", Params{}.add_bytes(token_hash)).affected() > 0;
}

}  // namespace occhat::store::pg

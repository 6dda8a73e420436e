// What operators' commands (occhat-server user ..., stats) read and change (as
// server/storage/operator_queries.cpp), and the inbox backlog the metrics report.

#include <algorithm>
#include <limits>

#include "queries.hpp"

namespace occhat::store::pg {
// Writers take turns on the table until they commit, so seqs become visible in order: a poller
// that read up to seq N never finds a smaller seq committed later (which a plain identity column
// would allow).
void append_account_event(Connection& conn, std::uint32_t id) {
  conn.run("LOCK TABLE account_events IN SHARE ROW EXCLUSIVE MODE");
  conn.run("INSERT INTO account_events(user_id, created_ms) VALUES($1, $2)", Params{}.add(id).add(now_ms()));
}

namespace {

// Every session of `id` ends, and a running server is told to close its connections.
void end_sessions(Connection& conn, std::uint32_t id) {
  conn.run("DELETE FROM sessions WHERE user_id = $1", Params{}.add(id));
  append_account_event(conn, id);
}

}  // namespace

std::uint64_t inbox_backlog(Connection& conn) {
  return static_cast<std::uint64_t>(conn.run("SELECT count(*) FROM inbox").integer(0, 0));
}

std::vector<UserRecord> list_users(Connection& conn, std::uint32_t after_id, std::uint32_t limit) {
  const auto result = conn.run(
      "SELECT u.id, u.email, u.nick, u.created_at, u.disabled, count(s.token_hash), "
      "coalesce(max(s.last_used_at), 0) "
      "FROM users u LEFT JOIN sessions s ON s.user_id = u.id "
      "WHERE u.id > $1 GROUP BY u.id ORDER BY u.id LIMIT $2",
      Params{}.add(after_id).add(limit));
  std::vector<UserRecord> users;
  for (int row = 0; row < result.rows(); ++row) {
    UserRecord record;
    record.user.id = static_cast<std::uint32_t>(result.integer(row, 0));
    record.user.email = result.text(row, 1);
    record.user.nick = result.text(row, 2);
    record.user.created_at = result.integer(row, 3);
    record.disabled = result.integer(row, 4) != 0;
    record.sessions = static_cast<std::uint32_t>(result.integer(row, 5));
    record.last_seen_at = result.integer(row, 6);
    users.push_back(std::move(record));
  }
  return users;
}

StoreStats stats(Connection& conn) {
  const auto result = conn.run(
      "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM users WHERE disabled != 0), "
      "(SELECT count(*) FROM rooms), (SELECT count(*) FROM messages), (SELECT count(*) FROM room_messages), "
      "(SELECT count(*) FROM files), (SELECT coalesce(sum(size), 0) FROM files), (SELECT count(*) FROM inbox)");
  const auto at = [&result](int column) { return static_cast<std::uint64_t>(result.integer(0, column)); };
  StoreStats stats;
  stats.users = at(0);
  stats.disabled_users = at(1);
  stats.rooms = at(2);
  stats.messages = at(3);
  stats.room_messages = at(4);
  stats.files = at(5);
  stats.file_bytes = at(6);
  stats.inbox_backlog = at(7);
  return stats;
}

bool reset_password(Connection& conn, std::uint32_t id, std::string_view password_hash) {
  if (conn.run("UPDATE users SET password_hash = $2 WHERE id = $1", Params{}.add(id).add(password_hash)).affected() ==
      0) {
    return false;
  }
  end_sessions(conn, id);
  return true;
}

bool set_user_disabled(Connection& conn, std::uint32_t id, bool disabled) {
  if (conn.run("UPDATE users SET disabled = $2 WHERE id = $1", Params{}.add(id).add(disabled ? 1 : 0)).affected() ==
      0) {
    return false;
  }
  if (disabled) end_sessions(conn, id);
  return true;
}

bool user_disabled(Connection& conn, std::uint32_t id) {
  const auto result = conn.run("SELECT disabled FROM users WHERE id = $1", Params{}.add(id));
  return !result.empty() && result.integer(0, 0) != 0;
}

std::vector<AccountEvent> account_events(Connection& conn, std::uint64_t after_seq) {
  const auto result =
      conn.run("SELECT seq, user_id FROM account_events WHERE seq > $1 ORDER BY seq", Params{}.add(as_int(after_seq)));
  std::vector<AccountEvent> events;
  for (int row = 0; row < result.rows(); ++row) {
    events.push_back(AccountEvent{static_cast<std::uint64_t>(result.integer(row, 0)),
                                  static_cast<std::uint32_t>(result.integer(row, 1))});
  }
  return events;
}

}  // namespace occhat::store::pg

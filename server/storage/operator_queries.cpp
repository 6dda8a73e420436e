// What operators' commands (occhat-server user ..., stats) read and change. They may run in
// another process than the server, on the same database file: a change a running server must act
// on (a user's connections to close) is also written to account_events, which it polls.

#include <sqlite3.h>

#include <algorithm>

#include "queries.hpp"

namespace occhat::store::sqlite {

std::vector<UserRecord> list_users(Database& db, std::uint32_t after_id, std::uint32_t limit) {
  Statement stmt(db,
                 "SELECT u.id, u.email, u.nick, u.created_at, u.disabled, count(s.token_hash), "
                 "coalesce(max(s.last_used_at), 0) "
                 "FROM users u LEFT JOIN sessions s ON s.user_id = u.id "
                 "WHERE u.id > ?1 GROUP BY u.id ORDER BY u.id LIMIT ?2");
  stmt.bind(1, std::int64_t{after_id}).bind(2, std::int64_t{limit});
  std::vector<UserRecord> users;
  while (stmt.step()) {
    UserRecord record;
    record.user.id = static_cast<std::uint32_t>(stmt.column_int(0));
    record.user.email = stmt.column_text(1);
    record.user.nick = stmt.column_text(2);
    record.user.created_at = stmt.column_int(3);
    record.disabled = stmt.column_int(4) != 0;
    record.sessions = static_cast<std::uint32_t>(stmt.column_int(5));
    record.last_seen_at = stmt.column_int(6);
    users.push_back(std::move(record));
  }
  return users;
}

StoreStats stats(Database& db) {
  const auto count = [&db](std::string_view sql) { return static_cast<std::uint64_t>(db.query_int(sql)); };
  StoreStats stats;
  stats.users = count("SELECT count(*) FROM users");
  stats.disabled_users = count("SELECT count(*) FROM users WHERE disabled != 0");
  stats.rooms = count("SELECT count(*) FROM rooms");
  stats.messages = count("SELECT count(*) FROM messages");
  stats.room_messages = count("SELECT count(*) FROM room_messages");
  stats.files = count("SELECT count(*) FROM files");
  stats.file_bytes = count("SELECT coalesce(sum(size), 0) FROM files");
  stats.inbox_backlog = count("SELECT count(*) FROM inbox");
  return stats;
}

void append_account_event(Database& db, std::uint32_t user_id) {
  Statement insert(db, "INSERT INTO account_events(user_id, created_ms) VALUES(?1, ?2)");
  insert.bind(1, std::int64_t{user_id}).bind(2, now_ms());
  insert.step();
}

// Every session of `id` ends, and a running server is told to close its connections.
static void end_sessions(Database& db, std::uint32_t id) {
  delete_sessions(db, id, std::nullopt);
  append_account_event(db, id);
}

// A deleted account's tombstone is no user here either (set_password_hash skips it): resetting
// it must not give a deleted id a password again.
bool reset_password(Database& db, std::uint32_t id, std::string_view password_hash) {
  if (!set_password_hash(db, id, password_hash)) return false;
  end_sessions(db, id);
  return true;
}

bool set_user_disabled(Database& db, std::uint32_t id, bool disabled) {
  Statement update(db, "UPDATE users SET disabled = ?2 WHERE id = ?1 AND deleted_ms IS NULL");
  update.bind(1, std::int64_t{id}).bind(2, std::int64_t{disabled ? 1 : 0});
  update.step();
  if (sqlite3_changes(db.handle()) == 0) return false;
  if (disabled) end_sessions(db, id);
  return true;
}

bool user_disabled(Database& db, std::uint32_t id) {
  Statement stmt(db, "SELECT disabled FROM users WHERE id = ?1");
  stmt.bind(1, std::int64_t{id});
  return stmt.step() && stmt.column_int(0) != 0;
}

std::vector<AccountEvent> account_events(Database& db, std::uint64_t after_seq) {
  Statement stmt(db, "SELECT seq, user_id FROM account_events WHERE seq > ?1 ORDER BY seq");
  stmt.bind(1, static_cast<std::int64_t>(std::min<std::uint64_t>(after_seq, INT64_MAX)));
  std::vector<AccountEvent> events;
  while (stmt.step()) {
    events.push_back(AccountEvent{static_cast<std::uint64_t>(stmt.column_int(0)),
                                  static_cast<std::uint32_t>(stmt.column_int(1))});
  }
  return events;
}

}  // namespace occhat::store::sqlite

// Blocking: one row per (blocker, blocked). The checks that honour it live where the blocked
// user would reach the blocker: add_friend, room invitations and room message fan-out.

#include <fmt/format.h>

#include "queries.hpp"

namespace occhat::store::sqlite {

bool blocks(Database& db, std::uint32_t blocker, std::uint32_t blocked) {
  Statement stmt(db, "SELECT 1 FROM blocks WHERE blocker = ?1 AND blocked = ?2");
  stmt.bind(1, std::int64_t{blocker}).bind(2, std::int64_t{blocked});
  return stmt.step();
}

void block_user(Database& db, std::uint32_t user_id, std::uint32_t other) {
  if (user_id == other) throw StoreError(ErrorCode::invalid_argument, "you cannot block yourself");
  require_user(db, other);
  Statement insert(db, "INSERT OR IGNORE INTO blocks(blocker, blocked, created_ms) VALUES(?1, ?2, ?3)");
  insert.bind(1, std::int64_t{user_id}).bind(2, std::int64_t{other}).bind(3, now_ms());
  insert.step();
  // Friendship and pending requests end both ways; so do the blocked user's room invitations.
  remove_friend(db, user_id, other);
  Statement invites(db, "DELETE FROM room_invites WHERE user_id = ?1 AND inviter = ?2");
  invites.bind(1, std::int64_t{user_id}).bind(2, std::int64_t{other});
  invites.step();
}

bool unblock_user(Database& db, std::uint32_t user_id, std::uint32_t other) {
  require_user(db, other);
  Statement stmt(db, "DELETE FROM blocks WHERE blocker = ?1 AND blocked = ?2");
  stmt.bind(1, std::int64_t{user_id}).bind(2, std::int64_t{other});
  stmt.step();
  return db.changes() > 0;
}

std::vector<User> blocked_users(Database& db, std::uint32_t user_id) {
  Statement stmt(db,
                 "SELECT u.id, u.nick FROM blocks b JOIN users u ON u.id = b.blocked WHERE b.blocker = ?1 ORDER BY u.id");
  stmt.bind(1, std::int64_t{user_id});
  std::vector<User> users;
  while (stmt.step()) {
    User user;
    user.id = static_cast<std::uint32_t>(stmt.column_int(0));
    user.nick = stmt.column_text(1);
    users.push_back(std::move(user));
  }
  return users;
}

}  // namespace occhat::store::sqlite

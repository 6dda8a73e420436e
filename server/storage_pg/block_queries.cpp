// Blocking (as server/storage/block_queries.cpp).

#include <fmt/format.h>

#include "queries.hpp"

namespace occhat::store::pg {

bool blocks(Connection& conn, std::uint32_t blocker, std::uint32_t blocked) {
  return !conn.run("SELECT 1 FROM blocks WHERE blocker = $1 AND blocked = $2", Params{}.add(blocker).add(blocked))
              .empty();
}

void block_user(Connection& conn, std::uint32_t user_id, std::uint32_t other) {
  if (user_id == other) throw StoreError(ErrorCode::invalid_argument, "you cannot block yourself");
  require_user(conn, other);
  lock_pair(conn, user_id, other);  // not between another call's block check and its insert
  conn.run("INSERT INTO blocks(blocker, blocked, created_ms) VALUES($1, $2, $3) ON CONFLICT DO NOTHING",
           Params{}.add(user_id).add(other).add(now_ms()));
  // Friendship and pending requests end both ways; so do
  // the blocked user's room invitations.
  remove_friend(conn, user_id, other);
  conn.run("DELETE FROM room_invites WHERE user_id = $1 AND inviter = $2", Params{}.add(user_id).add(other));
}

bool unblock_user(Connection& conn, std::uint32_t user_id, std::uint32_t other) {
  require_user(conn, other);
  return conn.run("DELETE FROM blocks WHERE blocker = $1 AND blocked = $2", Params{}.add(user_id).add(other))
             .affected() > 0;
}

std::vector<User> blocked_users(Connection& conn, std::uint32_t user_id) {
  const auto result = conn.run(
      "SELECT u.id, u.nick FROM blocks b JOIN users u ON u.id = b.blocked WHERE b.blocker = $1 ORDER BY u.id",
      Params{}.add(user_id));
  std::vector<User> users;
  for (int row = 0; row < result.rows(); ++row) {
    User user;
    user.id = static_cast<std::uint32_t>(result.integer(row, 0));
    user.nick = result.text(row, 1);
    users.push_back(std::move(user));
  }
  return users;
}

}  // namespace occhat::store::pg

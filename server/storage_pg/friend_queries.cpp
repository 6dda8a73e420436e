// Friendships and friend requests (as server/storage/friend_queries.cpp; every change to how two
// users stand holds the pair's lock, see lock_pair).

#include <fmt/format.h>

#include "queries.hpp"

namespace occhat::store::pg {
namespace {

// Whether `from`'s latest friend-request notice is still unacknowledged in `to`'s inbox.
bool unacknowledged_request_notice(Connection& conn, std::uint32_t from, std::uint32_t to) {
  return !conn.run("SELECT 1 FROM friend_request_notices n LEFT JOIN inbox_state s ON s.user_id = n.to_id "
                   "WHERE n.to_id = $1 AND n.from_id = $2 AND n.seq > coalesce(s.acked_seq, 0)",
                   Params{}.add(to).add(from))
              .empty();
}

// `to` answered `from`'s request(s): the next request from `from` notifies again.
void forget_request_notices(Connection& conn, std::uint32_t from, std::uint32_t to) {
  conn.run("DELETE FROM friend_request_notices WHERE to_id = $1 AND from_id = $2", Params{}.add(to).add(from));
}

}  // namespace

bool are_friends(Connection& conn, std::uint32_t a, std::uint32_t b) {
  return !conn.run("SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", Params{}.add(a).add(b)).empty();
}

AddFriendResult add_friend(Connection& conn, std::uint32_t from, std::uint32_t to) {
  if (from == to) throw StoreError(ErrorCode::invalid_argument, "you cannot add yourself as a friend");
  AddFriendResult result;
  result.other = require_user(conn, to);
  lock_pair(conn, from, to);
  // Blocked by `to`: answered like a new request, but nothing is stored and nobody told.
  if (blocks(conn, to, from)) {
    result.state = AddFriendState::requested;
    return result;
  }
  if (are_friends(conn, from, to)) {
    result.state = AddFriendState::already_friends;
    return result;
  }
  const auto now = now_ms();
  const User me = require_user(conn, from);
  InboxItem notice;
  notice.user_id = to;
  notice.time_ms = now;
  notice.kind = InboxItem::Kind::friend_request;
  notice.other_user = from;
  notice.other_nick = me.nick;

  if (conn.run("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2", Params{}.add(to).add(from))
          .affected() > 0) {
    // They asked first: this add accepts. Our own request (if any) is moot now.
    conn.run("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2", Params{}.add(from).add(to));
    conn.run("INSERT INTO friendships(user_id, friend_id, created_ms) VALUES($1, $2, $3), ($2, $1, $3)",
             Params{}.add(from).add(to).add(now));
    // Both have answered: a request after they part again is a new one and notifies again.
    forget_request_notices(conn, from, to);
    forget_request_notices(conn, to, from);
    notice.accepted = true;
    append_inbox_item(conn, notice);
    result.state = AddFriendState::now_friends;
    result.notice = std::move(notice);
    return result;
  }

  result.state = AddFriendState::requested;
  if (conn.run("INSERT INTO friend_requests(from_id, to_id, created_ms) VALUES($1, $2, $3) ON CONFLICT DO NOTHING",
               Params{}.add(from).add(to).add(now))
          .affected() == 0) {
    return result;  // already pending: its notice was stored then
  }
  if (unacknowledged_request_notice(conn, from, to)) {
    // Asked, withdrew, asked again: the notice `to` has not acknowledged yet stands for this
    // request too.
    result.coalesced = true;
    return result;
  }
  append_inbox_item(conn, notice);
  conn.run(
      "INSERT INTO friend_request_notices(to_id, from_id, seq) VALUES($1, $2, $3) "
      "ON CONFLICT(to_id, from_id) DO UPDATE SET seq = excluded.seq",
      Params{}.add(to).add(from).add(notice.seq));
  result.notice = std::move(notice);
  return result;
}

bool remove_friend(Connection& conn, std::uint32_t user_id, std::uint32_t other) {
  lock_pair(conn, user_id, other);
  std::uint64_t removed =
      conn.run("DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)",
               Params{}.add(user_id).add(other))
          .affected();
  removed += conn.run("DELETE FROM friend_requests WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)",
                      Params{}.add(user_id).add(other))
                 .affected();
  // `user_id` has answered `other` (declined, or ended the friendship): `other` may notify again.
  // Not the other way round: withdrawing one's own request must not earn a fresh notice.
  if (removed > 0) forget_request_notices(conn, other, user_id);
  return removed > 0;
}

FriendLink friend_link(Connection& conn, std::uint32_t user_id, std::uint32_t other) {
  if (are_friends(conn, user_id, other)) return FriendLink::friends;
  const auto result =
      conn.run("SELECT from_id FROM friend_requests WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)",
               Params{}.add(user_id).add(other));
  // Both directions at once cannot be stored: the second add accepts the first.
  if (result.empty()) return FriendLink::none;
  return static_cast<std::uint32_t>(result.integer(0, 0)) == user_id ? FriendLink::request_sent
                                                                      : FriendLink::request_received;
}

std::vector<Friend> friends(Connection& conn, std::uint32_t user_id) {
  // COLLATE "C": byte order, as SQLite's BINARY collation sorts nicks.
  const auto result = conn.run(
      "SELECT u.id, u.nick FROM friendships f JOIN users u ON u.id = f.friend_id "
      "WHERE f.user_id = $1 ORDER BY u.nick COLLATE \"C\", u.id",
      Params{}.add(user_id));
  std::vector<Friend> out;
  for (int row = 0; row < result.rows(); ++row) {
    out.push_back(Friend{static_cast<std::uint32_t>(result.integer(row, 0)), result.text(row, 1)});
  }
  return out;
}

FriendRequests friend_requests(Connection& conn, std::uint32_t user_id) {
  const auto read = [&conn, user_id](std::string_view sql) {
    const auto result = conn.run(sql, Params{}.add(user_id));
    std::vector<PendingRequest> out;
    for (int row = 0; row < result.rows(); ++row) {
      out.push_back(PendingRequest{static_cast<std::uint32_t>(result.integer(row, 0)), result.text(row, 1),
                                   result.integer(row, 2)});
    }
    return out;
  };
  FriendRequests requests;
  requests.incoming = read(
      "SELECT u.id, u.nick, r.created_ms FROM friend_requests r JOIN users u ON u.id = r.from_id "
      "WHERE r.to_id = $1 ORDER BY r.created_ms, u.id");
  requests.outgoing = read(
      "SELECT u.id, u.nick, r.created_ms FROM friend_requests r JOIN users u ON u.id = r.to_id "
      "WHERE r.from_id = $1 ORDER BY r.created_ms, u.id");
  return requests;
}

}  // namespace occhat::store::pg

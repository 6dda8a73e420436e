// Friendships and friend requests.

#include <fmt/format.h>

#include <chrono>

#include "queries.hpp"

namespace occhat::store::sqlite {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

User require_user(Database& db, std::uint32_t id) {
  // A deleted account's tombstone is no user.
  Statement stmt(db, "SELECT nick FROM users WHERE id = ?1 AND deleted_ms IS NULL");
  stmt.bind(1, std::int64_t{id});
  if (!stmt.step()) throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", id));
  User user;
  user.id = id;
  user.nick = stmt.column_text(0);
  return user;
}

bool are_friends(Database& db, std::uint32_t a, std::uint32_t b) {
  Statement stmt(db, "SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2");
  stmt.bind(1, std::int64_t{a}).bind(2, std::int64_t{b});
  return stmt.step();
}

namespace {

// Whether `from`'s latest friend-request notice is still unacknowledged in `to`'s inbox.
bool unacknowledged_request_notice(Database& db, std::uint32_t from, std::uint32_t to) {
  Statement stmt(db,
                 "SELECT 1 FROM friend_request_notices n LEFT JOIN inbox_state s ON s.user_id = n.to_id "
                 "WHERE n.to_id = ?1 AND n.from_id = ?2 AND n.seq > coalesce(s.acked_seq, 0)");
  stmt.bind(1, std::int64_t{to}).bind(2, std::int64_t{from});
  return stmt.step();
}

// `to` answered `from`'s request(s): the next request from `from` notifies again.
void forget_request_notices(Database& db, std::uint32_t from, std::uint32_t to) {
  Statement stmt(db, "DELETE FROM friend_request_notices WHERE to_id = ?1 AND from_id = ?2");
  stmt.bind(1, std::int64_t{to}).bind(2, std::int64_t{from});
  stmt.step();
}

}  // namespace

AddFriendResult add_friend(Database& db, std::uint32_t from, std::uint32_t to) {
  if (from == to) throw StoreError(ErrorCode::invalid_argument, "you cannot add yourself as a friend");
  AddFriendResult result;
  result.other = require_user(db, to);
  // Blocked by `to`: answered like a new request, but nothing is stored and nobody told.
  if (blocks(db, to, from)) {
    result.state = AddFriendState::requested;
    return result;
  }
  if (are_friends(db, from, to)) {
    result.state = AddFriendState::already_friends;
    return result;
  }
  const auto now = now_ms();
  const User me = require_user(db, from);
  InboxItem notice;
  notice.user_id = to;
  notice.time_ms = now;
  notice.kind = InboxItem::Kind::friend_request;
  notice.other_user = from;
  notice.other_nick = me.nick;

  Statement their_request(db, "DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2");
  their_request.bind(1, std::int64_t{to}).bind(2, std::int64_t{from});
  their_request.step();
  if (db.changes() > 0) {
    // They asked first: this add accepts. Our own request (if any) is moot now.
    Statement ours(db, "DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2");
    ours.bind(1, std::int64_t{from}).bind(2, std::int64_t{to});
    ours.step();
    Statement befriend(db, "INSERT INTO friendships(user_id, friend_id, created_ms) VALUES(?1, ?2, ?3), (?2, ?1, ?3)");
    befriend.bind(1, std::int64_t{from}).bind(2, std::int64_t{to}).bind(3, now);
    befriend.step();
    // Both have answered: a request after they part again is a new one and notifies again.
    forget_request_notices(db, from, to);
    forget_request_notices(db, to, from);
    notice.accepted = true;
    append_inbox_item(db, notice);
    result.state = AddFriendState::now_friends;
    result.notice = std::move(notice);
    return result;
  }

  Statement request(db, "INSERT OR IGNORE INTO friend_requests(from_id, to_id, created_ms) VALUES(?1, ?2, ?3)");
  request.bind(1, std::int64_t{from}).bind(2, std::int64_t{to}).bind(3, now);
  request.step();
  result.state = AddFriendState::requested;
  if (db.changes() == 0) return result;  // already pending: its notice was stored then
  if (unacknowledged_request_notice(db, from, to)) {
    // Asked, withdrew, asked again: the notice `to` has not acknowledged yet stands for this
    // request too.
    result.coalesced = true;
    return result;
  }
  append_inbox_item(db, notice);
  Statement remember(db,
                     "INSERT INTO friend_request_notices(to_id, from_id, seq) VALUES(?1, ?2, ?3) "
                     "ON CONFLICT(to_id, from_id) DO UPDATE SET seq = excluded.seq");
  remember.bind(1, std::int64_t{to}).bind(2, std::int64_t{from}).bind(3, static_cast<std::int64_t>(notice.seq));
  remember.step();
  result.notice = std::move(notice);
  return result;
}

bool remove_friend(Database& db, std::uint32_t user_id, std::uint32_t other) {
  int removed = 0;
  Statement friendship(db,
                       "DELETE FROM friendships WHERE (user_id = ?1 AND friend_id = ?2) OR (user_id = ?2 AND friend_id = ?1)");
  friendship.bind(1, std::int64_t{user_id}).bind(2, std::int64_t{other});
  friendship.step();
  removed += db.changes();
  Statement requests(db,
                     "DELETE FROM friend_requests WHERE (from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1)");
  requests.bind(1, std::int64_t{user_id}).bind(2, std::int64_t{other});
  requests.step();
  removed += db.changes();
  // `user_id` has answered `other` (declined, or ended the friendship): `other` may notify again.
  // Not the other way round: withdrawing one's own request must not earn a fresh notice.
  if (removed > 0) forget_request_notices(db, other, user_id);
  return removed > 0;
}

FriendLink friend_link(Database& db, std::uint32_t user_id, std::uint32_t other) {
  if (are_friends(db, user_id, other)) return FriendLink::friends;
  Statement stmt(db,
                 "SELECT from_id FROM friend_requests WHERE (from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1)");
  stmt.bind(1, std::int64_t{user_id}).bind(2, std::int64_t{other});
  // Both directions at once cannot be stored: the second add accepts the first.
  if (!stmt.step()) return FriendLink::none;
  return static_cast<std::uint32_t>(stmt.column_int(0)) == user_id ? FriendLink::request_sent
                                                                   : FriendLink::request_received;
}

std::vector<Friend> friends(Database& db, std::uint32_t user_id) {
  Statement stmt(db,
                 "SELECT u.id, u.nick FROM friendships f JOIN users u ON u.id = f.friend_id "
                 "WHERE f.user_id = ?1 ORDER BY u.nick, u.id");
  stmt.bind(1, std::int64_t{user_id});
  std::vector<Friend> out;
  while (stmt.step()) out.push_back(Friend{static_cast<std::uint32_t>(stmt.column_int(0)), stmt.column_text(1)});
  return out;
}

FriendRequests friend_requests(Database& db, std::uint32_t user_id) {
  const auto read = [&db, user_id](std::string_view sql) {
    Statement stmt(db, sql);
    stmt.bind(1, std::int64_t{user_id});
    std::vector<PendingRequest> out;
    while (stmt.step()) {
      out.push_back(PendingRequest{static_cast<std::uint32_t>(stmt.column_int(0)), stmt.column_text(1),
                                   stmt.column_int(2)});
    }
    return out;
  };
  FriendRequests requests;
  requests.incoming = read(
      "SELECT u.id, u.nick, r.created_ms FROM friend_requests r JOIN users u ON u.id = r.from_id "
      "WHERE r.to_id = ?1 ORDER BY r.created_ms, u.id");
  requests.outgoing = read(
      "SELECT u.id, u.nick, r.created_ms FROM friend_requests r JOIN users u ON u.id = r.to_id "
      "WHERE r.from_id = ?1 ORDER BY r.created_ms, u.id");
  return requests;
}

}  // namespace occhat::store::sqlite

// Read markers: how far a user has read each conversation, and what is unread after it.
//
// A conversation is named by one number: the other user's id for a 1:1 conversation (6 digits)
// or the room's id (7+ digits); the two id spaces never meet. The marker is the id of the newest
// message the user has read there; it only moves forward.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "queries.hpp"

namespace occhat::store::sqlite {
namespace {

std::int64_t pair_key(std::uint32_t a, std::uint32_t b) {
  const auto [low, high] = std::minmax(a, b);
  return static_cast<std::int64_t>((std::uint64_t{low} << 32) | high);
}

bool is_room(std::uint32_t conversation) { return conversation >= kMinRoomId; }

std::uint64_t newest_message_id(Database& db, std::uint32_t user_id, std::uint32_t conversation) {
  Statement stmt(db, is_room(conversation) ? "SELECT coalesce(max(id), 0) FROM room_messages WHERE room_id = ?1"
                                           : "SELECT coalesce(max(id), 0) FROM messages WHERE pair_key = ?1");
  stmt.bind(1, is_room(conversation) ? std::int64_t{conversation} : pair_key(user_id, conversation));
  stmt.step();
  return static_cast<std::uint64_t>(stmt.column_int(0));
}

}  // namespace

void advance_read_marker(Database& db, std::uint32_t user_id, std::uint32_t conversation, std::uint64_t message_id) {
  Statement upsert(db,
                   "INSERT INTO read_markers(user_id, conversation, last_read_id) VALUES(?1, ?2, ?3) "
                   "ON CONFLICT(user_id, conversation) DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id)");
  const auto id = static_cast<std::int64_t>(std::min<std::uint64_t>(message_id, INT64_MAX));
  upsert.bind(1, std::int64_t{user_id}).bind(2, std::int64_t{conversation}).bind(3, id);
  upsert.step();
}

void mark_read(Database& db, std::uint32_t user_id, std::uint32_t conversation, std::uint64_t up_to_id) {
  if (is_room(conversation)) {
    require_member(db, user_id, conversation);
  } else {
    if (conversation == user_id) throw StoreError(ErrorCode::invalid_argument, "you have no conversation with yourself");
    // A deleted account's tombstone counts: its messages stay in the history and can be read.
    Statement exists(db, "SELECT 1 FROM users WHERE id = ?1");
    exists.bind(1, std::int64_t{conversation});
    if (!exists.step()) throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", conversation));
  }
  // Never past the newest message: a marker beyond it would hide messages not yet written.
  const std::uint64_t newest = newest_message_id(db, user_id, conversation);
  const std::uint64_t target = up_to_id == 0 ? newest : std::min(up_to_id, newest);
  if (target != 0) advance_read_marker(db, user_id, conversation, target);
}

std::uint32_t unread_count(Database& db, std::uint32_t user_id, std::uint32_t conversation) {
  // Counting stops at the cap: a conversation left unread for years costs a bounded scan.
  if (is_room(conversation)) {
    // Only messages after the user joined, and none from users they block (those never reach them).
    Statement stmt(db,
                   "SELECT count(*) FROM (SELECT 1 FROM room_messages m WHERE m.room_id = ?1 "
                   "  AND m.id > max(coalesce((SELECT last_read_id FROM read_markers WHERE user_id = ?2 AND conversation = ?1), 0), "
                   "                 coalesce((SELECT first_message_id FROM room_members WHERE room_id = ?1 AND user_id = ?2), 0)) "
                   "  AND m.sender != ?2 "
                   "  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker = ?2 AND b.blocked = m.sender) "
                   "  LIMIT ?3)");
    stmt.bind(1, std::int64_t{conversation}).bind(2, std::int64_t{user_id}).bind(3, std::int64_t{kMaxUnreadCount});
    stmt.step();
    return static_cast<std::uint32_t>(stmt.column_int(0));
  }
  Statement stmt(db,
                 "SELECT count(*) FROM (SELECT 1 FROM messages WHERE pair_key = ?1 "
                 "  AND id > coalesce((SELECT last_read_id FROM read_markers WHERE user_id = ?2 AND conversation = ?3), 0) "
                 "  AND sender = ?3 LIMIT ?4)");
  stmt.bind(1, pair_key(user_id, conversation))
      .bind(2, std::int64_t{user_id})
      .bind(3, std::int64_t{conversation})
      .bind(4, std::int64_t{kMaxUnreadCount});
  stmt.step();
  return static_cast<std::uint32_t>(stmt.column_int(0));
}

}  // namespace occhat::store::sqlite

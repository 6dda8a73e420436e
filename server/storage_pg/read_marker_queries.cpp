// Read markers: how far a user has read each conversation, and what is unread after it (as
// server/storage/read_marker_queries.cpp; a conversation is the other user's id or a room id).
//
// Concurrency: a marker row is only ever moved forward by an upsert taking greatest(), so two
// calls racing on one marker (two devices reading, a send) end at the larger id in any order.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "queries.hpp"

namespace occhat::store::pg {
namespace {

bool is_room(std::uint32_t conversation) { return conversation >= kMinRoomId; }

std::uint64_t newest_message_id(Connection& conn, std::uint32_t user_id, std::uint32_t conversation) {
  const auto result =
      is_room(conversation)
          ? conn.run("SELECT coalesce(max(id), 0) FROM room_messages WHERE room_id = $1", Params{}.add(conversation))
          : conn.run("SELECT coalesce(max(id), 0) FROM messages WHERE pair_key = $1",
                     Params{}.add(pair_key(user_id, conversation)));
  return static_cast<std::uint64_t>(result.integer(0, 0));
}

}  // namespace

void advance_read_marker(Connection& conn, std::uint32_t user_id, std::uint32_t conversation,
                         std::uint64_t message_id) {
  conn.run(
      "INSERT INTO read_markers(user_id, conversation, last_read_id) VALUES($1, $2, $3) "
      "ON CONFLICT(user_id, conversation) DO UPDATE "
      "SET last_read_id = greatest(read_markers.last_read_id, excluded.last_read_id)",
      Params{}.add(user_id).add(conversation).add(as_int(message_id)));
}

void mark_read(Connection& conn, std::uint32_t user_id, std::uint32_t conversation, std::uint64_t up_to_id) {
  if (is_room(conversation)) {
    require_member(conn, user_id, conversation);
  } else {
    if (conversation == user_id) throw StoreError(ErrorCode::invalid_argument, "you have no conversation with yourself");
    // A deleted account's tombstone counts: its messages stay in the history and can be read.
    if (conn.run("SELECT 1 FROM users WHERE id = $1", Params{}.add(conversation)).empty()) {
      throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", conversation));
    }
  }
  // The marker's foreign key needs the reader; checked here so an unknown one is not_found, not
  // a failed statement.
  require_user(conn, user_id);
  // Never past the newest message: a marker beyond it would hide messages not yet written.
  const std::uint64_t newest = newest_message_id(conn, user_id, conversation);
  const std::uint64_t target = up_to_id == 0 ? newest : std::min(up_to_id, newest);
  if (target != 0) advance_read_marker(conn, user_id, conversation, target);
}

std::uint32_t unread_count(Connection& conn, std::uint32_t user_id, std::uint32_t conversation) {
  // Counting stops at the cap: a conversation left unread for years costs a bounded scan.
  if (is_room(conversation)) {
    // Only messages after the user joined, and none from users they block (those never reach them).
    const auto result = conn.run(
        "SELECT count(*) FROM (SELECT 1 FROM room_messages m WHERE m.room_id = $1 "
        "  AND m.id > greatest(coalesce((SELECT last_read_id FROM read_markers WHERE user_id = $2 AND conversation = $1), 0), "
        "                      coalesce((SELECT first_message_id FROM room_members WHERE room_id = $1 AND user_id = $2), 0)) "
        "  AND m.sender != $2 "
        "  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker = $2 AND b.blocked = m.sender) "
        "  LIMIT $3) AS unread",
        Params{}.add(conversation).add(user_id).add(kMaxUnreadCount));
    return static_cast<std::uint32_t>(result.integer(0, 0));
  }
  const auto result = conn.run(
      "SELECT count(*) FROM (SELECT 1 FROM messages WHERE pair_key = $1 "
      "  AND id > coalesce((SELECT last_read_id FROM read_markers WHERE user_id = $2 AND conversation = $3), 0) "
      "  AND sender = $3 LIMIT $4) AS unread",
      Params{}.add(pair_key(user_id, conversation)).add(user_id).add(conversation).add(kMaxUnreadCount));
  return static_cast<std::uint32_t>(result.integer(0, 0));
}

}  // namespace occhat::store::pg

// Room messages: stored once, one inbox item per member; the room's history (as
// server/storage/room_message_queries.cpp).

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "queries.hpp"

namespace occhat::store::pg {

RoomSendResult send_room_message(Connection& conn, std::uint32_t from, std::uint32_t room_id, std::string_view text,
                                 std::string_view client_msg_id, const std::vector<std::uint32_t>& mention_candidates) {
  RoomSendResult result;
  const auto find_sent = [&]() {
    const auto sent = conn.run("SELECT id, created_ms FROM room_messages WHERE sender = $1 AND client_msg_id = $2",
                               Params{}.add(from).add_bytes(as_bytes(client_msg_id)));
    if (sent.empty()) return false;
    result.message_id = static_cast<std::uint64_t>(sent.integer(0, 0));
    result.time_ms = sent.integer(0, 1);
    result.duplicate = true;
    return true;
  };
  if (!client_msg_id.empty() && find_sent()) return result;
  lock_users(conn, {from});  // before the room's lock (see lock_users)
  lock_room(conn, room_id, /*exclusive=*/false);  // the members stay who they are until this commits
  require_member(conn, from, room_id);
  const User sender = require_user(conn, from);
  std::vector<std::uint32_t> mentions;
  for (const std::uint32_t id : mention_candidates) {
    if (std::find(mentions.begin(), mentions.end(), id) == mentions.end() && is_room_member(conn, id, room_id)) {
      mentions.push_back(id);
    }
  }

  const auto now = now_ms();
  Params params;
  params.add(room_id).add(from).add(text);
  if (mentions.empty()) {
    params.add_null();
  } else {
    params.add(join_ids(mentions));
  }
  params.add(now);
  if (client_msg_id.empty()) {
    params.add_null();
  } else {
    params.add_bytes(as_bytes(client_msg_id));
  }
  // As in send_message: a retry racing its original stores nothing and is answered as a duplicate.
  const auto inserted = conn.run(
      "INSERT INTO room_messages(room_id, sender, text, mentions, created_ms, client_msg_id) "
      "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT (sender, client_msg_id) WHERE client_msg_id IS NOT NULL "
      "DO NOTHING RETURNING id",
      params);
  if (inserted.empty()) {
    if (find_sent()) return result;
    throw StoreError(ErrorCode::internal, "cannot insert room message");
  }

  Message message;
  message.id = static_cast<std::uint64_t>(inserted.integer(0, 0));
  message.from = from;
  message.from_nick = sender.nick;
  message.text = std::string(text);
  message.time_ms = now;
  message.room_id = room_id;
  message.room_name = room_name(conn, room_id);
  message.mentions = std::move(mentions);

  const auto recipients = room_recipients(conn, room_id, from);
  result.items.reserve(recipients.size());
  for (const std::uint32_t user : recipients) {
    InboxItem item;
    item.user_id = user;
    item.time_ms = now;
    item.kind = InboxItem::Kind::room_message;
    item.other_user = from;
    item.other_nick = sender.nick;
    item.message = message;
    append_inbox_item(conn, item);
    result.items.push_back(std::move(item));
  }
  // Writing into a conversation reads it: what came before is no longer unread for the sender.
  advance_read_marker(conn, from, room_id, message.id);
  result.message_id = message.id;
  result.time_ms = now;
  return result;
}

HistoryPage room_history(Connection& conn, std::uint32_t user_id, std::uint32_t room_id, std::uint32_t limit,
                         std::uint64_t before_id) {
  require_member(conn, user_id, room_id);
  HistoryPage page;
  if (limit == 0) return page;
  const std::int64_t bound = before_id == 0 ? std::numeric_limits<std::int64_t>::max() : as_int(before_id);
  const std::string name = room_name(conn, room_id);
  // Only what arrived after the caller joined: first_message_id is the room's last id then.
  const auto result = conn.run(
      "SELECT m.id, m.sender, u.nick, m.text, m.created_ms, coalesce(m.mentions, '') "
      "FROM room_messages m JOIN users u ON u.id = m.sender "
      "WHERE m.room_id = $1 AND m.id < $2 AND m.id > "
      "  (SELECT first_message_id FROM room_members WHERE room_id = $1 AND user_id = $4) "
      "ORDER BY m.id DESC LIMIT $3",
      Params{}.add(room_id).add(bound).add(std::int64_t{limit} + 1).add(user_id));
  for (int row = 0; row < result.rows(); ++row) {
    if (page.messages.size() == limit) {
      page.more = true;
      break;
    }
    Message message;
    message.id = static_cast<std::uint64_t>(result.integer(row, 0));
    message.from = static_cast<std::uint32_t>(result.integer(row, 1));
    message.from_nick = result.text(row, 2);
    message.text = result.text(row, 3);
    message.time_ms = result.integer(row, 4);
    message.mentions = split_ids(result.text(row, 5));
    message.room_id = room_id;
    message.room_name = name;
    page.messages.push_back(std::move(message));
  }
  std::reverse(page.messages.begin(), page.messages.end());
  return page;
}

}  // namespace occhat::store::pg

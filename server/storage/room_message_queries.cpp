// Room messages: one stored message fanned out as one inbox row per member, and room history.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "queries.hpp"

namespace occhat::store::sqlite {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::string join_ids(const std::vector<std::uint32_t>& ids) {
  std::string text;
  for (const std::uint32_t id : ids) {
    if (!text.empty()) text += ',';
    text += std::to_string(id);
  }
  return text;
}

std::vector<std::uint32_t> split_ids(std::string_view text) {
  std::vector<std::uint32_t> ids;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    std::uint32_t id = 0;
    if (std::from_chars(part.data(), part.data() + part.size(), id).ec == std::errc{}) ids.push_back(id);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return ids;
}

RoomSendResult send_room_message(Database& db, std::uint32_t from, std::uint32_t room_id, std::string_view text,
                                 std::string_view client_msg_id, const std::vector<std::uint32_t>& mention_candidates) {
  RoomSendResult result;
  if (const auto sent = find_sent(db, "room_messages", from, client_msg_id)) {
    result.message_id = sent->message_id;
    result.time_ms = sent->time_ms;
    result.duplicate = true;
    return result;
  }
  require_member(db, from, room_id);
  const User sender = require_user(db, from);
  std::vector<std::uint32_t> mentions;
  for (const std::uint32_t id : mention_candidates) {
    if (std::find(mentions.begin(), mentions.end(), id) == mentions.end() && is_room_member(db, id, room_id)) {
      mentions.push_back(id);
    }
  }

  const auto now = now_ms();
  Statement insert(db,
                   "INSERT INTO room_messages(room_id, sender, text, mentions, created_ms, client_msg_id) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  insert.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{from}).bind(3, text).bind(5, now);
  if (!mentions.empty()) insert.bind(4, join_ids(mentions));
  if (!client_msg_id.empty()) insert.bind_blob(6, as_bytes(client_msg_id));
  insert.step();

  Message message;
  message.id = static_cast<std::uint64_t>(sqlite3_last_insert_rowid(db.handle()));
  message.from = from;
  message.from_nick = sender.nick;
  message.text = std::string(text);
  message.time_ms = now;
  message.room_id = room_id;
  message.room_name = room_name(db, room_id);
  message.mentions = std::move(mentions);

  // One row per recipient in this same transaction, through the cached statements of
  // append_inbox_item: the text is stored once, a row costs its key and a few integers.
  const auto recipients = room_recipients(db, room_id, from);
  result.items.reserve(recipients.size());
  for (const std::uint32_t user : recipients) {
    InboxItem item;
    item.user_id = user;
    item.time_ms = now;
    item.kind = InboxItem::Kind::room_message;
    item.other_user = from;
    item.other_nick = sender.nick;
    item.message = message;
    append_inbox_item(db, item);
    result.items.push_back(std::move(item));
  }
  // Writing into a conversation reads it: what came before is no longer unread for the sender.
  advance_read_marker(db, from, room_id, message.id);
  result.message_id = message.id;
  result.time_ms = now;
  return result;
}

HistoryPage room_history(Database& db, std::uint32_t user_id, std::uint32_t room_id, std::uint32_t limit,
                         std::uint64_t before_id) {
  require_member(db, user_id, room_id);
  HistoryPage page;
  if (limit == 0) return page;
  const std::int64_t bound = before_id == 0 || before_id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                                 ? std::numeric_limits<std::int64_t>::max()
                                 : static_cast<std::int64_t>(before_id);
  const std::string name = room_name(db, room_id);
  // Only what arrived after the caller joined: first_message_id is the room's last id then.
  Statement stmt(db,
                 "SELECT m.id, m.sender, u.nick, m.text, m.created_ms, m.mentions "
                 "FROM room_messages m JOIN users u ON u.id = m.sender "
                 "WHERE m.room_id = ?1 AND m.id < ?2 AND m.id > "
                 "  (SELECT first_message_id FROM room_members WHERE room_id = ?1 AND user_id = ?4) "
                 "ORDER BY m.id DESC LIMIT ?3");
  stmt.bind(1, std::int64_t{room_id}).bind(2, bound).bind(3, std::int64_t{limit} + 1).bind(4, std::int64_t{user_id});
  while (stmt.step()) {
    if (page.messages.size() == limit) {
      page.more = true;
      break;
    }
    Message message;
    message.id = static_cast<std::uint64_t>(stmt.column_int(0));
    message.from = static_cast<std::uint32_t>(stmt.column_int(1));
    message.from_nick = stmt.column_text(2);
    message.text = stmt.column_text(3);
    message.time_ms = stmt.column_int(4);
    message.mentions = split_ids(stmt.column_text(5));
    message.room_id = room_id;
    message.room_name = name;
    page.messages.push_back(std::move(message));
  }
  std::reverse(page.messages.begin(), page.messages.end());
  return page;
}

}  // namespace occhat::store::sqlite

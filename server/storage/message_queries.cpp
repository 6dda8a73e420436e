// Messages: sending (with de-duplication by client id) and conversation history.

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "queries.hpp"

namespace occhat::store::sqlite {
namespace {

std::int64_t pair_key(std::uint32_t a, std::uint32_t b) {
  const auto [low, high] = std::minmax(a, b);
  return static_cast<std::int64_t>((std::uint64_t{low} << 32) | high);
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::optional<StoredSend> find_sent(Database& db, std::string_view table, std::uint32_t from,
                                    std::string_view client_msg_id) {
  if (client_msg_id.empty()) return std::nullopt;
  // One constant text per table (no formatting on every send): the statement cache keeps each.
  const std::string_view sql = table == "messages"
                                   ? "SELECT id, created_ms FROM messages WHERE sender = ?1 AND client_msg_id = ?2"
                                   : "SELECT id, created_ms FROM room_messages WHERE sender = ?1 AND client_msg_id = ?2";
  if (table != "messages" && table != "room_messages") throw StoreError(ErrorCode::internal, "find_sent: unknown table");
  Statement existing(db, sql);
  existing.bind(1, std::int64_t{from}).bind_blob(2, as_bytes(client_msg_id));
  if (!existing.step()) return std::nullopt;
  return StoredSend{static_cast<std::uint64_t>(existing.column_int(0)), existing.column_int(1)};
}

SendResult send_message(Database& db, std::uint32_t from, std::uint32_t to, std::string_view text,
                        std::string_view client_msg_id) {
  if (from == to) throw StoreError(ErrorCode::invalid_argument, "you cannot send a message to yourself");
  SendResult result;
  // A resend of a stored message answers with the original (duplicate). The lookup runs only
  // when the insert below finds the client id taken, or when a check fails (a resend still gets
  // its original after the friendship ended): one statement fewer on every first send.
  const auto resent = [&]() {
    const auto sent = find_sent(db, "messages", from, client_msg_id);
    if (!sent) return false;
    result.message_id = sent->message_id;
    result.time_ms = sent->time_ms;
    result.duplicate = true;
    return true;
  };
  // Both nicks and the friendship in one statement (one per send instead of three); the checks
  // keep their order: no such recipient, then not a friend, then no such sender.
  Statement parties(db,
                    "SELECT (SELECT nick FROM users WHERE id = ?2 AND deleted_ms IS NULL), "
                    "EXISTS(SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2), "
                    "(SELECT nick FROM users WHERE id = ?1 AND deleted_ms IS NULL)");
  parties.bind(1, std::int64_t{from}).bind(2, std::int64_t{to});
  if (!parties.step()) throw StoreError(ErrorCode::internal, "cannot look up the sender and the recipient");
  if (parties.column_is_null(0) || parties.column_int(1) == 0 || parties.column_is_null(2)) {
    const bool no_recipient = parties.column_is_null(0);
    const bool not_friends = parties.column_int(1) == 0;
    parties.reset();
    if (resent()) return result;
    if (no_recipient) throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", to));
    if (not_friends) throw StoreError(ErrorCode::not_allowed, fmt::format("{} is not your friend", to));
    throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", from));
  }
  User recipient, sender;
  recipient.id = to;
  recipient.nick = parties.column_text(0);
  sender.id = from;
  sender.nick = parties.column_text(2);
  parties.reset();

  const auto now = now_ms();
  Statement insert(db,
                   "INSERT INTO messages(sender, recipient, pair_key, text, created_ms, client_msg_id) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
                   "ON CONFLICT(sender, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING");
  insert.bind(1, std::int64_t{from}).bind(2, std::int64_t{to}).bind(3, pair_key(from, to)).bind(4, text).bind(5, now);
  if (client_msg_id.empty()) {
    insert.bind_null(6);
  } else {
    insert.bind_blob(6, as_bytes(client_msg_id));
  }
  insert.step();
  if (db.changes() == 0) {
    insert.reset();
    if (!resent()) throw StoreError(ErrorCode::internal, "a message was neither stored nor found");
    return result;
  }

  InboxItem item;
  item.user_id = to;
  item.time_ms = now;
  item.kind = InboxItem::Kind::message;
  item.other_user = from;
  item.other_nick = sender.nick;
  item.message.id = static_cast<std::uint64_t>(sqlite3_last_insert_rowid(db.handle()));
  item.message.from = from;
  item.message.to = to;
  item.message.from_nick = sender.nick;
  item.message.text = std::string(text);
  item.message.time_ms = now;
  append_inbox_item(db, item);

  // The carbon: the same message in the sender's inbox, for their other devices (one
  // transaction with the recipient's item, so neither exists without the other).
  InboxItem carbon = item;
  carbon.user_id = from;
  carbon.other_user = to;
  carbon.other_nick = recipient.nick;
  carbon.message.to_nick = recipient.nick;
  append_inbox_item(db, carbon);
  // Writing into a conversation reads it: what came before is no longer unread for the sender.
  advance_read_marker(db, from, to, item.message.id);

  result.message_id = item.message.id;
  result.time_ms = now;
  result.item = std::move(item);
  result.carbon = std::move(carbon);
  return result;
}

HistoryPage history(Database& db, std::uint32_t user_id, std::uint32_t peer, std::uint32_t limit,
                    std::uint64_t before_id) {
  HistoryPage page;
  if (limit == 0) return page;
  const std::int64_t bound = before_id == 0 || before_id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                                 ? std::numeric_limits<std::int64_t>::max()
                                 : static_cast<std::int64_t>(before_id);
  // Newest first from the (pair_key, id) index, one extra row to learn whether older ones exist.
  Statement stmt(db,
                 "SELECT m.id, m.sender, m.recipient, u.nick, m.text, m.created_ms "
                 "FROM messages m JOIN users u ON u.id = m.sender "
                 "WHERE m.pair_key = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3");
  stmt.bind(1, pair_key(user_id, peer)).bind(2, bound).bind(3, std::int64_t{limit} + 1);
  while (stmt.step()) {
    if (page.messages.size() == limit) {
      page.more = true;
      break;
    }
    Message message;
    message.id = static_cast<std::uint64_t>(stmt.column_int(0));
    message.from = static_cast<std::uint32_t>(stmt.column_int(1));
    message.to = static_cast<std::uint32_t>(stmt.column_int(2));
    message.from_nick = stmt.column_text(3);
    message.text = stmt.column_text(4);
    message.time_ms = stmt.column_int(5);
    page.messages.push_back(std::move(message));
  }
  std::reverse(page.messages.begin(), page.messages.end());
  return page;
}

}  // namespace occhat::store::sqlite

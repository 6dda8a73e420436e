// Messages: sending (with de-duplication by client id) and conversation history (as
// server/storage/message_queries.cpp).

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "queries.hpp"

namespace occhat::store::pg {

SendResult send_message(Connection& conn, std::uint32_t from, std::uint32_t to, std::string_view text,
                        std::string_view client_msg_id) {
  if (from == to) throw StoreError(ErrorCode::invalid_argument, "you cannot send a message to yourself");
  SendResult result;
  const auto find_sent = [&]() {
    const auto sent = conn.run("SELECT id, created_ms FROM messages WHERE sender = $1 AND client_msg_id = $2",
                               Params{}.add(from).add_bytes(as_bytes(client_msg_id)));
    if (sent.empty()) return false;
    result.message_id = static_cast<std::uint64_t>(sent.integer(0, 0));
    result.time_ms = sent.integer(0, 1);
    result.duplicate = true;
    return true;
  };
  if (!client_msg_id.empty() && find_sent()) return result;
  const User recipient = require_user(conn, to);
  if (!are_friends(conn, from, to)) throw StoreError(ErrorCode::not_allowed, fmt::format("{} is not your friend", to));
  const User sender = require_user(conn, from);

  const auto now = now_ms();
  Params params;
  params.add(from).add(to).add(pair_key(from, to)).add(text).add(now);
  if (client_msg_id.empty()) {
    params.add_null();
  } else {
    params.add_bytes(as_bytes(client_msg_id));
  }
  // A retry racing its original (another connection, not yet committed) waits on the unique
  // index and then stores nothing: it is answered as the duplicate it is.
  const auto inserted = conn.run(
      "INSERT INTO messages(sender, recipient, pair_key, text, created_ms, client_msg_id) "
      "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT (sender, client_msg_id) WHERE client_msg_id IS NOT NULL "
      "DO NOTHING RETURNING id",
      params);
  if (inserted.empty()) {
    if (find_sent()) return result;
    throw StoreError(ErrorCode::internal, "cannot insert message");
  }

  InboxItem item;
  item.user_id = to;
  item.time_ms = now;
  item.kind = InboxItem::Kind::message;
  item.other_user = from;
  item.other_nick = sender.nick;
  item.message.id = static_cast<std::uint64_t>(inserted.integer(0, 0));
  item.message.from = from;
  item.message.to = to;
  item.message.from_nick = sender.nick;
  item.message.text = std::string(text);
  item.message.time_ms = now;

  // The carbon: the same message in the sender's inbox, for their other devices (one
  // transaction with the recipient's item, so neither exists without the other).
  InboxItem carbon = item;
  carbon.user_id = from;
  carbon.other_user = to;
  carbon.other_nick = recipient.nick;
  carbon.message.to_nick = recipient.nick;
  // Both inbox_state rows are locked in user-id order: alice sending to bob while bob sends to
  // alice would otherwise each hold one row and wait for the other's (a deadlock).
  if (from < to) {
    append_inbox_item(conn, carbon);
    append_inbox_item(conn, item);
  } else {
    append_inbox_item(conn, item);
    append_inbox_item(conn, carbon);
  }
  // Writing into a conversation reads it: what came before is no longer unread for the sender.
  advance_read_marker(conn, from, to, item.message.id);

  result.message_id = item.message.id;
  result.time_ms = now;
  result.item = std::move(item);
  result.carbon = std::move(carbon);
  return result;
}

HistoryPage history(Connection& conn, std::uint32_t user_id, std::uint32_t peer, std::uint32_t limit,
                    std::uint64_t before_id) {
  HistoryPage page;
  if (limit == 0) return page;
  const std::int64_t bound = before_id == 0 ? std::numeric_limits<std::int64_t>::max() : as_int(before_id);
  // Newest first from the (pair_key, id) index, one extra row to learn whether older ones exist.
  const auto result = conn.run(
      "SELECT m.id, m.sender, m.recipient, u.nick, m.text, m.created_ms "
      "FROM messages m JOIN users u ON u.id = m.sender "
      "WHERE m.pair_key = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3",
      Params{}.add(pair_key(user_id, peer)).add(bound).add(std::int64_t{limit} + 1));
  for (int row = 0; row < result.rows(); ++row) {
    if (page.messages.size() == limit) {
      page.more = true;
      break;
    }
    Message message;
    message.id = static_cast<std::uint64_t>(result.integer(row, 0));
    message.from = static_cast<std::uint32_t>(result.integer(row, 1));
    message.to = static_cast<std::uint32_t>(result.integer(row, 2));
    message.from_nick = result.text(row, 3);
    message.text = result.text(row, 4);
    message.time_ms = result.integer(row, 5);
    page.messages.push_back(std::move(message));
  }
  std::reverse(page.messages.begin(), page.messages.end());
  return page;
}

}  // namespace occhat::store::pg

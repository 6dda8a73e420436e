// The per-user inbox: gapless sequence numbers, fetch after a cursor, acknowledgements (as
// server/storage/inbox_queries.cpp).

#include <algorithm>
#include <cstdint>
#include <limits>

#include "queries.hpp"

namespace occhat::store::pg {

void append_inbox_item(Connection& conn, InboxItem& item) {
  // The upsert creates the state row on a user's first item and otherwise increments last_seq
  // under the row's lock: concurrent calls for one recipient take turns, so seqs stay gapless
  // (a rolled-back call gives its number back with its row).
  const auto next = conn.run(
      "INSERT INTO inbox_state(user_id, last_seq, acked_seq) VALUES($1, 1, 0) "
      "ON CONFLICT(user_id) DO UPDATE SET last_seq = inbox_state.last_seq + 1 RETURNING last_seq",
      Params{}.add(item.user_id));
  if (next.empty()) throw StoreError(ErrorCode::internal, "cannot allocate an inbox sequence number");
  item.seq = static_cast<std::uint64_t>(next.integer(0, 0));
  Params params;
  params.add(item.user_id).add(item.seq).add(static_cast<int>(item.kind));
  if (item.kind == InboxItem::Kind::message) {
    params.add(item.message.id);
  } else {
    params.add_null();
  }
  params.add(item.other_user).add(item.accepted ? 1 : 0).add(item.time_ms);
  if (item.kind == InboxItem::Kind::file) {
    params.add(item.file.id);
  } else {
    params.add_null();
  }
  if (item.kind == InboxItem::Kind::room_message) {
    params.add(item.message.id);
  } else {
    params.add_null();
  }
  const bool in_room = (item.kind == InboxItem::Kind::file && item.file.room_id != 0) ||
                       item.kind == InboxItem::Kind::room_message || item.kind == InboxItem::Kind::room_event;
  if (in_room) {
    params.add(item.kind == InboxItem::Kind::file           ? item.file.room_id
               : item.kind == InboxItem::Kind::room_message ? item.message.room_id
                                                            : item.room_event.room_id);
  } else {
    params.add_null();
  }
  if (item.kind == InboxItem::Kind::room_event) {
    const RoomEvent& event = item.room_event;
    params.add(event.room_name).add(static_cast<int>(event.kind)).add(event.subject).add(static_cast<int>(event.role));
  } else {
    params.add_null().add_null().add_null().add_null();
  }
  conn.run(
      "INSERT INTO inbox(user_id, seq, kind, message_id, other_user, accepted, created_ms, file_id, "
      "room_message_id, room_id, room_name, event_kind, subject, role) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
      params);
}

InboxPage fetch_inbox(Connection& conn, std::uint32_t user_id, std::uint64_t after_seq, std::uint32_t limit) {
  InboxPage page;
  if (limit == 0) return page;
  const auto result = conn.run(
      "SELECT i.seq, i.kind, i.created_ms, i.other_user, coalesce(o.nick, ''), i.accepted, "
      "       m.id, m.sender, m.recipient, m.text, m.created_ms, i.file_id, "
      "       rm.id, rm.text, rm.created_ms, coalesce(rm.mentions, ''), i.room_id, coalesce(i.room_name, r.name, ''), "
      "       i.event_kind, i.subject, coalesce(su.nick, ''), i.role, coalesce(ms.nick, '') "
      "FROM inbox i "
      "LEFT JOIN users o ON o.id = i.other_user "
      "LEFT JOIN messages m ON m.id = i.message_id "
      "LEFT JOIN users ms ON ms.id = m.sender "
      "LEFT JOIN room_messages rm ON rm.id = i.room_message_id "
      "LEFT JOIN rooms r ON r.id = i.room_id "
      "LEFT JOIN users su ON su.id = i.subject "
      "WHERE i.user_id = $1 "
      "  AND i.seq > greatest($2, coalesce((SELECT acked_seq FROM inbox_state WHERE user_id = $1), 0)) "
      "ORDER BY i.seq LIMIT $3",
      // A cursor beyond 2^63 is nonsense from a client; it simply matches nothing.
      Params{}.add(user_id).add(as_int(after_seq)).add(std::int64_t{limit} + 1));
  const auto int_or_zero = [&result](int row, int column) {
    return result.is_null(row, column) ? std::int64_t{0} : result.integer(row, column);
  };
  for (int row = 0; row < result.rows(); ++row) {
    if (page.items.size() == limit) {
      page.more = true;
      break;
    }
    InboxItem item;
    item.user_id = user_id;
    item.seq = static_cast<std::uint64_t>(result.integer(row, 0));
    item.kind = static_cast<InboxItem::Kind>(result.integer(row, 1));
    item.time_ms = result.integer(row, 2);
    item.other_user = static_cast<std::uint32_t>(result.integer(row, 3));
    item.other_nick = result.text(row, 4);
    item.accepted = result.integer(row, 5) != 0;
    if (item.kind == InboxItem::Kind::message) {
      item.message.id = static_cast<std::uint64_t>(result.integer(row, 6));
      item.message.from = static_cast<std::uint32_t>(result.integer(row, 7));
      item.message.to = static_cast<std::uint32_t>(result.integer(row, 8));
      // In a carbon (the user's own message) the other party is the recipient.
      const bool carbon = item.message.from == user_id;
      item.message.from_nick = carbon ? result.text(row, 22) : item.other_nick;
      if (carbon) item.message.to_nick = item.other_nick;
      item.message.text = result.text(row, 9);
      item.message.time_ms = result.integer(row, 10);
    }
    if (item.kind == InboxItem::Kind::file) {
      item.file = published_file(conn, static_cast<std::uint64_t>(result.integer(row, 11)));
    }
    if (item.kind == InboxItem::Kind::room_message) {
      item.message.id = static_cast<std::uint64_t>(result.integer(row, 12));
      item.message.from = item.other_user;
      item.message.from_nick = item.other_nick;
      item.message.text = result.text(row, 13);
      item.message.time_ms = result.integer(row, 14);
      item.message.mentions = split_ids(result.text(row, 15));
      item.message.room_id = static_cast<std::uint32_t>(int_or_zero(row, 16));
      item.message.room_name = result.text(row, 17);
    }
    if (item.kind == InboxItem::Kind::room_event) {
      RoomEvent& event = item.room_event;
      event.room_id = static_cast<std::uint32_t>(int_or_zero(row, 16));
      event.room_name = result.text(row, 17);
      event.kind = static_cast<RoomEvent::Kind>(int_or_zero(row, 18));
      event.actor = item.other_user;
      event.actor_nick = item.other_nick;
      event.subject = static_cast<std::uint32_t>(int_or_zero(row, 19));
      event.subject_nick = result.text(row, 20);
      event.role = static_cast<RoomRole>(int_or_zero(row, 21));
    }
    page.items.push_back(std::move(item));
  }
  return page;
}

std::uint64_t ack(Connection& conn, std::uint32_t user_id, std::uint64_t up_to_seq) {
  const auto update = conn.run(
      "UPDATE inbox_state SET acked_seq = greatest(acked_seq, least($2, last_seq)) WHERE user_id = $1 "
      "RETURNING acked_seq",
      Params{}.add(user_id).add(as_int(up_to_seq)));
  if (update.empty()) return 0;  // the user never had an inbox item
  const auto acked = update.integer(0, 0);
  // Handled items are never fetched again; the messages themselves stay for the history.
  conn.run("DELETE FROM inbox WHERE user_id = $1 AND seq <= $2", Params{}.add(user_id).add(acked));
  return static_cast<std::uint64_t>(acked);
}

InboxState inbox_state(Connection& conn, std::uint32_t user_id) {
  const auto result =
      conn.run("SELECT last_seq, acked_seq FROM inbox_state WHERE user_id = $1", Params{}.add(user_id));
  InboxState state;
  if (!result.empty()) {
    state.last_seq = static_cast<std::uint64_t>(result.integer(0, 0));
    state.acked_seq = static_cast<std::uint64_t>(result.integer(0, 1));
  }
  return state;
}

}  // namespace occhat::store::pg

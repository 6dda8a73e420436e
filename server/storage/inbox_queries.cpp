// The per-user inbox: gapless sequence numbers, fetch after a cursor, acknowledgements.

#include <algorithm>
#include <cstdint>

#include "queries.hpp"

namespace occhat::store::sqlite {

void append_inbox_item(Database& db, InboxItem& item) {
  // The upsert both creates the state row on a user's first item and increments last_seq; the
  // write lock of the surrounding transaction makes the increment race-free.
  // No RETURNING: SQLite runs a RETURNING statement to its end into a temporary table first,
  // which cost more than this upsert and a lookup of the (cached) row together.
  Statement next(db,
                 "INSERT INTO inbox_state(user_id, last_seq, acked_seq) VALUES(?1, 1, 0) "
                 "ON CONFLICT(user_id) DO UPDATE SET last_seq = last_seq + 1");
  next.bind(1, std::int64_t{item.user_id});
  next.step();
  Statement seq(db, "SELECT last_seq FROM inbox_state WHERE user_id = ?1");
  seq.bind(1, std::int64_t{item.user_id});
  if (!seq.step()) throw StoreError(ErrorCode::internal, "cannot allocate an inbox sequence number");
  item.seq = static_cast<std::uint64_t>(seq.column_int(0));
  Statement insert(db,
                   "INSERT INTO inbox(user_id, seq, kind, message_id, other_user, accepted, created_ms, file_id, "
                   "room_message_id, room_id, room_name, event_kind, subject, role) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  insert.bind(1, std::int64_t{item.user_id})
      .bind(2, static_cast<std::int64_t>(item.seq))
      .bind(3, std::int64_t{static_cast<int>(item.kind)})
      .bind(5, std::int64_t{item.other_user})
      .bind(6, std::int64_t{item.accepted ? 1 : 0})
      .bind(7, item.time_ms);
  // Unbound parameters are NULL (the cached statement is unbound after each use).
  if (item.kind == InboxItem::Kind::message) insert.bind(4, static_cast<std::int64_t>(item.message.id));
  if (item.kind == InboxItem::Kind::file) {
    insert.bind(8, static_cast<std::int64_t>(item.file.id));
    if (item.file.room_id != 0) insert.bind(10, std::int64_t{item.file.room_id});
  }
  if (item.kind == InboxItem::Kind::room_message) {
    insert.bind(9, static_cast<std::int64_t>(item.message.id)).bind(10, std::int64_t{item.message.room_id});
  }
  if (item.kind == InboxItem::Kind::room_event) {
    const RoomEvent& event = item.room_event;
    insert.bind(10, std::int64_t{event.room_id})
        .bind(11, event.room_name)
        .bind(12, std::int64_t{static_cast<int>(event.kind)})
        .bind(13, std::int64_t{event.subject})
        .bind(14, std::int64_t{static_cast<int>(event.role)});
  }
  insert.step();
}

InboxPage fetch_inbox(Database& db, std::uint32_t user_id, std::uint64_t after_seq, std::uint32_t limit) {
  InboxPage page;
  if (limit == 0) return page;
  Statement stmt(db,
                 "SELECT i.seq, i.kind, i.created_ms, i.other_user, o.nick, i.accepted, "
                 "       m.id, m.sender, m.recipient, m.text, m.created_ms, i.file_id, "
                 "       rm.id, rm.text, rm.created_ms, rm.mentions, i.room_id, coalesce(i.room_name, r.name, ''), "
                 "       i.event_kind, i.subject, su.nick, i.role, ms.nick "
                 "FROM inbox i "
                 "LEFT JOIN users o ON o.id = i.other_user "
                 "LEFT JOIN messages m ON m.id = i.message_id "
                 "LEFT JOIN users ms ON ms.id = m.sender "
                 "LEFT JOIN room_messages rm ON rm.id = i.room_message_id "
                 "LEFT JOIN rooms r ON r.id = i.room_id "
                 "LEFT JOIN users su ON su.id = i.subject "
                 "WHERE i.user_id = ?1 "
                 "  AND i.seq > max(?2, coalesce((SELECT acked_seq FROM inbox_state WHERE user_id = ?1), 0)) "
                 "ORDER BY i.seq LIMIT ?3");
  // A cursor beyond 2^63 is nonsense from a client; it simply matches nothing.
  const auto after = static_cast<std::int64_t>(std::min<std::uint64_t>(after_seq, INT64_MAX));
  stmt.bind(1, std::int64_t{user_id}).bind(2, after).bind(3, std::int64_t{limit} + 1);
  while (stmt.step()) {
    if (page.items.size() == limit) {
      page.more = true;
      break;
    }
    InboxItem item;
    item.user_id = user_id;
    item.seq = static_cast<std::uint64_t>(stmt.column_int(0));
    item.kind = static_cast<InboxItem::Kind>(stmt.column_int(1));
    item.time_ms = stmt.column_int(2);
    item.other_user = static_cast<std::uint32_t>(stmt.column_int(3));
    item.other_nick = stmt.column_text(4);
    item.accepted = stmt.column_int(5) != 0;
    if (item.kind == InboxItem::Kind::message) {
      item.message.id = static_cast<std::uint64_t>(stmt.column_int(6));
      item.message.from = static_cast<std::uint32_t>(stmt.column_int(7));
      item.message.to = static_cast<std::uint32_t>(stmt.column_int(8));
      // In a carbon (the user's own message) the other party is the recipient.
      const bool carbon = item.message.from == user_id;
      item.message.from_nick = carbon ? stmt.column_text(22) : item.other_nick;
      if (carbon) item.message.to_nick = item.other_nick;
      item.message.text = stmt.column_text(9);
      item.message.time_ms = stmt.column_int(10);
    }
    if (item.kind == InboxItem::Kind::file) item.file = published_file(db, static_cast<std::uint64_t>(stmt.column_int(11)));
    if (item.kind == InboxItem::Kind::room_message) {
      item.message.id = static_cast<std::uint64_t>(stmt.column_int(12));
      item.message.from = item.other_user;
      item.message.from_nick = item.other_nick;
      item.message.text = stmt.column_text(13);
      item.message.time_ms = stmt.column_int(14);
      item.message.mentions = split_ids(stmt.column_text(15));
      item.message.room_id = static_cast<std::uint32_t>(stmt.column_int(16));
      item.message.room_name = stmt.column_text(17);
    }
    if (item.kind == InboxItem::Kind::room_event) {
      RoomEvent& event = item.room_event;
      event.room_id = static_cast<std::uint32_t>(stmt.column_int(16));
      event.room_name = stmt.column_text(17);
      event.kind = static_cast<RoomEvent::Kind>(stmt.column_int(18));
      event.actor = item.other_user;
      event.actor_nick = item.other_nick;
      event.subject = static_cast<std::uint32_t>(stmt.column_int(19));
      event.subject_nick = stmt.column_text(20);
      event.role = static_cast<RoomRole>(stmt.column_int(21));
    }
    page.items.push_back(std::move(item));
  }
  return page;
}

std::uint64_t ack(Database& db, std::uint32_t user_id, std::uint64_t up_to_seq) {
  const auto up_to = static_cast<std::int64_t>(std::min<std::uint64_t>(up_to_seq, INT64_MAX));
  // No RETURNING (see append_inbox_item): the update, then a lookup of the row.
  Statement update(db, "UPDATE inbox_state SET acked_seq = max(acked_seq, min(?2, last_seq)) WHERE user_id = ?1");
  update.bind(1, std::int64_t{user_id}).bind(2, up_to);
  update.step();
  if (db.changes() == 0) return 0;  // the user never had an inbox item
  Statement state(db, "SELECT acked_seq FROM inbox_state WHERE user_id = ?1");
  state.bind(1, std::int64_t{user_id});
  if (!state.step()) return 0;
  const auto acked = state.column_int(0);
  // Handled items are never fetched again; the messages themselves stay for the history.
  Statement prune(db, "DELETE FROM inbox WHERE user_id = ?1 AND seq <= ?2");
  prune.bind(1, std::int64_t{user_id}).bind(2, acked);
  prune.step();
  return static_cast<std::uint64_t>(acked);
}

InboxState inbox_state(Database& db, std::uint32_t user_id) {
  Statement stmt(db, "SELECT last_seq, acked_seq FROM inbox_state WHERE user_id = ?1");
  stmt.bind(1, std::int64_t{user_id});
  InboxState state;
  if (stmt.step()) {
    state.last_seq = static_cast<std::uint64_t>(stmt.column_int(0));
    state.acked_seq = static_cast<std::uint64_t>(stmt.column_int(1));
  }
  return state;
}

std::uint64_t inbox_backlog(Database& db) {
  Statement stmt(db, "SELECT count(*) FROM inbox");
  return stmt.step() ? static_cast<std::uint64_t>(stmt.column_int(0)) : 0;
}

}  // namespace occhat::store::sqlite

// Accounts people manage themselves: sessions, password, nick, being found by nick, deleting the
// account. Each function is also what an operator's tool calls for the same change.

#include <fmt/format.h>

#include "queries.hpp"

namespace occhat::store::sqlite {
namespace {

void run(Database& db, std::string_view sql, std::uint32_t user_id) {
  Statement stmt(db, sql);
  stmt.bind(1, std::int64_t{user_id});
  stmt.step();
}

TokenHash to_hash(const std::vector<std::uint8_t>& bytes) {
  TokenHash hash{};
  if (bytes.size() == hash.size()) std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

// `text` for a LIKE pattern that matches it literally ('\' escapes).
std::string like_literal(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

RoomChange room_change(RoomChange::Kind kind, std::uint32_t room_id, std::uint32_t actor,
                       std::vector<std::uint32_t> users) {
  RoomChange change;
  change.kind = kind;
  change.room_id = room_id;
  change.actor = actor;
  change.users = std::move(users);
  return change;
}

// Takes the user out of every room it is in, as a member leaving would; an owned room is first
// handed to the longest-standing admin, else member, and one it is alone in goes (leave does
// that for a lone owner).
void leave_rooms(Database& db, std::uint32_t user_id, DeletedUser& out) {
  std::vector<std::pair<std::uint32_t, int>> memberships;
  {
    Statement stmt(db, "SELECT room_id, role FROM room_members WHERE user_id = ?1 ORDER BY room_id");
    stmt.bind(1, std::int64_t{user_id});
    while (stmt.step()) memberships.emplace_back(static_cast<std::uint32_t>(stmt.column_int(0)), stmt.column_int(1));
  }
  const auto apply = [&](RoomChange change) {
    RoomChangeResult result = change_room(db, change);
    for (auto& item : result.items) out.items.push_back(std::move(item));
    out.removed_files.insert(out.removed_files.end(), result.removed_files.begin(), result.removed_files.end());
    out.removed_uploads.insert(out.removed_uploads.end(), result.removed_uploads.begin(), result.removed_uploads.end());
  };
  for (const auto& [room_id, role] : memberships) {
    if (role == static_cast<int>(RoomRole::owner)) {
      Statement heir(db,
                     "SELECT user_id FROM room_members WHERE room_id = ?1 AND user_id != ?2 "
                     "ORDER BY role DESC, joined_ms, user_id LIMIT 1");
      heir.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{user_id});
      if (heir.step()) {
        const auto next_owner = static_cast<std::uint32_t>(heir.column_int(0));
        apply(room_change(RoomChange::Kind::transfer_ownership, room_id, user_id, {next_owner}));
      }
    }
    apply(room_change(RoomChange::Kind::leave, room_id, user_id, {}));
  }
}

}  // namespace

std::vector<SessionRecord> sessions(Database& db, std::uint32_t user_id) {
  Statement stmt(db,
                 "SELECT token_hash, client_name, last_address, created_at, last_used_at FROM sessions "
                 "WHERE user_id = ?1 ORDER BY created_at, token_hash");
  stmt.bind(1, std::int64_t{user_id});
  std::vector<SessionRecord> out;
  while (stmt.step()) {
    SessionRecord record;
    record.token_hash = to_hash(stmt.column_blob(0));
    record.client_name = stmt.column_text(1);
    record.last_address = stmt.column_text(2);
    record.created_at = stmt.column_int(3);
    record.last_used_at = stmt.column_int(4);
    out.push_back(std::move(record));
  }
  return out;
}

std::uint32_t delete_sessions(Database& db, std::uint32_t user_id, const std::optional<TokenHash>& keep) {
  if (keep) {
    Statement stmt(db, "DELETE FROM sessions WHERE user_id = ?1 AND token_hash != ?2");
    stmt.bind(1, std::int64_t{user_id}).bind_blob(2, *keep);
    stmt.step();
  } else {
    run(db, "DELETE FROM sessions WHERE user_id = ?1", user_id);
  }
  return static_cast<std::uint32_t>(db.changes());
}

bool set_password_hash(Database& db, std::uint32_t user_id, std::string_view password_hash) {
  Statement stmt(db, "UPDATE users SET password_hash = ?2 WHERE id = ?1 AND deleted_ms IS NULL");
  stmt.bind(1, std::int64_t{user_id}).bind(2, password_hash);
  stmt.step();
  return db.changes() > 0;
}

bool set_nick(Database& db, std::uint32_t user_id, std::string_view nick) {
  Statement stmt(db, "UPDATE users SET nick = ?2 WHERE id = ?1 AND deleted_ms IS NULL");
  stmt.bind(1, std::int64_t{user_id}).bind(2, nick);
  stmt.step();
  return db.changes() > 0;
}

bool set_discoverable(Database& db, std::uint32_t user_id, bool discoverable) {
  Statement stmt(db, "UPDATE users SET discoverable = ?2 WHERE id = ?1 AND deleted_ms IS NULL");
  stmt.bind(1, std::int64_t{user_id}).bind(2, std::int64_t{discoverable ? 1 : 0});
  stmt.step();
  return db.changes() > 0;
}

std::vector<User> find_users_by_nick(Database& db, std::string_view nick, bool prefix, std::uint32_t limit) {
  // LIKE ignores ASCII case, as the exact match's NOCASE does: "ali" finds "Alice".
  Statement stmt(db, prefix ? "SELECT id, nick FROM users WHERE discoverable = 1 AND deleted_ms IS NULL "
                              "AND nick LIKE ?1 ESCAPE '\\' ORDER BY nick COLLATE NOCASE, id LIMIT ?2"
                            : "SELECT id, nick FROM users WHERE discoverable = 1 AND deleted_ms IS NULL "
                              "AND nick = ?1 COLLATE NOCASE ORDER BY nick COLLATE NOCASE, id LIMIT ?2");
  const std::string pattern = prefix ? like_literal(nick) + "%" : std::string(nick);
  stmt.bind(1, pattern).bind(2, std::int64_t{limit});
  std::vector<User> users;
  while (stmt.step()) {
    User user;
    user.id = static_cast<std::uint32_t>(stmt.column_int(0));
    user.nick = stmt.column_text(1);
    users.push_back(std::move(user));
  }
  return users;
}

DeletedUser delete_user(Database& db, std::uint32_t user_id) {
  require_user(db, user_id);  // not_found for an unknown or already deleted user
  DeletedUser out;
  leave_rooms(db, user_id, out);
  {
    Statement uploads(db,
                      "DELETE FROM uploads WHERE sender = ?1 OR (recipient = ?1 AND room_id IS NULL) RETURNING id");
    uploads.bind(1, std::int64_t{user_id});
    while (uploads.step()) out.removed_uploads.push_back(static_cast<std::uint64_t>(uploads.column_int(0)));
  }
  run(db, "DELETE FROM sessions WHERE user_id = ?1", user_id);
  run(db, "DELETE FROM friendships WHERE user_id = ?1 OR friend_id = ?1", user_id);
  run(db, "DELETE FROM friend_requests WHERE from_id = ?1 OR to_id = ?1", user_id);
  run(db, "DELETE FROM friend_request_notices WHERE from_id = ?1 OR to_id = ?1", user_id);
  run(db, "DELETE FROM blocks WHERE blocker = ?1 OR blocked = ?1", user_id);
  run(db, "DELETE FROM room_invites WHERE user_id = ?1 OR inviter = ?1", user_id);
  run(db, "DELETE FROM inbox WHERE user_id = ?1", user_id);
  run(db, "DELETE FROM inbox_state WHERE user_id = ?1", user_id);
  // The tombstone: the id stays taken; the nick stays for the others' history.
  Statement tombstone(db,
                      "UPDATE users SET email = '', password_hash = '', discoverable = 0, deleted_ms = ?2 WHERE id = ?1");
  tombstone.bind(1, std::int64_t{user_id}).bind(2, now_ms());
  tombstone.step();
  return out;
}

}  // namespace occhat::store::sqlite

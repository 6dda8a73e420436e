// Accounts people manage themselves: sessions, password, nick, being found by nick, deleting the
// account (as server/storage/account_queries.cpp). Each function is also what an operator's tool
// calls for the same change.
//
// Concurrency: delete_user locks the user's row FOR NO KEY UPDATE before anything else, and every
// call that makes something refer to a user goes through require_user (FOR SHARE on that row;
// calls that lock a room first take it before the room's, see lock_users). Foreign-key checks
// (KEY SHARE) do not wait for a deletion: the row and its key stay.
// So a friend request, message, invitation or membership written alongside a deletion either
// commits first (and the deletion, waiting for it, removes it) or sees the tombstone (not_found).

#include <fmt/format.h>

#include <utility>

#include "queries.hpp"

namespace occhat::store::pg {
namespace {

void run(Connection& conn, std::string_view sql, std::uint32_t user_id) { conn.run(sql, Params{}.add(user_id)); }

TokenHash to_hash(const std::string& bytes) {
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

// The nick with ASCII letters lowered and compared byte by byte: SQLite's NOCASE, whatever the
// database's locale (lower() would fold non-ASCII letters too). The same expression as the
// users_discoverable_by_nick index, so lookups use it.
constexpr std::string_view kFoldedNick =
    "(translate(nick, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') COLLATE \"C\")";

std::string fold_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
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
// that for a lone owner). change_room takes each room's lock, in room-id order.
void leave_rooms(Connection& conn, std::uint32_t user_id, DeletedUser& out) {
  const auto memberships =
      conn.run("SELECT room_id, role FROM room_members WHERE user_id = $1 ORDER BY room_id", Params{}.add(user_id));
  const auto apply = [&](const RoomChange& change) {
    RoomChangeResult result = change_room(conn, change);
    for (auto& item : result.items) out.items.push_back(std::move(item));
    out.removed_files.insert(out.removed_files.end(), result.removed_files.begin(), result.removed_files.end());
    out.removed_uploads.insert(out.removed_uploads.end(), result.removed_uploads.begin(), result.removed_uploads.end());
  };
  for (int row = 0; row < memberships.rows(); ++row) {
    const auto room_id = static_cast<std::uint32_t>(memberships.integer(row, 0));
    if (memberships.integer(row, 1) == static_cast<int>(RoomRole::owner)) {
      const auto heir = conn.run(
          "SELECT user_id FROM room_members WHERE room_id = $1 AND user_id != $2 "
          "ORDER BY role DESC, joined_ms, user_id LIMIT 1",
          Params{}.add(room_id).add(user_id));
      if (!heir.empty()) {
        const auto next_owner = static_cast<std::uint32_t>(heir.integer(0, 0));
        apply(room_change(RoomChange::Kind::transfer_ownership, room_id, user_id, {next_owner}));
      }
    }
    apply(room_change(RoomChange::Kind::leave, room_id, user_id, {}));
  }
}

}  // namespace

std::vector<SessionRecord> sessions(Connection& conn, std::uint32_t user_id) {
  const auto result = conn.run(
      "SELECT token_hash, client_name, last_address, created_at, last_used_at FROM sessions "
      "WHERE user_id = $1 ORDER BY created_at, token_hash",
      Params{}.add(user_id));
  std::vector<SessionRecord> out;
  for (int row = 0; row < result.rows(); ++row) {
    SessionRecord record;
    record.token_hash = to_hash(result.bytes(row, 0));
    record.client_name = result.text(row, 1);
    record.last_address = result.text(row, 2);
    record.created_at = result.integer(row, 3);
    record.last_used_at = result.integer(row, 4);
    out.push_back(std::move(record));
  }
  return out;
}

std::uint32_t delete_sessions(Connection& conn, std::uint32_t user_id, const std::optional<TokenHash>& keep) {
  const auto result =
      keep ? conn.run("DELETE FROM sessions WHERE user_id = $1 AND token_hash != $2",
                      Params{}.add(user_id).add_bytes(*keep))
           : conn.run("DELETE FROM sessions WHERE user_id = $1", Params{}.add(user_id));
  return static_cast<std::uint32_t>(result.affected());
}

bool set_password_hash(Connection& conn, std::uint32_t user_id, std::string_view password_hash) {
  return conn
             .run("UPDATE users SET password_hash = $2 WHERE id = $1 AND deleted_ms IS NULL",
                  Params{}.add(user_id).add(password_hash))
             .affected() > 0;
}

bool set_nick(Connection& conn, std::uint32_t user_id, std::string_view nick) {
  return conn.run("UPDATE users SET nick = $2 WHERE id = $1 AND deleted_ms IS NULL", Params{}.add(user_id).add(nick))
             .affected() > 0;
}

bool set_discoverable(Connection& conn, std::uint32_t user_id, bool discoverable) {
  return conn
             .run("UPDATE users SET discoverable = $2 WHERE id = $1 AND deleted_ms IS NULL",
                  Params{}.add(user_id).add(discoverable ? 1 : 0))
             .affected() > 0;
}

std::vector<User> find_users_by_nick(Connection& conn, std::string_view nick, bool prefix, std::uint32_t limit) {
  // Both sides folded the same way: "ali" finds "Alice", as on SQLite.
  const std::string sql = fmt::format(
      "SELECT id, nick FROM users WHERE discoverable = 1 AND deleted_ms IS NULL AND {0} {1} $1 "
      "ORDER BY {0}, id LIMIT $2",
      kFoldedNick, prefix ? "LIKE" : "=");
  const std::string folded = fold_ascii(nick);
  const auto result =
      conn.run(sql, Params{}.add(prefix ? like_literal(folded) + "%" : folded).add(std::int64_t{limit}));
  std::vector<User> users;
  for (int row = 0; row < result.rows(); ++row) {
    User user;
    user.id = static_cast<std::uint32_t>(result.integer(row, 0));
    user.nick = result.text(row, 1);
    users.push_back(std::move(user));
  }
  return users;
}

DeletedUser delete_user(Connection& conn, std::uint32_t user_id) {
  // First, before any other lock: see the file comment. not_found for an unknown or deleted user.
  if (conn.run("SELECT 1 FROM users WHERE id = $1 AND deleted_ms IS NULL FOR NO KEY UPDATE", Params{}.add(user_id))
          .empty()) {
    throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", user_id));
  }
  DeletedUser out;
  // Its uploads before its rooms (SQLite goes the other way; the set removed is the same): a
  // publish holding an upload's row waits for a room's lock, which leave_rooms would hold.
  const auto uploads = conn.run(
      "DELETE FROM uploads WHERE sender = $1 OR (recipient = $1 AND room_id IS NULL) RETURNING id",
      Params{}.add(user_id));
  for (int row = 0; row < uploads.rows(); ++row) {
    out.removed_uploads.push_back(static_cast<std::uint64_t>(uploads.integer(row, 0)));
  }
  leave_rooms(conn, user_id, out);
  run(conn, "DELETE FROM sessions WHERE user_id = $1", user_id);
  run(conn, "DELETE FROM friendships WHERE user_id = $1 OR friend_id = $1", user_id);
  run(conn, "DELETE FROM friend_requests WHERE from_id = $1 OR to_id = $1", user_id);
  run(conn, "DELETE FROM friend_request_notices WHERE from_id = $1 OR to_id = $1", user_id);
  run(conn, "DELETE FROM blocks WHERE blocker = $1 OR blocked = $1", user_id);
  run(conn, "DELETE FROM room_invites WHERE user_id = $1 OR inviter = $1", user_id);
  run(conn, "DELETE FROM inbox WHERE user_id = $1", user_id);
  run(conn, "DELETE FROM inbox_state WHERE user_id = $1", user_id);
  // The tombstone: the id stays taken; the nick stays for the others' history.
  conn.run("UPDATE users SET email = '', password_hash = '', discoverable = 0, deleted_ms = $2 WHERE id = $1",
           Params{}.add(user_id).add(now_ms()));
  return out;
}

}  // namespace occhat::store::pg

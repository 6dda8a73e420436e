// Rooms: creation, membership changes with their inbox events, lists and member pages (as
// server/storage/room_queries.cpp). Calls run concurrently on PostgreSQL, so a change holds its
// room's row lock (FOR UPDATE) and calls that fan out to the members (room messages, room
// files) hold it shared: the member list cannot change under a fan-out, and a JOIN's
// first_message_id counts every message sent before it.

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "queries.hpp"

namespace occhat::store::pg {
namespace {

using Kind = RoomChange::Kind;
using EventKind = RoomEvent::Kind;

StoreError not_member(std::uint32_t room_id) {
  return StoreError(ErrorCode::not_allowed, fmt::format("you are not a member of room {}", room_id));
}

std::optional<Room> find_room(Connection& conn, std::uint32_t room_id) {
  const auto result = conn.run(
      "SELECT r.id, r.name, r.owner, r.created_ms, "
      "       (SELECT count(*) FROM room_members m WHERE m.room_id = r.id) "
      "FROM rooms r WHERE r.id = $1",
      Params{}.add(room_id));
  if (result.empty()) return std::nullopt;
  Room room;
  room.id = static_cast<std::uint32_t>(result.integer(0, 0));
  room.name = result.text(0, 1);
  room.owner = static_cast<std::uint32_t>(result.integer(0, 2));
  room.created_ms = result.integer(0, 3);
  room.members = static_cast<std::uint32_t>(result.integer(0, 4));
  return room;
}

std::optional<RoomRole> role_of(Connection& conn, std::uint32_t user_id, std::uint32_t room_id) {
  const auto result =
      conn.run("SELECT role FROM room_members WHERE room_id = $1 AND user_id = $2", Params{}.add(room_id).add(user_id));
  if (result.empty()) return std::nullopt;
  return static_cast<RoomRole>(result.integer(0, 0));
}

RoomView view_of(Connection& conn, std::uint32_t user_id, std::uint32_t room_id) {
  RoomView view;
  view.room = find_room(conn, room_id).value();
  view.role = role_of(conn, user_id, room_id).value_or(RoomRole::member);
  return view;
}

std::vector<std::uint32_t> member_ids(Connection& conn, std::uint32_t room_id) {
  const auto result =
      conn.run("SELECT user_id FROM room_members WHERE room_id = $1 ORDER BY user_id", Params{}.add(room_id));
  std::vector<std::uint32_t> ids;
  for (int row = 0; row < result.rows(); ++row) ids.push_back(static_cast<std::uint32_t>(result.integer(row, 0)));
  return ids;
}

// The inviter of `user_id`'s pending invitation, if any.
std::optional<std::uint32_t> inviter_of(Connection& conn, std::uint32_t user_id, std::uint32_t room_id) {
  const auto result = conn.run("SELECT inviter FROM room_invites WHERE room_id = $1 AND user_id = $2",
                               Params{}.add(room_id).add(user_id));
  if (result.empty()) return std::nullopt;
  return static_cast<std::uint32_t>(result.integer(0, 0));
}

void set_role(Connection& conn, std::uint32_t room_id, std::uint32_t user_id, RoomRole role) {
  conn.run("UPDATE room_members SET role = $3 WHERE room_id = $1 AND user_id = $2",
           Params{}.add(room_id).add(user_id).add(static_cast<int>(role)));
}

void delete_member(Connection& conn, std::uint32_t room_id, std::uint32_t user_id) {
  conn.run("DELETE FROM room_members WHERE room_id = $1 AND user_id = $2", Params{}.add(room_id).add(user_id));
}

// Builds the events of one change and appends them to the inboxes concerned.
class EventWriter {
 public:
  EventWriter(Connection& conn, RoomChangeResult& result, const Room& room, std::uint32_t actor)
      : conn_(conn), result_(result), now_(now_ms()) {
    event_.room_id = room.id;
    event_.room_name = room.name;
    event_.actor = actor;
    event_.actor_nick = require_user(conn, actor).nick;
  }

  void set_room_name(std::string name) { event_.room_name = std::move(name); }

  void write(EventKind kind, std::uint32_t subject, RoomRole role, const std::vector<std::uint32_t>& recipients) {
    RoomEvent event = event_;
    event.kind = kind;
    event.subject = subject;
    event.subject_nick = subject == 0 ? std::string() : require_user(conn_, subject).nick;
    event.role = role;
    for (const std::uint32_t user : recipients) {
      InboxItem item;
      item.user_id = user;
      item.time_ms = now_;
      item.kind = InboxItem::Kind::room_event;
      item.other_user = event.actor;
      item.other_nick = event.actor_nick;
      item.room_event = event;
      append_inbox_item(conn_, item);
      result_.items.push_back(std::move(item));
    }
  }

 private:
  Connection& conn_;
  RoomChangeResult& result_;
  RoomEvent event_;
  std::int64_t now_;
};

// Exactly one user named, and a member of the room: the subject of remove and role changes.
std::uint32_t single_member(Connection& conn, const RoomChange& change) {
  if (change.users.size() != 1) throw StoreError(ErrorCode::invalid_argument, "name exactly one user");
  const std::uint32_t subject = change.users.front();
  if (!role_of(conn, subject, change.room_id)) {
    throw StoreError(ErrorCode::invalid_argument, fmt::format("{} is not a member of room {}", subject, change.room_id));
  }
  if (subject == change.actor) throw StoreError(ErrorCode::invalid_argument, "you cannot do that to yourself");
  return subject;
}

// Deletes the room and everything in it. The DELETED events are written by the caller first.
void drop_room(Connection& conn, std::uint32_t room_id, RoomChangeResult& result) {
  const auto files = conn.run("SELECT id FROM files WHERE room_id = $1", Params{}.add(room_id));
  for (int row = 0; row < files.rows(); ++row) result.removed_files.push_back(static_cast<std::uint64_t>(files.integer(row, 0)));
  const auto uploads = conn.run("SELECT id FROM uploads WHERE room_id = $1", Params{}.add(room_id));
  for (int row = 0; row < uploads.rows(); ++row) {
    result.removed_uploads.push_back(static_cast<std::uint64_t>(uploads.integer(row, 0)));
  }
  // Unacknowledged items of the room's messages and files go with them (a seq gap the client
  // never sees: fetches and catch-ups read what is there).
  const char* const statements[] = {
      "DELETE FROM inbox WHERE room_id = $1 AND kind IN (3, 4)",
      "DELETE FROM files WHERE room_id = $1",
      "DELETE FROM uploads WHERE room_id = $1",
      "DELETE FROM room_messages WHERE room_id = $1",
      "DELETE FROM room_invites WHERE room_id = $1",
      "DELETE FROM room_members WHERE room_id = $1",
      "DELETE FROM rooms WHERE id = $1",
  };
  for (const char* sql : statements) conn.run(sql, Params{}.add(room_id));
}

void invite(Connection& conn, const RoomChange& change, const Room& room, RoomChangeResult& result) {
  if (change.users.empty() || change.users.size() > 100) {
    throw StoreError(ErrorCode::invalid_argument, "invite 1 to 100 users at a time");
  }
  std::vector<std::uint32_t> invitees;
  std::unordered_set<std::uint32_t> seen;
  for (const std::uint32_t user : change.users) {
    if (!seen.insert(user).second) continue;
    if (user == change.actor || role_of(conn, user, room.id)) continue;  // members are skipped
    // Silently, before the friendship check (blocking ended the friendship): the actor must not
    // learn that they are blocked.
    if (blocks(conn, user, change.actor)) continue;
    if (!are_friends(conn, change.actor, user)) {
      throw StoreError(ErrorCode::not_allowed, fmt::format("{} is not your friend", user));
    }
    if (inviter_of(conn, user, room.id)) continue;  // already invited
    invitees.push_back(user);
  }
  if (room.members + invitees.size() > change.max_members) {
    throw StoreError(ErrorCode::resource_exhausted,
                     fmt::format("room {} would have more than {} members", room.id, change.max_members));
  }
  EventWriter events(conn, result, room, change.actor);
  for (const std::uint32_t user : invitees) {
    conn.run("INSERT INTO room_invites(room_id, user_id, inviter, created_ms) VALUES($1, $2, $3, $4)",
             Params{}.add(room.id).add(user).add(change.actor).add(now_ms()));
    events.write(EventKind::invited, user, RoomRole::member, {user});
  }
}

}  // namespace

void lock_room(Connection& conn, std::uint32_t room_id, bool exclusive) {
  conn.run(exclusive ? "SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE" : "SELECT 1 FROM rooms WHERE id = $1 FOR SHARE",
           Params{}.add(room_id));
}

bool is_room_member(Connection& conn, std::uint32_t user_id, std::uint32_t room_id) {
  return role_of(conn, user_id, room_id).has_value();
}

RoomRole require_member(Connection& conn, std::uint32_t user_id, std::uint32_t room_id) {
  const auto role = role_of(conn, user_id, room_id);
  if (!role) throw not_member(room_id);
  return *role;
}

std::vector<std::uint32_t> room_recipients(Connection& conn, std::uint32_t room_id, std::uint32_t sender) {
  const auto result = conn.run(
      "SELECT m.user_id FROM room_members m WHERE m.room_id = $1 AND NOT EXISTS "
      "(SELECT 1 FROM blocks b WHERE b.blocker = m.user_id AND b.blocked = $2) ORDER BY m.user_id",
      Params{}.add(room_id).add(sender));
  std::vector<std::uint32_t> ids;
  for (int row = 0; row < result.rows(); ++row) ids.push_back(static_cast<std::uint32_t>(result.integer(row, 0)));
  return ids;
}

std::string room_name(Connection& conn, std::uint32_t room_id) {
  const auto result = conn.run("SELECT name FROM rooms WHERE id = $1", Params{}.add(room_id));
  return result.empty() ? std::string() : result.text(0, 0);
}

RoomView create_room(Connection& conn, std::uint32_t owner, std::string_view name, std::uint32_t max_owned) {
  require_user(conn, owner);
  // The owner's own lock key (a pair of one): two creates at once cannot both pass the limit.
  lock_pair(conn, owner, owner);
  const auto owned = conn.run("SELECT count(*) FROM rooms WHERE owner = $1", Params{}.add(owner));
  if (owned.integer(0, 0) >= max_owned) {
    throw StoreError(ErrorCode::resource_exhausted,
                     fmt::format("you own {} rooms, the server's limit: delete one or hand it on first", max_owned));
  }
  const auto now = now_ms();
  const auto inserted = conn.run("INSERT INTO rooms(name, owner, created_ms) VALUES($1, $2, $3) RETURNING id",
                                 Params{}.add(name).add(owner).add(now));
  const auto id = inserted.integer(0, 0);
  // Room ids travel as uint32: once the space is used up, no more rooms (never a reused id).
  if (id > std::int64_t{UINT32_MAX}) throw StoreError(ErrorCode::resource_exhausted, "the server has no room ids left");
  conn.run("INSERT INTO room_members(room_id, user_id, role, joined_ms, first_message_id) VALUES($1, $2, $3, $4, 0)",
           Params{}.add(id).add(owner).add(static_cast<int>(RoomRole::owner)).add(now));
  return view_of(conn, owner, static_cast<std::uint32_t>(id));
}

RoomChangeResult change_room(Connection& conn, const RoomChange& change) {
  RoomChangeResult result;
  const std::uint32_t actor = change.actor;
  const std::uint32_t room_id = change.room_id;
  // The users the change names, before the room's lock (see lock_users).
  std::vector<std::uint32_t> named = change.users;
  named.push_back(actor);
  lock_users(conn, std::move(named));
  lock_room(conn, room_id, /*exclusive=*/true);

  if (change.kind == Kind::join || change.kind == Kind::decline) {
    const auto inviter = inviter_of(conn, actor, room_id);
    if (!inviter) {
      // A repeated JOIN (say, a retry after a lost answer) finds the caller a member already.
      if (change.kind == Kind::join && is_room_member(conn, actor, room_id)) {
        result.room = view_of(conn, actor, room_id);
        return result;
      }
      throw not_member(room_id);
    }
    const Room room = find_room(conn, room_id).value();
    conn.run("DELETE FROM room_invites WHERE room_id = $1 AND user_id = $2", Params{}.add(room_id).add(actor));
    if (change.kind == Kind::decline) {
      // The inviter may have left meanwhile; they are told all the same (it was their invitation).
      EventWriter events(conn, result, room, *inviter);
      events.write(EventKind::declined, actor, RoomRole::member, {*inviter});
      return result;
    }
    if (room.members >= change.max_members) {
      throw StoreError(ErrorCode::resource_exhausted, fmt::format("room {} is full", room_id));
    }
    const auto last = conn.run("SELECT coalesce(max(id), 0) FROM room_messages WHERE room_id = $1", Params{}.add(room_id));
    conn.run(
        "INSERT INTO room_members(room_id, user_id, role, joined_ms, first_message_id) VALUES($1, $2, $3, $4, $5)",
        Params{}.add(room_id).add(actor).add(0).add(now_ms()).add(last.integer(0, 0)));
    EventWriter events(conn, result, room, actor);
    events.write(EventKind::joined, actor, RoomRole::member, member_ids(conn, room_id));
    result.room = view_of(conn, actor, room_id);
    return result;
  }

  const RoomRole role = require_member(conn, actor, room_id);
  const Room room = find_room(conn, room_id).value();
  EventWriter events(conn, result, room, actor);
  const auto owner_only = [&] {
    if (role != RoomRole::owner) throw StoreError(ErrorCode::not_allowed, "only the room's owner may do that");
  };

  switch (change.kind) {
    case Kind::invite:
      invite(conn, change, room, result);
      break;
    case Kind::leave:
      if (role == RoomRole::owner) {
        if (room.members > 1) {
          throw StoreError(ErrorCode::conflict,
                           "the owner cannot leave: hand ownership to another member or delete the room");
        }
        events.write(EventKind::deleted, 0, RoomRole::member, {actor});
        drop_room(conn, room_id, result);
        return result;
      }
      delete_member(conn, room_id, actor);
      {
        auto recipients = member_ids(conn, room_id);
        recipients.push_back(actor);
        events.write(EventKind::left, actor, role, recipients);
      }
      return result;
    case Kind::remove: {
      const std::uint32_t subject = single_member(conn, change);
      const RoomRole subject_role = role_of(conn, subject, room_id).value();
      const bool allowed = role == RoomRole::owner || (role == RoomRole::admin && subject_role == RoomRole::member);
      if (!allowed) {
        throw StoreError(ErrorCode::not_allowed, fmt::format("you may not remove {} from room {}", subject, room_id));
      }
      delete_member(conn, room_id, subject);
      auto recipients = member_ids(conn, room_id);
      recipients.push_back(subject);
      events.write(EventKind::removed, subject, subject_role, recipients);
      break;
    }
    case Kind::make_admin:
    case Kind::unmake_admin: {
      owner_only();
      const std::uint32_t subject = single_member(conn, change);
      const RoomRole target = change.kind == Kind::make_admin ? RoomRole::admin : RoomRole::member;
      if (role_of(conn, subject, room_id) != target) {
        set_role(conn, room_id, subject, target);
        events.write(EventKind::role_changed, subject, target, member_ids(conn, room_id));
      }
      break;
    }
    case Kind::transfer_ownership: {
      owner_only();
      const std::uint32_t subject = single_member(conn, change);
      set_role(conn, room_id, subject, RoomRole::owner);
      set_role(conn, room_id, actor, RoomRole::admin);
      conn.run("UPDATE rooms SET owner = $2 WHERE id = $1", Params{}.add(room_id).add(subject));
      const auto members = member_ids(conn, room_id);
      events.write(EventKind::role_changed, subject, RoomRole::owner, members);
      events.write(EventKind::role_changed, actor, RoomRole::admin, members);
      break;
    }
    case Kind::rename: {
      if (role == RoomRole::member) throw StoreError(ErrorCode::not_allowed, "only the owner and admins may rename the room");
      conn.run("UPDATE rooms SET name = $2 WHERE id = $1", Params{}.add(room_id).add(change.name));
      events.set_room_name(change.name);
      events.write(EventKind::renamed, 0, RoomRole::member, member_ids(conn, room_id));
      break;
    }
    case Kind::remove_room:
      owner_only();
      events.write(EventKind::deleted, 0, RoomRole::member, member_ids(conn, room_id));
      drop_room(conn, room_id, result);
      return result;
    case Kind::join:
    case Kind::decline:
      break;  // handled above
    default:
      throw StoreError(ErrorCode::invalid_argument, "unknown room change");
  }
  result.room = view_of(conn, actor, room_id);
  return result;
}

RoomLists rooms(Connection& conn, std::uint32_t user_id) {
  RoomLists lists;
  const auto read_room = [](const Result& result, int row, RoomView& view) {
    view.room.id = static_cast<std::uint32_t>(result.integer(row, 0));
    view.room.name = result.text(row, 1);
    view.room.owner = static_cast<std::uint32_t>(result.integer(row, 2));
    view.room.created_ms = result.integer(row, 3);
    view.room.members = static_cast<std::uint32_t>(result.integer(row, 4));
  };
  // COLLATE "C": byte order, as SQLite sorts names.
  const auto mine = conn.run(
      "SELECT r.id, r.name, r.owner, r.created_ms, "
      "       (SELECT count(*) FROM room_members c WHERE c.room_id = r.id), m.role "
      "FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1 ORDER BY r.name COLLATE \"C\", r.id",
      Params{}.add(user_id));
  for (int row = 0; row < mine.rows(); ++row) {
    RoomView view;
    read_room(mine, row, view);
    view.role = static_cast<RoomRole>(mine.integer(row, 5));
    lists.rooms.push_back(std::move(view));
  }
  const auto invited = conn.run(
      "SELECT r.id, r.name, r.owner, r.created_ms, "
      "       (SELECT count(*) FROM room_members c WHERE c.room_id = r.id), i.inviter, u.nick "
      "FROM room_invites i JOIN rooms r ON r.id = i.room_id JOIN users u ON u.id = i.inviter "
      "WHERE i.user_id = $1 ORDER BY r.id",
      Params{}.add(user_id));
  for (int row = 0; row < invited.rows(); ++row) {
    RoomView view;
    read_room(invited, row, view);
    view.inviter = static_cast<std::uint32_t>(invited.integer(row, 5));
    view.inviter_nick = invited.text(row, 6);
    lists.invites.push_back(std::move(view));
  }
  return lists;
}

RoomMembersPage room_members(Connection& conn, std::uint32_t user_id, std::uint32_t room_id, std::uint32_t after_id,
                             std::uint32_t limit) {
  require_member(conn, user_id, room_id);
  RoomMembersPage page;
  page.room = view_of(conn, user_id, room_id);
  const auto result = conn.run(
      "SELECT m.user_id, u.nick, m.role, m.joined_ms FROM room_members m JOIN users u ON u.id = m.user_id "
      "WHERE m.room_id = $1 AND m.user_id > $2 ORDER BY m.user_id LIMIT $3",
      Params{}.add(room_id).add(after_id).add(std::int64_t{limit} + 1));
  for (int row = 0; row < result.rows(); ++row) {
    if (page.members.size() == limit) {
      page.more = true;
      break;
    }
    page.members.push_back(RoomMember{static_cast<std::uint32_t>(result.integer(row, 0)), result.text(row, 1),
                                      static_cast<RoomRole>(result.integer(row, 2)), result.integer(row, 3)});
  }
  return page;
}

}  // namespace occhat::store::pg

// Rooms: creation, membership changes with their inbox events, lists and member pages.

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "queries.hpp"

namespace occhat::store::sqlite {
namespace {

using Kind = RoomChange::Kind;
using EventKind = RoomEvent::Kind;

StoreError not_member(std::uint32_t room_id) {
  return StoreError(ErrorCode::not_allowed, fmt::format("you are not a member of room {}", room_id));
}

std::optional<Room> find_room(Database& db, std::uint32_t room_id) {
  Statement stmt(db,
                 "SELECT r.id, r.name, r.owner, r.created_ms, "
                 "       (SELECT count(*) FROM room_members m WHERE m.room_id = r.id) "
                 "FROM rooms r WHERE r.id = ?1");
  stmt.bind(1, std::int64_t{room_id});
  if (!stmt.step()) return std::nullopt;
  Room room;
  room.id = static_cast<std::uint32_t>(stmt.column_int(0));
  room.name = stmt.column_text(1);
  room.owner = static_cast<std::uint32_t>(stmt.column_int(2));
  room.created_ms = stmt.column_int(3);
  room.members = static_cast<std::uint32_t>(stmt.column_int(4));
  return room;
}

std::optional<RoomRole> role_of(Database& db, std::uint32_t user_id, std::uint32_t room_id) {
  Statement stmt(db, "SELECT role FROM room_members WHERE room_id = ?1 AND user_id = ?2");
  stmt.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{user_id});
  if (!stmt.step()) return std::nullopt;
  return static_cast<RoomRole>(stmt.column_int(0));
}

RoomView view_of(Database& db, std::uint32_t user_id, std::uint32_t room_id) {
  RoomView view;
  view.room = find_room(db, room_id).value();
  view.role = role_of(db, user_id, room_id).value_or(RoomRole::member);
  return view;
}

std::vector<std::uint32_t> member_ids(Database& db, std::uint32_t room_id) {
  Statement stmt(db, "SELECT user_id FROM room_members WHERE room_id = ?1 ORDER BY user_id");
  stmt.bind(1, std::int64_t{room_id});
  std::vector<std::uint32_t> ids;
  while (stmt.step()) ids.push_back(static_cast<std::uint32_t>(stmt.column_int(0)));
  return ids;
}

// The inviter of `user_id`'s pending invitation, if any.
std::optional<std::uint32_t> inviter_of(Database& db, std::uint32_t user_id, std::uint32_t room_id) {
  Statement stmt(db, "SELECT inviter FROM room_invites WHERE room_id = ?1 AND user_id = ?2");
  stmt.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{user_id});
  if (!stmt.step()) return std::nullopt;
  return static_cast<std::uint32_t>(stmt.column_int(0));
}

void set_role(Database& db, std::uint32_t room_id, std::uint32_t user_id, RoomRole role) {
  Statement stmt(db, "UPDATE room_members SET role = ?3 WHERE room_id = ?1 AND user_id = ?2");
  stmt.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{user_id}).bind(3, std::int64_t{static_cast<int>(role)});
  stmt.step();
}

void delete_member(Database& db, std::uint32_t room_id, std::uint32_t user_id) {
  Statement stmt(db, "DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2");
  stmt.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{user_id});
  stmt.step();
}

// Builds the events of one change and appends them to the inboxes concerned.
class EventWriter {
 public:
  EventWriter(Database& db, RoomChangeResult& result, const Room& room, std::uint32_t actor)
      : db_(db), result_(result), now_(now_ms()) {
    event_.room_id = room.id;
    event_.room_name = room.name;
    event_.actor = actor;
    event_.actor_nick = require_user(db, actor).nick;
  }

  void set_room_name(std::string name) { event_.room_name = std::move(name); }

  void write(EventKind kind, std::uint32_t subject, RoomRole role, const std::vector<std::uint32_t>& recipients) {
    RoomEvent event = event_;
    event.kind = kind;
    event.subject = subject;
    event.subject_nick = subject == 0 ? std::string() : require_user(db_, subject).nick;
    event.role = role;
    for (const std::uint32_t user : recipients) {
      InboxItem item;
      item.user_id = user;
      item.time_ms = now_;
      item.kind = InboxItem::Kind::room_event;
      item.other_user = event.actor;
      item.other_nick = event.actor_nick;
      item.room_event = event;
      append_inbox_item(db_, item);
      result_.items.push_back(std::move(item));
    }
  }

 private:
  Database& db_;
  RoomChangeResult& result_;
  RoomEvent event_;
  std::int64_t now_;
};

// Exactly one user named, and a member of the room: the subject of remove and role changes.
std::uint32_t single_member(Database& db, const RoomChange& change) {
  if (change.users.size() != 1) throw StoreError(ErrorCode::invalid_argument, "name exactly one user");
  const std::uint32_t subject = change.users.front();
  if (!role_of(db, subject, change.room_id)) {
    throw StoreError(ErrorCode::invalid_argument, fmt::format("{} is not a member of room {}", subject, change.room_id));
  }
  if (subject == change.actor) throw StoreError(ErrorCode::invalid_argument, "you cannot do that to yourself");
  return subject;
}

// Deletes the room and everything in it. The DELETED events are written by the caller first.
void drop_room(Database& db, std::uint32_t room_id, RoomChangeResult& result) {
  {
    Statement stmt(db, "SELECT id FROM files WHERE room_id = ?1");
    stmt.bind(1, std::int64_t{room_id});
    while (stmt.step()) result.removed_files.push_back(static_cast<std::uint64_t>(stmt.column_int(0)));
  }
  {
    Statement stmt(db, "SELECT id FROM uploads WHERE room_id = ?1");
    stmt.bind(1, std::int64_t{room_id});
    while (stmt.step()) result.removed_uploads.push_back(static_cast<std::uint64_t>(stmt.column_int(0)));
  }
  // Unacknowledged items of the room's messages and files go with them (a seq gap the client
  // never sees: fetches and catch-ups read what is there).
  const char* const statements[] = {
      "DELETE FROM inbox WHERE room_id = ?1 AND kind IN (3, 4)",
      "DELETE FROM files WHERE room_id = ?1",
      "DELETE FROM uploads WHERE room_id = ?1",
      "DELETE FROM room_messages WHERE room_id = ?1",
      "DELETE FROM room_invites WHERE room_id = ?1",
      "DELETE FROM room_members WHERE room_id = ?1",
      "DELETE FROM rooms WHERE id = ?1",
  };
  for (const char* sql : statements) {
    Statement stmt(db, sql);
    stmt.bind(1, std::int64_t{room_id});
    stmt.step();
  }
}

void invite(Database& db, const RoomChange& change, const Room& room, RoomChangeResult& result) {
  if (change.users.empty() || change.users.size() > 100) {
    throw StoreError(ErrorCode::invalid_argument, "invite 1 to 100 users at a time");
  }
  std::vector<std::uint32_t> invitees;
  std::unordered_set<std::uint32_t> seen;
  for (const std::uint32_t user : change.users) {
    if (!seen.insert(user).second) continue;
    if (user == change.actor || role_of(db, user, room.id)) continue;  // members are skipped
    // Silently, before the friendship check (blocking ended the friendship): the actor must not
    // learn that they are blocked.
    if (blocks(db, user, change.actor)) continue;
    if (!are_friends(db, change.actor, user)) {
      throw StoreError(ErrorCode::not_allowed, fmt::format("{} is not your friend", user));
    }
    if (inviter_of(db, user, room.id)) continue;  // already invited
    invitees.push_back(user);
  }
  if (room.members + invitees.size() > change.max_members) {
    throw StoreError(ErrorCode::resource_exhausted,
                     fmt::format("room {} would have more than {} members", room.id, change.max_members));
  }
  EventWriter events(db, result, room, change.actor);
  for (const std::uint32_t user : invitees) {
    Statement stmt(db, "INSERT INTO room_invites(room_id, user_id, inviter, created_ms) VALUES(?1, ?2, ?3, ?4)");
    stmt.bind(1, std::int64_t{room.id}).bind(2, std::int64_t{user}).bind(3, std::int64_t{change.actor}).bind(4, now_ms());
    stmt.step();
    events.write(EventKind::invited, user, RoomRole::member, {user});
  }
}

}  // namespace

bool is_room_member(Database& db, std::uint32_t user_id, std::uint32_t room_id) {
  return role_of(db, user_id, room_id).has_value();
}

RoomRole require_member(Database& db, std::uint32_t user_id, std::uint32_t room_id) {
  const auto role = role_of(db, user_id, room_id);
  if (!role) throw not_member(room_id);
  return *role;
}

std::vector<std::uint32_t> room_recipients(Database& db, std::uint32_t room_id, std::uint32_t sender) {
  Statement stmt(db,
                 "SELECT m.user_id FROM room_members m WHERE m.room_id = ?1 AND NOT EXISTS "
                 "(SELECT 1 FROM blocks b WHERE b.blocker = m.user_id AND b.blocked = ?2) ORDER BY m.user_id");
  stmt.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{sender});
  std::vector<std::uint32_t> ids;
  while (stmt.step()) ids.push_back(static_cast<std::uint32_t>(stmt.column_int(0)));
  return ids;
}

std::string room_name(Database& db, std::uint32_t room_id) {
  Statement stmt(db, "SELECT name FROM rooms WHERE id = ?1");
  stmt.bind(1, std::int64_t{room_id});
  return stmt.step() ? stmt.column_text(0) : std::string();
}

RoomView create_room(Database& db, std::uint32_t owner, std::string_view name, std::uint32_t max_owned) {
  require_user(db, owner);
  Statement owned(db, "SELECT count(*) FROM rooms WHERE owner = ?1");
  owned.bind(1, std::int64_t{owner});
  owned.step();
  if (owned.column_int(0) >= max_owned) {
    throw StoreError(ErrorCode::resource_exhausted,
                     fmt::format("you own {} rooms, the server's limit: delete one or hand it on first", max_owned));
  }
  const auto now = now_ms();
  Statement insert(db, "INSERT INTO rooms(name, owner, created_ms) VALUES(?1, ?2, ?3) RETURNING id");
  insert.bind(1, name).bind(2, std::int64_t{owner}).bind(3, now);
  if (!insert.step()) throw StoreError(ErrorCode::internal, "cannot insert room");
  const auto id = insert.column_int(0);
  while (insert.step()) {
  }
  // Room ids travel as uint32: once the space is used up, no more rooms (never a reused id).
  if (id > std::int64_t{UINT32_MAX}) throw StoreError(ErrorCode::resource_exhausted, "the server has no room ids left");
  Statement member(db,
                   "INSERT INTO room_members(room_id, user_id, role, joined_ms, first_message_id) VALUES(?1, ?2, ?3, ?4, 0)");
  member.bind(1, id).bind(2, std::int64_t{owner}).bind(3, std::int64_t{static_cast<int>(RoomRole::owner)}).bind(4, now);
  member.step();
  return view_of(db, owner, static_cast<std::uint32_t>(id));
}

RoomChangeResult change_room(Database& db, const RoomChange& change) {
  RoomChangeResult result;
  const std::uint32_t actor = change.actor;
  const std::uint32_t room_id = change.room_id;

  if (change.kind == Kind::join || change.kind == Kind::decline) {
    const auto inviter = inviter_of(db, actor, room_id);
    if (!inviter) {
      // A repeated JOIN (say, a retry after a lost answer) finds the caller a member already.
      if (change.kind == Kind::join && is_room_member(db, actor, room_id)) {
        result.room = view_of(db, actor, room_id);
        return result;
      }
      throw not_member(room_id);
    }
    const Room room = find_room(db, room_id).value();
    Statement forget(db, "DELETE FROM room_invites WHERE room_id = ?1 AND user_id = ?2");
    forget.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{actor});
    forget.step();
    if (change.kind == Kind::decline) {
      // The inviter may have left meanwhile; they are told all the same (it was their invitation).
      EventWriter events(db, result, room, *inviter);
      events.write(EventKind::declined, actor, RoomRole::member, {*inviter});
      return result;
    }
    if (room.members >= change.max_members) {
      throw StoreError(ErrorCode::resource_exhausted, fmt::format("room {} is full", room_id));
    }
    Statement last(db, "SELECT coalesce(max(id), 0) FROM room_messages WHERE room_id = ?1");
    last.bind(1, std::int64_t{room_id});
    last.step();
    Statement member(db,
                     "INSERT INTO room_members(room_id, user_id, role, joined_ms, first_message_id) "
                     "VALUES(?1, ?2, ?3, ?4, ?5)");
    member.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{actor}).bind(3, std::int64_t{0}).bind(4, now_ms());
    member.bind(5, last.column_int(0));
    member.step();
    EventWriter events(db, result, room, actor);
    events.write(EventKind::joined, actor, RoomRole::member, member_ids(db, room_id));
    result.room = view_of(db, actor, room_id);
    return result;
  }

  const RoomRole role = require_member(db, actor, room_id);
  const Room room = find_room(db, room_id).value();
  EventWriter events(db, result, room, actor);
  const auto owner_only = [&] {
    if (role != RoomRole::owner) throw StoreError(ErrorCode::not_allowed, "only the room's owner may do that");
  };

  switch (change.kind) {
    case Kind::invite:
      invite(db, change, room, result);
      break;
    case Kind::leave:
      if (role == RoomRole::owner) {
        if (room.members > 1) {
          throw StoreError(ErrorCode::conflict,
                           "the owner cannot leave: hand ownership to another member or delete the room");
        }
        events.write(EventKind::deleted, 0, RoomRole::member, {actor});
        drop_room(db, room_id, result);
        return result;
      }
      delete_member(db, room_id, actor);
      {
        auto recipients = member_ids(db, room_id);
        recipients.push_back(actor);
        events.write(EventKind::left, actor, role, recipients);
      }
      return result;
    case Kind::remove: {
      const std::uint32_t subject = single_member(db, change);
      const RoomRole subject_role = role_of(db, subject, room_id).value();
      const bool allowed = role == RoomRole::owner || (role == RoomRole::admin && subject_role == RoomRole::member);
      if (!allowed) throw StoreError(ErrorCode::not_allowed, fmt::format("you may not remove {} from room {}", subject, room_id));
      delete_member(db, room_id, subject);
      auto recipients = member_ids(db, room_id);
      recipients.push_back(subject);
      events.write(EventKind::removed, subject, subject_role, recipients);
      break;
    }
    case Kind::make_admin:
    case Kind::unmake_admin: {
      owner_only();
      const std::uint32_t subject = single_member(db, change);
      const RoomRole target = change.kind == Kind::make_admin ? RoomRole::admin : RoomRole::member;
      if (role_of(db, subject, room_id) != target) {
        set_role(db, room_id, subject, target);
        events.write(EventKind::role_changed, subject, target, member_ids(db, room_id));
      }
      break;
    }
    case Kind::transfer_ownership: {
      owner_only();
      const std::uint32_t subject = single_member(db, change);
      set_role(db, room_id, subject, RoomRole::owner);
      set_role(db, room_id, actor, RoomRole::admin);
      Statement owner(db, "UPDATE rooms SET owner = ?2 WHERE id = ?1");
      owner.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{subject});
      owner.step();
      const auto members = member_ids(db, room_id);
      events.write(EventKind::role_changed, subject, RoomRole::owner, members);
      events.write(EventKind::role_changed, actor, RoomRole::admin, members);
      break;
    }
    case Kind::rename: {
      if (role == RoomRole::member) throw StoreError(ErrorCode::not_allowed, "only the owner and admins may rename the room");
      Statement rename(db, "UPDATE rooms SET name = ?2 WHERE id = ?1");
      rename.bind(1, std::int64_t{room_id}).bind(2, change.name);
      rename.step();
      events.set_room_name(change.name);
      events.write(EventKind::renamed, 0, RoomRole::member, member_ids(db, room_id));
      break;
    }
    case Kind::remove_room:
      owner_only();
      events.write(EventKind::deleted, 0, RoomRole::member, member_ids(db, room_id));
      drop_room(db, room_id, result);
      return result;
    case Kind::join:
    case Kind::decline:
      break;  // handled above
    default:
      throw StoreError(ErrorCode::invalid_argument, "unknown room change");
  }
  result.room = view_of(db, actor, room_id);
  return result;
}

RoomLists rooms(Database& db, std::uint32_t user_id) {
  RoomLists lists;
  const auto read_room = [](Statement& stmt, RoomView& view) {
    view.room.id = static_cast<std::uint32_t>(stmt.column_int(0));
    view.room.name = stmt.column_text(1);
    view.room.owner = static_cast<std::uint32_t>(stmt.column_int(2));
    view.room.created_ms = stmt.column_int(3);
    view.room.members = static_cast<std::uint32_t>(stmt.column_int(4));
  };
  Statement mine(db,
                 "SELECT r.id, r.name, r.owner, r.created_ms, "
                 "       (SELECT count(*) FROM room_members c WHERE c.room_id = r.id), m.role "
                 "FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ?1 ORDER BY r.name, r.id");
  mine.bind(1, std::int64_t{user_id});
  while (mine.step()) {
    RoomView view;
    read_room(mine, view);
    view.role = static_cast<RoomRole>(mine.column_int(5));
    lists.rooms.push_back(std::move(view));
  }
  Statement invited(db,
                    "SELECT r.id, r.name, r.owner, r.created_ms, "
                    "       (SELECT count(*) FROM room_members c WHERE c.room_id = r.id), i.inviter, u.nick "
                    "FROM room_invites i JOIN rooms r ON r.id = i.room_id JOIN users u ON u.id = i.inviter "
                    "WHERE i.user_id = ?1 ORDER BY r.id");
  invited.bind(1, std::int64_t{user_id});
  while (invited.step()) {
    RoomView view;
    read_room(invited, view);
    view.inviter = static_cast<std::uint32_t>(invited.column_int(5));
    view.inviter_nick = invited.column_text(6);
    lists.invites.push_back(std::move(view));
  }
  return lists;
}

RoomMembersPage room_members(Database& db, std::uint32_t user_id, std::uint32_t room_id, std::uint32_t after_id,
                             std::uint32_t limit) {
  require_member(db, user_id, room_id);
  RoomMembersPage page;
  page.room = view_of(db, user_id, room_id);
  Statement stmt(db,
                 "SELECT m.user_id, u.nick, m.role, m.joined_ms FROM room_members m JOIN users u ON u.id = m.user_id "
                 "WHERE m.room_id = ?1 AND m.user_id > ?2 ORDER BY m.user_id LIMIT ?3");
  stmt.bind(1, std::int64_t{room_id}).bind(2, std::int64_t{after_id}).bind(3, std::int64_t{limit} + 1);
  while (stmt.step()) {
    if (page.members.size() == limit) {
      page.more = true;
      break;
    }
    page.members.push_back(RoomMember{static_cast<std::uint32_t>(stmt.column_int(0)), stmt.column_text(1),
                                      static_cast<RoomRole>(stmt.column_int(2)), stmt.column_int(3)});
  }
  return page;
}

}  // namespace occhat::store::sqlite

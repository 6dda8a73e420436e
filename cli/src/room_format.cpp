#include "room_format.hpp"

#include "event_format.hpp"

namespace occhat::cli {
namespace {

std::string who(const UserInfo& user) {
  return escape_for_terminal(user.nick) + " (" + std::to_string(user.id) + ")";
}

Json user_json(const UserInfo& user) {
  if (user.id == 0) return nullptr;
  return Json{{"id", user.id}, {"nick", user.nick}};
}

std::string members_text(std::uint32_t count) {
  return std::to_string(count) + (count == 1 ? " member" : " members");
}

}  // namespace

std::string room_label(const RoomRef& room) {
  return "[#" + std::to_string(room.id) + " " + escape_for_terminal(room.name) + "]";
}

Json room_ref_json(const RoomRef& room) { return Json{{"id", room.id}, {"name", room.name}}; }

std::string format_room_event(const RoomEvent& e) {
  const std::string room = room_label(e.room);
  const std::string id = std::to_string(e.room.id);
  if (e.kind == "invited") {
    return who(e.actor) + " invited you to " + room + "; join with: occhat room join " + id +
           " (or decline: occhat room decline " + id + ")";
  }
  if (e.kind == "joined") return room + " " + who(e.subject) + " joined";
  if (e.kind == "left") return room + " " + who(e.subject) + " left";
  if (e.kind == "removed") return room + " " + who(e.actor) + " removed " + who(e.subject);
  if (e.kind == "role_changed") {
    return room + " " + who(e.actor) + " made " + who(e.subject) + " " + to_string(e.role);
  }
  if (e.kind == "renamed") {
    return room + " " + who(e.actor) + " renamed the room to " + escape_for_terminal(e.room.name);
  }
  if (e.kind == "deleted") return room + " " + who(e.actor) + " deleted the room";
  if (e.kind == "declined") return room + " " + who(e.subject) + " declined your invitation";
  return room + " room event \"" + escape_for_terminal(e.kind) + "\"";
}

void add_room_event_json(Json& json, const RoomEvent& e) {
  json["kind"] = e.kind;
  json["room"] = room_ref_json(e.room);
  json["actor"] = user_json(e.actor);
  json["subject"] = user_json(e.subject);
  json["role"] = to_string(e.role);
}

std::string format_room_line(const Room& room, bool invitation) {
  const std::string head = std::to_string(room.id) + "  " + escape_for_terminal(room.name) + "  ";
  if (invitation) {
    return head + "invited by " + who(room.invited_by) + "; join with: occhat room join " + std::to_string(room.id);
  }
  return head + to_string(room.role) + "  " + members_text(room.members) + unread_suffix(room.unread);
}

Json room_json(const Room& room, bool invitation) {
  Json json{{"id", room.id},
            {"name", room.name},
            {"role", to_string(room.role)},
            {"members", room.members},
            {"invited", invitation}};
  if (!invitation) json["unread"] = room.unread;
  if (invitation) json["invited_by"] = user_json(room.invited_by);
  return json;
}

void print_room_sections(std::ostream& out, const RoomList& list) {
  const std::pair<const char*, const std::vector<Room>*> sections[] = {{"rooms", &list.rooms},
                                                                       {"invitations", &list.invites}};
  for (const auto& [title, rooms] : sections) {
    out << title << ":\n";
    if (rooms->empty()) out << "  (none)\n";
    for (const Room& r : *rooms) out << "  " << format_room_line(r, rooms == &list.invites) << '\n';
  }
}

std::string format_member_line(const RoomMember& m) {
  return std::to_string(m.id) + "  " + escape_for_terminal(m.nick) + "  " + to_string(m.role) + "  " +
         (m.online ? "online" : "offline");
}

Json member_json(const RoomMember& m) {
  return Json{{"id", m.id}, {"nick", m.nick}, {"role", to_string(m.role)}, {"online", m.online}};
}

}  // namespace occhat::cli

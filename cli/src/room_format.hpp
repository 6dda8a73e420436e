#pragma once
// How rooms, their members and room events look on a terminal and in JSON (the conventions of
// event_format.hpp: server strings escaped for the terminal, raw in JSON).

#include <ostream>
#include <string>

#include "occhat/client.hpp"
#include "output.hpp"

namespace occhat::cli {

// "[#1000001 team]": the prefix of every room line.
std::string room_label(const RoomRef& room);
// {"id","name"}
Json room_ref_json(const RoomRef& room);

// A room event without its time, e.g. "[#1000001 team] bob (234567) joined", or for an
// invitation "alice (123456) invited you to [#1000001 team]; join with: occhat room join
// 1000001 (or decline: occhat room decline 1000001)".
std::string format_room_event(const RoomEvent& e);
// Adds "kind", "room", "actor", "subject" ({"id","nick"}, null when the server names nobody),
// "role" to an event object.
void add_room_event_json(Json& json, const RoomEvent& e);

// `rooms`: "1000001  team  owner  3 members", an invitation
// "1000002  other  invited by alice (123456); join with: occhat room join 1000002".
std::string format_room_line(const Room& room, bool invitation);
// {"id","name","role","members","invited"} (+ "invited_by" {"id","nick"} for an invitation).
Json room_json(const Room& room, bool invitation);
// The `rooms` text format: "rooms:" then "  LINE" per room (or "  (none)"), then "invitations:"
// and its lines.
void print_room_sections(std::ostream& out, const RoomList& list);

// `room members`: "123456  alice  owner  online".
std::string format_member_line(const RoomMember& m);
// {"id","nick","role","online"}
Json member_json(const RoomMember& m);

}  // namespace occhat::cli

#pragma once
// How events, messages and friend lists look on a terminal and in JSON. Shared by the one-shot
// commands, `watch` and `shell`, so every front end prints the same lines.
//
// Text: one event is always one line — control characters in user text are escaped. Times are
// local, "YYYY-MM-DD HH:MM:SS".
// JSON: one object per line, raw text, times as ISO-8601 UTC with milliseconds. Event objects
// carry "version" (kEventSchemaVersion) so scripts can notice a format change.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "occhat/client.hpp"
#include "output.hpp"

namespace occhat::cli {

inline constexpr int kEventSchemaVersion = 1;

// Newline -> "\n", tab kept, other C0 controls, DEL and C1 controls -> "\xNN" (lowercase hex of the
// code point), bidi controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069, see
// proto::is_bidi_control) -> "\uNNNN" (lowercase hex), bytes that are not valid UTF-8 -> "\xNN"
// of the byte; everything else unchanged. Every string from the server or from another user (nick,
// e-mail, message text, file name, error message) goes through this on its way to a terminal;
// JSON output keeps the exact text.
std::string escape_for_terminal(std::string_view text);

// Unix milliseconds as local "YYYY-MM-DD HH:MM:SS".
std::string format_time_local(std::int64_t time_ms);
// Unix milliseconds as UTC "2026-11-25T09:48:08.123Z".
std::string format_time_iso(std::int64_t time_ms);

// What a friend request event's request is now (see friend_request_state.hpp). A live event
// (`watch`, `shell`) is pending by definition.
enum class FriendRequestNow { pending, friends, gone };

// One event in the text format, without a trailing newline:
//   message         [TIME] alice (123456): TEXT
//                   [TIME] [#1000001 team] alice (123456): TEXT               (a room message)
//   friend_request  [TIME] friend request from carol (345678); accept with: occhat add 345678
//                   [TIME] friend request from carol (345678); you are friends now    (request: friends)
//                   [TIME] friend request from carol (345678); no longer pending      (request: gone)
//                   [TIME] dave (456789) accepted your friend request       (accepted=true)
//   presence        [TIME] bob (654321) is online | is offline
//   file            [TIME] alice (123456) sent you a file: NAME (SIZE bytes); get it with:
//                   occhat download 7       (a room's file: "... sent [#1000001 team] a file: ...")
//   room            [TIME] FORMAT_ROOM_EVENT (see room_format.hpp)
// An event without a time (presence) shows the current time.
// `command_prefix` starts the commands a hint names: "occhat " for the CLI, "/" in the shell.
std::string format_event_line(const Event& e, FriendRequestNow request = FriendRequestNow::pending,
                              std::string_view command_prefix = "occhat ");
// The same event as a JSON object, schema version 1 (see the README).
Json event_json(const Event& e);

// One history message: "#17 [TIME] alice (123456): TEXT".
std::string format_history_line(const Message& m);
// {"id","from","from_nick","to","text","time"}, plus "room" {"id","name"} and "mentions" [ids]
// for a room message.
Json message_json(const Message& m);

// One `files` line: "7  NAME  SIZE bytes  from alice (123456)  TIME  available|uploading".
std::string format_file_line(const FileInfo& f);
// {"id","name","size","sha256","sender","recipient","time","state"}, plus "room" {"id","name"}
// for a room's file.
Json file_json(const FileInfo& f);

// "  (N unread)" after a friend or a room with unread messages ("9999+" at the server's cap);
// "" when there are none.
std::string unread_suffix(std::uint32_t unread);
// The `friends` text format: "online:" then "  ID NICK" lines (plus unread_suffix(); or
// "  (none)"), then "offline:" and its lines. Keeps the given order within each section.
void print_friend_sections(std::ostream& out, const std::vector<Friend>& friends);

// The `requests` text format: "incoming:" then "  ID NICK  (since TIME)" lines (or "  (none)"),
// then "outgoing:" and its lines.
void print_request_sections(std::ostream& out, const FriendRequests& requests);

}  // namespace occhat::cli

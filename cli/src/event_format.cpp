#include "event_format.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "occhat/proto/utf8.hpp"
#include "room_format.hpp"

namespace occhat::cli {
namespace {

void append_hex_escape(std::string& out, unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", value & 0xffU);
  out += buf;
}

// Bidi controls are all in the BMP, so four hex digits always do.
void append_unicode_escape(std::string& out, char32_t cp) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
  out += buf;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Presence events carry no server time; they are shown when they arrive.
std::int64_t event_time(const Event& e) { return e.time_ms != 0 ? e.time_ms : now_ms(); }

// Floor division, so times before 1970 still split into a second and a millisecond part.
std::time_t seconds_of(std::int64_t time_ms) {
  std::int64_t seconds = time_ms / 1000;
  if (time_ms % 1000 < 0) --seconds;
  return static_cast<std::time_t>(seconds);
}

std::string user_label(const std::string& nick, UserId id) {
  return escape_for_terminal(nick) + " (" + std::to_string(id) + ")";
}

// The SDK fills both the event's user and the file's sender; either is enough.
UserId file_sender(const Event& e) { return e.user.id != 0 ? e.user.id : e.file->sender; }
const std::string& file_sender_nick(const Event& e) {
  return !e.user.nick.empty() ? e.user.nick : e.file->sender_nick;
}

// Room messages only: direct messages keep their schema-1 fields unchanged.
void add_room_fields(Json& json, const Message& m) {
  if (!m.room) return;
  json["room"] = room_ref_json(*m.room);
  json["mentions"] = m.mentions;
}

}  // namespace

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    const auto cp = proto::decode_utf8(text, i);
    if (!cp) {
      append_hex_escape(out, static_cast<unsigned char>(text[i++]));
    } else if (*cp == '\n') {
      out += "\\n";
    } else if (*cp == '\t') {
      out += '\t';
    } else if (proto::is_control(*cp)) {
      // C0, DEL and C1 (U+0080..U+009F: some terminals act on them; U+009B is CSI).
      append_hex_escape(out, static_cast<unsigned>(*cp));
    } else if (proto::is_bidi_control(*cp)) {
      // U+202E and friends reorder what follows: "invoice\u202efdp.exe" reads "invoiceexe.pdf".
      append_unicode_escape(out, *cp);
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

std::string format_time_local(std::int64_t time_ms) {
  const std::time_t seconds = seconds_of(time_ms);
  std::tm tm{};
  if (::localtime_r(&seconds, &tm) == nullptr) return "(bad time)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string format_time_iso(std::int64_t time_ms) {
  const std::time_t seconds = seconds_of(time_ms);
  std::int64_t millis = time_ms % 1000;
  if (millis < 0) millis += 1000;
  std::tm tm{};
  if (::gmtime_r(&seconds, &tm) == nullptr) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(millis));
  return out;
}

std::string format_event_line(const Event& e, FriendRequestNow request, std::string_view command_prefix) {
  const std::string run(command_prefix);
  const std::string time = "[" + format_time_local(event_time(e)) + "] ";
  if (e.type == "message" && e.message) {
    const Message& m = *e.message;
    const std::string room = m.room ? room_label(*m.room) + " " : std::string();
    return time + room + user_label(m.from_nick, m.from) + ": " + escape_for_terminal(m.text);
  }
  if (e.type == "sent" && e.message) {
    // Your own message, sent from any of your devices: a room line reads like the others there;
    // a 1:1 line names whom it went to.
    const Message& m = *e.message;
    if (m.room) return time + room_label(*m.room) + " " + user_label(m.from_nick, m.from) + ": " + escape_for_terminal(m.text);
    return time + user_label(m.from_nick, m.from) + " to " + user_label(m.to_nick, m.to) + ": " +
           escape_for_terminal(m.text);
  }
  if (e.type == "friend_request") {
    if (e.accepted) return time + user_label(e.user.nick, e.user.id) + " accepted your friend request";
    const std::string line = time + "friend request from " + user_label(e.user.nick, e.user.id);
    switch (request) {
      case FriendRequestNow::friends: return line + "; you are friends now";
      case FriendRequestNow::gone: return line + "; no longer pending";
      case FriendRequestNow::pending: break;
    }
    return line + "; accept with: " + run + "add " + std::to_string(e.user.id);
  }
  if (e.type == "presence") {
    return time + user_label(e.user.nick, e.user.id) + (e.online ? " is online" : " is offline");
  }
  if (e.type == "file" && e.file) {
    const FileInfo& f = *e.file;
    const std::string to = f.room ? " sent " + room_label(*f.room) + " a file: " : " sent you a file: ";
    return time + user_label(file_sender_nick(e), file_sender(e)) + to +
           escape_for_terminal(f.name) + " (" + std::to_string(f.size) +
           " bytes); get it with: " + run + "download " + std::to_string(f.id);
  }
  if (e.type == "room" && e.room_event) return time + format_room_event(*e.room_event);
  // A type from a newer server: still one line, so a reader is not derailed.
  return time + escape_for_terminal(e.type) + " event" +
         (e.seq != 0 ? " (seq " + std::to_string(e.seq) + ")" : std::string());
}

Json event_json(const Event& e) {
  Json json{{"version", kEventSchemaVersion}, {"type", e.type}};
  if ((e.type == "message" || e.type == "sent") && e.message) {
    const Message& m = *e.message;
    json["seq"] = e.seq;
    json["id"] = m.id;
    json["from"] = m.from;
    json["from_nick"] = m.from_nick;
    json["to"] = m.to;
    if (e.type == "sent" && !m.room) json["to_nick"] = m.to_nick;
    json["text"] = m.text;
    json["time"] = format_time_iso(m.time_ms != 0 ? m.time_ms : event_time(e));
    add_room_fields(json, m);
  } else if (e.type == "friend_request") {
    json["seq"] = e.seq;
    json["from"] = e.user.id;
    json["from_nick"] = e.user.nick;
    json["accepted"] = e.accepted;
    json["time"] = format_time_iso(event_time(e));
  } else if (e.type == "file" && e.file) {
    const FileInfo& f = *e.file;
    json["seq"] = e.seq;
    json["id"] = f.id;
    json["name"] = f.name;
    json["size"] = f.size;
    json["sha256"] = f.sha256;
    json["from"] = file_sender(e);
    json["from_nick"] = file_sender_nick(e);
    json["time"] = format_time_iso(event_time(e));
    if (f.room) json["room"] = room_ref_json(*f.room);
  } else if (e.type == "room" && e.room_event) {
    json["seq"] = e.seq;
    add_room_event_json(json, *e.room_event);
    json["time"] = format_time_iso(event_time(e));
  } else if (e.type == "presence") {
    json["user"] = e.user.id;
    json["nick"] = e.user.nick;
    json["online"] = e.online;
    // Only in the snapshot a watch starts with: who was online when it subscribed.
    if (e.snapshot) json["snapshot"] = true;
    json["time"] = format_time_iso(event_time(e));
  } else {
    if (e.seq != 0) json["seq"] = e.seq;
    json["time"] = format_time_iso(event_time(e));
  }
  return json;
}

std::string format_history_line(const Message& m) {
  return "#" + std::to_string(m.id) + " [" + format_time_local(m.time_ms) + "] " +
         user_label(m.from_nick, m.from) + ": " + escape_for_terminal(m.text);
}

Json message_json(const Message& m) {
  Json json{{"id", m.id},     {"from", m.from},     {"from_nick", m.from_nick},
            {"to", m.to},     {"text", m.text},     {"time", format_time_iso(m.time_ms)}};
  add_room_fields(json, m);
  return json;
}

std::string format_file_line(const FileInfo& f) {
  return std::to_string(f.id) + "  " + escape_for_terminal(f.name) + "  " + std::to_string(f.size) +
         " bytes  from " + user_label(f.sender_nick, f.sender) + "  " +
         format_time_local(f.time_ms) + "  " + escape_for_terminal(f.state);
}

Json file_json(const FileInfo& f) {
  Json json{{"id", f.id},
              {"name", f.name},
              {"size", f.size},
              {"sha256", f.sha256},
              {"sender", f.sender},
              {"recipient", f.recipient},
              {"time", format_time_iso(f.time_ms)},
              {"state", f.state}};
  if (f.room) json["room"] = room_ref_json(*f.room);
  return json;
}

std::string unread_suffix(std::uint32_t unread) {
  if (unread == 0) return {};
  // The server stops counting at 9999.
  return "  (" + std::to_string(unread) + (unread >= 9999 ? "+" : "") + " unread)";
}

void print_friend_sections(std::ostream& out, const std::vector<Friend>& friends) {
  for (const bool online : {true, false}) {
    out << (online ? "online:\n" : "offline:\n");
    bool any = false;
    for (const Friend& f : friends) {
      if (f.online != online) continue;
      out << "  " << f.id << ' ' << escape_for_terminal(f.nick) << unread_suffix(f.unread) << '\n';
      any = true;
    }
    if (!any) out << "  (none)\n";
  }
}

void print_request_sections(std::ostream& out, const FriendRequests& requests) {
  const std::pair<const char*, const std::vector<PendingFriendRequest>*> sections[] = {
      {"incoming", &requests.incoming}, {"outgoing", &requests.outgoing}};
  for (const auto& [direction, list] : sections) {
    out << direction << ":\n";
    if (list->empty()) out << "  (none)\n";
    for (const PendingFriendRequest& r : *list) {
      out << "  " << r.user.id << ' ' << escape_for_terminal(r.user.nick) << "  (since "
          << format_time_local(r.time_ms) << ")\n";
    }
  }
}

}  // namespace occhat::cli

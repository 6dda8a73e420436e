#include "result_json.hpp"

#include "event_format.hpp"

namespace occhat::cli {
namespace {

// "to": USER or "room": ROOM, whichever the destination is.
void add_destination(Json& json, const Destination& to) {
  if (to.room != 0) {
    json["room"] = to.room;
  } else {
    json["to"] = to.user;
  }
}

}  // namespace

Json whoami_json(const UserInfo& user) {
  return Json{{"id", user.id}, {"nick", user.nick}, {"email", user.email}, {"discoverable", user.discoverable}};
}

Json session_json(const SessionInfo& s) {
  return Json{{"id", s.id},
              {"client", s.client_name},
              {"address", s.last_address},
              {"created", format_time_iso(s.created_ms)},
              {"last_seen", format_time_iso(s.last_seen_ms)},
              {"current", s.current}};
}

Json found_user_json(const UserInfo& user) {
  Json json{{"id", user.id}, {"nick", user.nick}};
  if (!user.email.empty()) json["email"] = user.email;
  return json;
}

Json user_ref_json(const UserInfo& user) { return Json{{"id", user.id}, {"nick", user.nick}}; }

Json friend_json(const Friend& f) {
  return Json{{"id", f.id}, {"nick", f.nick}, {"online", f.online}, {"unread", f.unread}};
}

Json request_json(const PendingFriendRequest& r, std::string_view direction) {
  return Json{{"direction", direction}, {"id", r.user.id}, {"nick", r.user.nick}, {"time", format_time_iso(r.time_ms)}};
}

const char* add_friend_state_name(AddFriendState state) {
  switch (state) {
    case AddFriendState::requested:
      return "requested";
    case AddFriendState::now_friends:
      return "friends";
    case AddFriendState::already_friends:
      return "already_friends";
  }
  return "requested";
}

Json add_friend_json(const AddFriendResult& result) {
  return Json{{"id", result.user.id}, {"nick", result.user.nick}, {"state", add_friend_state_name(result.state)}};
}

Json removed_friend_json(UserId id) { return Json{{"ok", true}, {"id", id}}; }

Json block_json(UserId id, bool blocked) { return Json{{"ok", true}, {"id", id}, {"blocked", blocked}}; }

Json send_result_json(const SendResult& sent, const Destination& to) {
  Json json{{"id", sent.id}};
  add_destination(json, to);
  json["time"] = format_time_iso(sent.time_ms);
  json["duplicate"] = sent.duplicate;
  return json;
}

Json upload_result_json(const UploadResult& result, const Destination& to) {
  const FileInfo& f = result.file;
  Json json{{"id", f.id}, {"name", f.name}, {"size", f.size}, {"sha256", f.sha256}};
  add_destination(json, to);
  json["sent_bytes"] = result.bytes_sent;
  json["resumed_from"] = result.resumed_from;
  return json;
}

Json cancelled_upload_json(FileId cancelled, const Destination& to) {
  Json json{{"cancelled", cancelled}};
  add_destination(json, to);
  return json;
}

Json download_result_json(const DownloadResult& result, const std::string& path) {
  const FileInfo& f = result.file;
  return Json{{"id", f.id},         {"name", f.name},     {"path", path},
              {"size", f.size},     {"sha256", f.sha256}, {"received_bytes", result.bytes_received},
              {"resumed_from", result.resumed_from}};
}

Json room_change_json(RoomId room, const Json& extra) {
  Json json{{"ok", true}, {"room", room}};
  json.update(extra);
  return json;
}

}  // namespace occhat::cli

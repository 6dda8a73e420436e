// The SDK's result structs as read-only Python classes with readable reprs. Times are exposed
// both as `time_ms` (Unix ms, as on the wire) and `time` (an aware UTC datetime).

#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "occhat/client.hpp"

namespace py = pybind11;

namespace occhat::python {
namespace {

py::object to_datetime(std::int64_t time_ms) {
  py::module_ datetime = py::module_::import("datetime");
  py::object utc = datetime.attr("timezone").attr("utc");
  return datetime.attr("datetime").attr("fromtimestamp")(static_cast<double>(time_ms) / 1000.0, utc);
}

std::string quoted(const std::string& text) { return py::repr(py::str(text)).cast<std::string>(); }
std::string num(std::uint64_t n) { return std::to_string(n); }

std::string state_name(AddFriendState state) {
  switch (state) {
    case AddFriendState::requested: return "requested";
    case AddFriendState::now_friends: return "friends";
    case AddFriendState::already_friends: return "already_friends";
  }
  return "unknown";
}

std::string user_repr(const UserInfo& u) {
  std::string text = "UserInfo(id=" + num(u.id) + ", nick=" + quoted(u.nick);
  if (!u.email.empty()) text += ", email=" + quoted(u.email);
  return text + ")";
}

// ", room=ID" for something sent to a room, else nothing (1:1 reprs stay as they were).
std::string room_suffix(const std::optional<RoomRef>& room) {
  return room ? ", room=" + num(room->id) : std::string();
}

std::string message_repr(const Message& m) {
  return "Message(id=" + num(m.id) + ", sender=" + num(m.from) + ", sender_nick=" + quoted(m.from_nick) +
         ", to=" + num(m.to) + room_suffix(m.room) + ", text=" + quoted(m.text) + ")";
}

std::string file_repr(const FileInfo& f) {
  return "FileInfo(id=" + num(f.id) + ", name=" + quoted(f.name) + ", size=" + num(f.size) + ", sender=" +
         num(f.sender) + ", recipient=" + num(f.recipient) + room_suffix(f.room) + ", sha256='" + f.sha256 +
         "', state='" + f.state + "')";
}

std::string room_ref_repr(const RoomRef& r) { return "RoomRef(id=" + num(r.id) + ", name=" + quoted(r.name) + ")"; }

std::string room_event_repr(const RoomEvent& e) {
  std::string text = "RoomEvent(kind='" + e.kind + "', room=" + room_ref_repr(e.room);
  if (e.actor.id != 0) text += ", actor=" + num(e.actor.id);
  if (e.subject.id != 0) text += ", subject=" + num(e.subject.id);
  if (e.kind == "role_changed") text += ", role='" + std::string(to_string(e.role)) + "'";
  return text + ")";
}

std::string event_repr(const Event& e) {
  std::string text = "Event(type='" + e.type + "'";
  if (e.seq != 0) text += ", seq=" + num(e.seq);
  if (e.type == "message" && e.message) {
    text += ", sender=" + num(e.message->from) + room_suffix(e.message->room) + ", text=" + quoted(e.message->text);
  } else if (e.type == "sent" && e.message) {
    const std::string to = e.message->room ? room_suffix(e.message->room) : ", to=" + num(e.message->to);
    text += to + ", text=" + quoted(e.message->text);
  } else if (e.type == "file" && e.file) {
    text += ", sender=" + num(e.file->sender) + ", file=" + file_repr(*e.file);
  } else if (e.type == "room" && e.room_event) {
    text += ", room_event=" + room_event_repr(*e.room_event);
  } else if (e.type == "friend_request") {
    text += ", sender=" + num(e.user.id) + ", accepted=" + (e.accepted ? "True" : "False");
  } else if (e.type == "presence") {
    text += ", user=" + num(e.user.id) + ", nick=" + quoted(e.user.nick) + ", online=" + (e.online ? "True" : "False");
  }
  return text + ")";
}

// The other user of an event that has one ("message", "file", "friend_request"); for "sent",
// you (the message's sender, whichever of your devices sent it).
py::object event_sender(const Event& e) {
  if (e.type == "sent" && e.message) return py::cast(UserInfo{e.message->from, e.message->from_nick, {}});
  if (e.type == "message" || e.type == "file" || e.type == "friend_request") return py::cast(e.user);
  return py::none();
}

// The room an event belongs to: a room message's or room file's room, or the room a room event
// is about; None for 1:1 events. One place for it so Bot.reply() can route on it alone.
std::optional<RoomRef> event_room(const Event& e) {
  if (e.message && e.message->room) return e.message->room;
  if (e.file && e.file->room) return e.file->room;
  if (e.room_event) return e.room_event->room;
  return std::nullopt;
}

// Role names as strings ("member", "admin", "owner"), like AddFriendResult.state: Python code
// compares them with literals and reprs stay readable.
template <typename T>
auto role_of(RoomRole T::* member) {
  return [member](const T& value) { return std::string(to_string(value.*member)); };
}

// An unset UserInfo (id 0) as None, e.g. Room.invited_by outside an invitation.
py::object user_or_none(const UserInfo& u) { return u.id == 0 ? py::none() : py::cast(u); }

}  // namespace

void register_types(py::module_& m) {
  py::class_<UserInfo>(m, "UserInfo", "A user: id, nick, and email (only for yourself).")
      .def_readonly("id", &UserInfo::id, "The user id.")
      .def_readonly("nick", &UserInfo::nick, "The display name.")
      .def_readonly("email", &UserInfo::email, "The e-mail address; empty unless it is your own record.")
      .def_readonly("discoverable", &UserInfo::discoverable, "Others may find you by nick (your own record only).")
      .def("__repr__", &user_repr);

  py::class_<Session>(m, "Session", "A login: the user and the secret resume token.")
      .def_readonly("user", &Session::user, "The logged-in user.")
      .def_readonly("token", &Session::token, "The secret resume token (keep it private).")
      .def_readonly("revoked_sessions", &Session::revoked_sessions, "Earlier sessions this login revoked (tokens given up before).")
      .def("__repr__", [](const Session& s) { return "Session(user=" + user_repr(s.user) + ")"; });

  py::class_<SessionInfo>(m, "SessionInfo", "One of your sessions (see Client.sessions()).")
      .def_readonly("id", &SessionInfo::id)
      .def_readonly("client_name", &SessionInfo::client_name)
      .def_readonly("last_address", &SessionInfo::last_address)
      .def_readonly("created_ms", &SessionInfo::created_ms)
      .def_readonly("last_seen_ms", &SessionInfo::last_seen_ms)
      .def_readonly("current", &SessionInfo::current)
      .def("__repr__", [](const SessionInfo& s) {
        return "SessionInfo(id=" + quoted(s.id) + ", client_name=" + quoted(s.client_name) +
               ", current=" + (s.current ? "True" : "False") + ")";
      });

  py::class_<Friend>(m, "Friend", "A friend and whether they are online.")
      .def_readonly("id", &Friend::id, "The friend's user id.")
      .def_readonly("nick", &Friend::nick, "The friend's nick.")
      .def_readonly("online", &Friend::online, "Whether they are connected now.")
      .def_readonly("unread", &Friend::unread, "Unread messages from them (since your read marker).")
      .def("__repr__", [](const Friend& f) {
        return "Friend(id=" + num(f.id) + ", nick=" + quoted(f.nick) + ", online=" + (f.online ? "True" : "False") +
               ", unread=" + num(f.unread) + ")";
      });

  py::class_<PendingFriendRequest>(m, "FriendRequest", "A pending friend request (either direction).")
      .def_readonly("user", &PendingFriendRequest::user, "The other user.")
      .def_property_readonly("id", [](const PendingFriendRequest& r) { return r.user.id; }, "The other user's id.")
      .def_property_readonly("nick", [](const PendingFriendRequest& r) { return r.user.nick; }, "The other user's nick.")
      .def_readonly("time_ms", &PendingFriendRequest::time_ms, "When it was sent, Unix ms.")
      .def_property_readonly("time", [](const PendingFriendRequest& r) { return to_datetime(r.time_ms); }, "When it was sent (aware UTC datetime).")
      .def("__repr__", [](const PendingFriendRequest& r) {
        return "FriendRequest(id=" + num(r.user.id) + ", nick=" + quoted(r.user.nick) + ")";
      });

  py::class_<FriendRequests>(m, "FriendRequests", "Pending requests: incoming (to you) and outgoing (yours).")
      .def_readonly("incoming", &FriendRequests::incoming, "Requests to you, oldest first.")
      .def_readonly("outgoing", &FriendRequests::outgoing, "Your requests, oldest first.")
      .def("__repr__", [](const FriendRequests& r) {
        return "FriendRequests(incoming=" + py::repr(py::cast(r.incoming)).cast<std::string>() +
               ", outgoing=" + py::repr(py::cast(r.outgoing)).cast<std::string>() + ")";
      });

  py::class_<AddFriendResult>(m, "AddFriendResult",
                              "Outcome of add_friend: state is 'requested', 'friends' or 'already_friends'.")
      .def_property_readonly("state", [](const AddFriendResult& r) { return state_name(r.state); }, "'requested', 'friends' or 'already_friends'.")
      .def_readonly("user", &AddFriendResult::user, "The other user.")
      .def("__repr__", [](const AddFriendResult& r) {
        return "AddFriendResult(state='" + state_name(r.state) + "', user=" + user_repr(r.user) + ")";
      });

  py::class_<RoomRef>(m, "RoomRef", "A room named by a message, file or room event: id and name.")
      .def_readonly("id", &RoomRef::id, "The room id (1000000 and up).")
      .def_readonly("name", &RoomRef::name, "The room's name.")
      .def("__repr__", &room_ref_repr);

  py::class_<Room>(m, "Room",
                   "A room: role is yours ('member', 'admin' or 'owner'; for an invitation the role on joining).")
      .def_readonly("id", &Room::id, "The room id (1000000 and up).")
      .def_readonly("name", &Room::name, "The room's name.")
      .def_property_readonly("role", role_of(&Room::role), "Your role: 'member', 'admin' or 'owner'.")
      .def_readonly("members", &Room::members, "How many members it has.")
      .def_readonly("unread", &Room::unread, "Unread messages in the room.")
      .def_readonly("owner", &Room::owner, "The owner's user id.")
      .def_readonly("created_ms", &Room::created_ms, "When it was created, Unix ms.")
      .def_property_readonly("created", [](const Room& r) { return to_datetime(r.created_ms); }, "When it was created (aware UTC datetime).")
      .def_property_readonly("invited_by", [](const Room& r) { return user_or_none(r.invited_by); }, "Who invited you (only in RoomList.invites), else None.")
      .def("__repr__", [](const Room& r) {
        return "Room(id=" + num(r.id) + ", name=" + quoted(r.name) + ", role='" + to_string(r.role) +
               "', members=" + num(r.members) + ")";
      });

  py::class_<RoomList>(m, "RoomList", "Your rooms (by name) and the invitations you have not answered.")
      .def_readonly("rooms", &RoomList::rooms, "Your rooms, by name then id.")
      .def_readonly("invites", &RoomList::invites, "Invitations you have not answered.")
      .def("__repr__", [](const RoomList& l) {
        return "RoomList(rooms=" + py::repr(py::cast(l.rooms)).cast<std::string>() +
               ", invites=" + py::repr(py::cast(l.invites)).cast<std::string>() + ")";
      });

  py::class_<RoomMember>(m, "RoomMember", "A member of a room: id, nick, role, online, when they joined.")
      .def_readonly("id", &RoomMember::id, "The member's user id.")
      .def_readonly("nick", &RoomMember::nick, "The member's nick.")
      .def_property_readonly("role", role_of(&RoomMember::role), "'member', 'admin' or 'owner'.")
      .def_readonly("online", &RoomMember::online, "Whether they are connected now.")
      .def_readonly("joined_ms", &RoomMember::joined_ms, "When they joined, Unix ms.")
      .def_property_readonly("joined", [](const RoomMember& r) { return to_datetime(r.joined_ms); }, "When they joined (aware UTC datetime).")
      .def("__repr__", [](const RoomMember& r) {
        return "RoomMember(id=" + num(r.id) + ", nick=" + quoted(r.nick) + ", role='" + to_string(r.role) +
               "', online=" + (r.online ? "True" : "False") + ")";
      });

  py::class_<RoomEvent>(m, "RoomEvent",
                        "What happened in a room: kind is 'invited', 'joined', 'left', 'removed', "
                        "'role_changed', 'renamed', 'deleted', 'declined' or 'unknown'. actor did it to "
                        "subject; role is subject's new role for 'role_changed'.")
      .def_readonly("kind", &RoomEvent::kind, "'invited', 'joined', 'left', 'removed', 'role_changed', 'renamed', 'deleted', 'declined' or 'unknown'.")
      .def_readonly("room", &RoomEvent::room, "The room (its new name for 'renamed').")
      .def_property_readonly("actor", [](const RoomEvent& e) { return user_or_none(e.actor); }, "Who did it, or None.")
      .def_property_readonly("subject", [](const RoomEvent& e) { return user_or_none(e.subject); }, "Whom it was done to, or None.")
      .def_property_readonly("role", role_of(&RoomEvent::role), "The subject's new role ('role_changed').")
      .def("__repr__", &room_event_repr);

  py::class_<Message>(m, "Message", "A stored message. `text` is raw UTF-8 (may hold newlines).")
      .def_readonly("id", &Message::id, "The message id.")
      .def_readonly("sender", &Message::from, "The sender's user id.")
      .def_readonly("sender_nick", &Message::from_nick, "The sender's nick.")
      .def_readonly("to", &Message::to, "The recipient's user id; 0 for a room message.")
      .def_readonly("to_nick", &Message::to_nick, "The recipient's nick (1:1), else an empty string.")
      .def_readonly("text", &Message::text, "The text (UTF-8, may hold newlines).")
      .def_readonly("time_ms", &Message::time_ms, "When the server stored it, Unix ms.")
      .def_property_readonly("time", [](const Message& msg) { return to_datetime(msg.time_ms); }, "When the server stored it (aware UTC datetime).")
      .def_readonly("room", &Message::room, "The room of a room message, else None.")
      .def_readonly("mentions", &Message::mentions, "User ids named as @ID in the text, in order of first mention.")
      .def("__repr__", &message_repr);

  py::class_<SendResult>(m, "SendResult", "Outcome of a send: message id, time, duplicate flag.")
      .def_readonly("id", &SendResult::id, "The message id.")
      .def_readonly("time_ms", &SendResult::time_ms, "When the server stored it, Unix ms.")
      .def_readonly("duplicate", &SendResult::duplicate, "True when this client id was sent before (the original message's id is returned).")
      .def("__repr__", [](const SendResult& r) {
        return "SendResult(id=" + num(r.id) + ", duplicate=" + (r.duplicate ? "True" : "False") + ")";
      });

  py::class_<FilePage>(m, "FilePage", "Files oldest first; `more` when older ones exist.")
      .def_readonly("files", &FilePage::files, "Files, oldest first.")
      .def_readonly("more", &FilePage::more, "Older files exist: ask again with before_id=files[0].id.");
  py::class_<HistoryPage>(m, "HistoryPage", "Messages oldest first; `more` when older ones exist.")
      .def_readonly("messages", &HistoryPage::messages, "Messages, oldest first.")
      .def_readonly("more", &HistoryPage::more, "Older messages exist.");

  py::class_<FileInfo>(m, "FileInfo", "A file sent to a friend or (room set) to a room. `name` is display text, not a path.")
      .def_readonly("id", &FileInfo::id, "The file id.")
      .def_readonly("name", &FileInfo::name, "Display name chosen by the sender (never a safe path).")
      .def_readonly("size", &FileInfo::size, "Size in bytes.")
      .def_readonly("sha256", &FileInfo::sha256, "SHA-256 of the content, hex.")
      .def_readonly("sender", &FileInfo::sender, "The sender's user id.")
      .def_readonly("recipient", &FileInfo::recipient, "The recipient's user id; 0 for a room file.")
      .def_readonly("sender_nick", &FileInfo::sender_nick, "The sender's nick.")
      .def_readonly("state", &FileInfo::state, "'available' or 'uploading'.")
      .def_readonly("time_ms", &FileInfo::time_ms, "When it was sent, Unix ms.")
      .def_property_readonly("time", [](const FileInfo& f) { return to_datetime(f.time_ms); }, "When it was sent (aware UTC datetime).")
      .def_readonly("room", &FileInfo::room, "The room of a room file, else None.")
      .def("__repr__", &file_repr);

  py::class_<UploadResult>(m, "UploadResult", "Outcome of an upload: the published file and resume counters.")
      .def_readonly("file", &UploadResult::file, "The published file.")
      .def_readonly("resumed_from", &UploadResult::resumed_from, "Bytes the server already had (a resumed upload).")
      .def_readonly("bytes_sent", &UploadResult::bytes_sent, "Bytes sent by this call.")
      .def("__repr__", [](const UploadResult& r) {
        return "UploadResult(file=" + file_repr(r.file) + ", resumed_from=" + num(r.resumed_from) +
               ", bytes_sent=" + num(r.bytes_sent) + ")";
      });

  py::class_<DownloadResult>(m, "DownloadResult", "Outcome of a download: the file, the verified local path.")
      .def_readonly("file", &DownloadResult::file, "The file's record.")
      .def_readonly("path", &DownloadResult::path, "Where the verified file is.")
      .def_readonly("resumed_from", &DownloadResult::resumed_from, "Bytes already on disk (a resumed download).")
      .def_readonly("bytes_received", &DownloadResult::bytes_received, "Bytes received by this call.")
      .def("__repr__", [](const DownloadResult& r) {
        return "DownloadResult(path=" + quoted(r.path) + ", file=" + file_repr(r.file) +
               ", resumed_from=" + num(r.resumed_from) + ")";
      });

  py::class_<Event>(m, "Event",
                    "Something that happened: type is 'message', 'sent' (a message you sent, from any of your "
                    "devices), 'friend_request', 'file', 'room', 'presence', "
                    "'disconnected' or 'unknown'. `sender`, `text`, `file`, `room`, `room_event` are None "
                    "where they do not apply; `mentions` is empty then.")
      .def_readonly("type", &Event::type, "'message', 'friend_request', 'file', 'room', 'presence', 'disconnected' or 'unknown'.")
      .def_readonly("seq", &Event::seq, "Inbox sequence number; 0 outside the inbox (presence, disconnected).")
      .def_readonly("time_ms", &Event::time_ms, "When it happened, Unix ms.")
      .def_property_readonly("time", [](const Event& e) { return to_datetime(e.time_ms); }, "When it happened (aware UTC datetime).")
      .def_readonly("message", &Event::message, "The message (message events), else None.")
      .def_readonly("file", &Event::file, "The file (file events), else None.")
      .def_readonly("user", &Event::user, "The other user (presence: whose; friend_request: who).")
      .def_property_readonly("sender", &event_sender, "Who sent the message, file or friend request, else None.")
      .def_property_readonly("text", [](const Event& e) -> py::object {
        if (e.message) return py::str(e.message->text);
        return py::none();
      }, "The message's text (message events), else None.")
      .def_property_readonly("room", &event_room, "The room of a room message, room file or room event, else None.")
      .def_property_readonly("mentions", [](const Event& e) {
        return e.message ? e.message->mentions : std::vector<UserId>{};
      }, "User ids a room message names as @ID; [] otherwise.")
      .def_readonly("room_event", &Event::room_event, "What happened (room events), else None.")
      .def_readonly("online", &Event::online, "Presence: whether the user came online.")
      .def_readonly("snapshot", &Event::snapshot, "Presence: True for the snapshot sent when events start (who is online then).")
      .def_readonly("accepted", &Event::accepted, "friend_request: True when they accepted yours.")
      .def("__repr__", &event_repr);

  py::class_<InboxPage>(m, "InboxPage", "Pending sequenced events, oldest first; `more` when more follow.")
      .def_readonly("events", &InboxPage::events, "Sequenced events, oldest first.")
      .def_readonly("more", &InboxPage::more, "More follow after events[-1].seq.");
}

}  // namespace occhat::python

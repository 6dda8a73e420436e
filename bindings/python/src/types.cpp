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

// The other user of an event that has one ("message", "file", "friend_request").
py::object event_sender(const Event& e) {
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
      .def_readonly("id", &UserInfo::id)
      .def_readonly("nick", &UserInfo::nick)
      .def_readonly("email", &UserInfo::email)
      .def_readonly("discoverable", &UserInfo::discoverable)
      .def("__repr__", &user_repr);

  py::class_<Session>(m, "Session", "A login: the user and the secret resume token.")
      .def_readonly("user", &Session::user)
      .def_readonly("token", &Session::token)
      .def_readonly("revoked_sessions", &Session::revoked_sessions)
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
      .def_readonly("id", &Friend::id)
      .def_readonly("nick", &Friend::nick)
      .def_readonly("online", &Friend::online)
      .def("__repr__", [](const Friend& f) {
        return "Friend(id=" + num(f.id) + ", nick=" + quoted(f.nick) + ", online=" + (f.online ? "True" : "False") +
               ")";
      });

  py::class_<PendingFriendRequest>(m, "FriendRequest", "A pending friend request (either direction).")
      .def_readonly("user", &PendingFriendRequest::user)
      .def_property_readonly("id", [](const PendingFriendRequest& r) { return r.user.id; })
      .def_property_readonly("nick", [](const PendingFriendRequest& r) { return r.user.nick; })
      .def_readonly("time_ms", &PendingFriendRequest::time_ms)
      .def_property_readonly("time", [](const PendingFriendRequest& r) { return to_datetime(r.time_ms); })
      .def("__repr__", [](const PendingFriendRequest& r) {
        return "FriendRequest(id=" + num(r.user.id) + ", nick=" + quoted(r.user.nick) + ")";
      });

  py::class_<FriendRequests>(m, "FriendRequests", "Pending requests: incoming (to you) and outgoing (yours).")
      .def_readonly("incoming", &FriendRequests::incoming)
      .def_readonly("outgoing", &FriendRequests::outgoing)
      .def("__repr__", [](const FriendRequests& r) {
        return "FriendRequests(incoming=" + py::repr(py::cast(r.incoming)).cast<std::string>() +
               ", outgoing=" + py::repr(py::cast(r.outgoing)).cast<std::string>() + ")";
      });

  py::class_<AddFriendResult>(m, "AddFriendResult",
                              "Outcome of add_friend: state is 'requested', 'friends' or 'already_friends'.")
      .def_property_readonly("state", [](const AddFriendResult& r) { return state_name(r.state); })
      .def_readonly("user", &AddFriendResult::user)
      .def("__repr__", [](const AddFriendResult& r) {
        return "AddFriendResult(state='" + state_name(r.state) + "', user=" + user_repr(r.user) + ")";
      });

  py::class_<RoomRef>(m, "RoomRef", "A room named by a message, file or room event: id and name.")
      .def_readonly("id", &RoomRef::id)
      .def_readonly("name", &RoomRef::name)
      .def("__repr__", &room_ref_repr);

  py::class_<Room>(m, "Room",
                   "A room: role is yours ('member', 'admin' or 'owner'; for an invitation the role on joining).")
      .def_readonly("id", &Room::id)
      .def_readonly("name", &Room::name)
      .def_property_readonly("role", role_of(&Room::role))
      .def_readonly("members", &Room::members)
      .def_readonly("owner", &Room::owner)
      .def_readonly("created_ms", &Room::created_ms)
      .def_property_readonly("created", [](const Room& r) { return to_datetime(r.created_ms); })
      .def_property_readonly("invited_by", [](const Room& r) { return user_or_none(r.invited_by); })
      .def("__repr__", [](const Room& r) {
        return "Room(id=" + num(r.id) + ", name=" + quoted(r.name) + ", role='" + to_string(r.role) +
               "', members=" + num(r.members) + ")";
      });

  py::class_<RoomList>(m, "RoomList", "Your rooms (by name) and the invitations you have not answered.")
      .def_readonly("rooms", &RoomList::rooms)
      .def_readonly("invites", &RoomList::invites)
      .def("__repr__", [](const RoomList& l) {
        return "RoomList(rooms=" + py::repr(py::cast(l.rooms)).cast<std::string>() +
               ", invites=" + py::repr(py::cast(l.invites)).cast<std::string>() + ")";
      });

  py::class_<RoomMember>(m, "RoomMember", "A member of a room: id, nick, role, online, when they joined.")
      .def_readonly("id", &RoomMember::id)
      .def_readonly("nick", &RoomMember::nick)
      .def_property_readonly("role", role_of(&RoomMember::role))
      .def_readonly("online", &RoomMember::online)
      .def_readonly("joined_ms", &RoomMember::joined_ms)
      .def_property_readonly("joined", [](const RoomMember& r) { return to_datetime(r.joined_ms); })
      .def("__repr__", [](const RoomMember& r) {
        return "RoomMember(id=" + num(r.id) + ", nick=" + quoted(r.nick) + ", role='" + to_string(r.role) +
               "', online=" + (r.online ? "True" : "False") + ")";
      });

  py::class_<RoomEvent>(m, "RoomEvent",
                        "What happened in a room: kind is 'invited', 'joined', 'left', 'removed', "
                        "'role_changed', 'renamed', 'deleted', 'declined' or 'unknown'. actor did it to "
                        "subject; role is subject's new role for 'role_changed'.")
      .def_readonly("kind", &RoomEvent::kind)
      .def_readonly("room", &RoomEvent::room)
      .def_property_readonly("actor", [](const RoomEvent& e) { return user_or_none(e.actor); })
      .def_property_readonly("subject", [](const RoomEvent& e) { return user_or_none(e.subject); })
      .def_property_readonly("role", role_of(&RoomEvent::role))
      .def("__repr__", &room_event_repr);

  py::class_<Message>(m, "Message", "A stored message. `text` is raw UTF-8 (may hold newlines).")
      .def_readonly("id", &Message::id)
      .def_readonly("sender", &Message::from)
      .def_readonly("sender_nick", &Message::from_nick)
      .def_readonly("to", &Message::to)
      .def_readonly("text", &Message::text)
      .def_readonly("time_ms", &Message::time_ms)
      .def_property_readonly("time", [](const Message& msg) { return to_datetime(msg.time_ms); })
      .def_readonly("room", &Message::room)
      .def_readonly("mentions", &Message::mentions)
      .def("__repr__", &message_repr);

  py::class_<SendResult>(m, "SendResult", "Outcome of a send: message id, time, duplicate flag.")
      .def_readonly("id", &SendResult::id)
      .def_readonly("time_ms", &SendResult::time_ms)
      .def_readonly("duplicate", &SendResult::duplicate)
      .def("__repr__", [](const SendResult& r) {
        return "SendResult(id=" + num(r.id) + ", duplicate=" + (r.duplicate ? "True" : "False") + ")";
      });

  py::class_<FilePage>(m, "FilePage", "Files oldest first; `more` when older ones exist.")
      .def_readonly("files", &FilePage::files)
      .def_readonly("more", &FilePage::more);
  py::class_<HistoryPage>(m, "HistoryPage", "Messages oldest first; `more` when older ones exist.")
      .def_readonly("messages", &HistoryPage::messages)
      .def_readonly("more", &HistoryPage::more);

  py::class_<FileInfo>(m, "FileInfo", "A file sent to a friend or (room set) to a room. `name` is display text, not a path.")
      .def_readonly("id", &FileInfo::id)
      .def_readonly("name", &FileInfo::name)
      .def_readonly("size", &FileInfo::size)
      .def_readonly("sha256", &FileInfo::sha256)
      .def_readonly("sender", &FileInfo::sender)
      .def_readonly("recipient", &FileInfo::recipient)
      .def_readonly("sender_nick", &FileInfo::sender_nick)
      .def_readonly("state", &FileInfo::state)
      .def_readonly("time_ms", &FileInfo::time_ms)
      .def_property_readonly("time", [](const FileInfo& f) { return to_datetime(f.time_ms); })
      .def_readonly("room", &FileInfo::room)
      .def("__repr__", &file_repr);

  py::class_<UploadResult>(m, "UploadResult", "Outcome of an upload: the published file and resume counters.")
      .def_readonly("file", &UploadResult::file)
      .def_readonly("resumed_from", &UploadResult::resumed_from)
      .def_readonly("bytes_sent", &UploadResult::bytes_sent)
      .def("__repr__", [](const UploadResult& r) {
        return "UploadResult(file=" + file_repr(r.file) + ", resumed_from=" + num(r.resumed_from) +
               ", bytes_sent=" + num(r.bytes_sent) + ")";
      });

  py::class_<DownloadResult>(m, "DownloadResult", "Outcome of a download: the file, the verified local path.")
      .def_readonly("file", &DownloadResult::file)
      .def_readonly("path", &DownloadResult::path)
      .def_readonly("resumed_from", &DownloadResult::resumed_from)
      .def_readonly("bytes_received", &DownloadResult::bytes_received)
      .def("__repr__", [](const DownloadResult& r) {
        return "DownloadResult(path=" + quoted(r.path) + ", file=" + file_repr(r.file) +
               ", resumed_from=" + num(r.resumed_from) + ")";
      });

  py::class_<Event>(m, "Event",
                    "Something that happened: type is 'message', 'friend_request', 'file', 'room', 'presence', "
                    "'disconnected' or 'unknown'. `sender`, `text`, `file`, `room`, `room_event` are None "
                    "where they do not apply; `mentions` is empty then.")
      .def_readonly("type", &Event::type)
      .def_readonly("seq", &Event::seq)
      .def_readonly("time_ms", &Event::time_ms)
      .def_property_readonly("time", [](const Event& e) { return to_datetime(e.time_ms); })
      .def_readonly("message", &Event::message)
      .def_readonly("file", &Event::file)
      .def_readonly("user", &Event::user)
      .def_property_readonly("sender", &event_sender)
      .def_property_readonly("text", [](const Event& e) -> py::object {
        if (e.message) return py::str(e.message->text);
        return py::none();
      })
      .def_property_readonly("room", &event_room)
      .def_property_readonly("mentions", [](const Event& e) {
        return e.message ? e.message->mentions : std::vector<UserId>{};
      })
      .def_readonly("room_event", &Event::room_event)
      .def_readonly("online", &Event::online)
      .def_readonly("accepted", &Event::accepted)
      .def("__repr__", &event_repr);

  py::class_<InboxPage>(m, "InboxPage", "Pending sequenced events, oldest first; `more` when more follow.")
      .def_readonly("events", &InboxPage::events)
      .def_readonly("more", &InboxPage::more);
}

}  // namespace occhat::python

#include "convert.hpp"

#include "occhat/proto/sha256.hpp"

namespace occhat::detail {

std::string body_name(const wire::Envelope& envelope) {
  const auto* field = wire::Envelope::descriptor()->FindFieldByNumber(static_cast<int>(envelope.body_case()));
  return field ? field->name() : "empty frame";
}

Error from_wire(const wire::Error& error) {
  const ErrorCode code = error_code_from_wire(error.code());
  std::string message = error.message().empty() ? std::string(error_code_name(code)) : error.message();
  return Error(code, message, std::chrono::milliseconds(error.retry_after_ms()));
}

UserInfo from_wire(const wire::UserInfo& user) { return UserInfo{user.id(), user.nick(), user.email(), user.discoverable()}; }

Friend from_wire(const wire::Friend& f) { return Friend{f.id(), f.nick(), f.online(), f.unread()}; }

std::vector<Friend> from_wire(const wire::FriendList& list) {
  std::vector<Friend> friends;
  friends.reserve(static_cast<std::size_t>(list.friends_size()));
  for (const auto& f : list.friends()) friends.push_back(from_wire(f));
  return friends;
}

PendingFriendRequest from_wire(const wire::PendingRequest& request) {
  return PendingFriendRequest{from_wire(request.user()), request.time_ms()};
}

FriendRequests from_wire(const wire::FriendRequestList& list) {
  FriendRequests requests;
  for (const auto& r : list.incoming()) requests.incoming.push_back(from_wire(r));
  for (const auto& r : list.outgoing()) requests.outgoing.push_back(from_wire(r));
  return requests;
}

AddFriendResult from_wire(const wire::AddFriendResult& result) {
  AddFriendResult out;
  out.user = from_wire(result.user());
  switch (result.state()) {
    case wire::AddFriendResult::NOW_FRIENDS:
      out.state = AddFriendState::now_friends;
      break;
    case wire::AddFriendResult::ALREADY_FRIENDS:
      out.state = AddFriendState::already_friends;
      break;
    default:
      out.state = AddFriendState::requested;
      break;
  }
  return out;
}

RoomRole from_wire(wire::RoomRole role) {
  switch (role) {
    case wire::ROOM_OWNER:
      return RoomRole::owner;
    case wire::ROOM_ADMIN:
      return RoomRole::admin;
    default:
      return RoomRole::member;  // ROOM_MEMBER, and a role a newer server added: no extra rights
  }
}

RoomRef from_wire(const wire::RoomRef& room) { return RoomRef{room.id(), room.name()}; }

Room from_wire(const wire::RoomInfo& room) {
  Room out;
  out.id = room.id();
  out.name = room.name();
  out.role = from_wire(room.role());
  out.members = room.members();
  out.owner = room.owner();
  out.created_ms = room.created_ms();
  if (room.has_invited_by()) out.invited_by = from_wire(room.invited_by());
  out.unread = room.unread();
  return out;
}

RoomList from_wire(const wire::RoomList& list) {
  RoomList out;
  for (const auto& r : list.rooms()) out.rooms.push_back(from_wire(r));
  for (const auto& r : list.invites()) out.invites.push_back(from_wire(r));
  return out;
}

RoomMember from_wire(const wire::RoomMember& member) {
  return RoomMember{member.id(), member.nick(), from_wire(member.role()), member.online(), member.joined_ms()};
}

namespace {

const char* room_event_kind(wire::RoomEvent::Kind kind) {
  switch (kind) {
    case wire::RoomEvent::INVITED:
      return "invited";
    case wire::RoomEvent::JOINED:
      return "joined";
    case wire::RoomEvent::LEFT:
      return "left";
    case wire::RoomEvent::REMOVED:
      return "removed";
    case wire::RoomEvent::ROLE_CHANGED:
      return "role_changed";
    case wire::RoomEvent::RENAMED:
      return "renamed";
    case wire::RoomEvent::DELETED:
      return "deleted";
    case wire::RoomEvent::DECLINED:
      return "declined";
    default:
      return "unknown";
  }
}

}  // namespace

RoomEvent from_wire(const wire::RoomEvent& event) {
  RoomEvent out;
  out.kind = room_event_kind(event.kind());
  out.room = from_wire(event.room());
  out.actor = from_wire(event.actor());
  out.subject = from_wire(event.subject());
  out.role = from_wire(event.role());
  return out;
}

std::vector<UserInfo> from_wire(const wire::BlockedList& list) {
  std::vector<UserInfo> users;
  users.reserve(static_cast<std::size_t>(list.users_size()));
  for (const auto& u : list.users()) users.push_back(from_wire(u));
  return users;
}

Message from_wire(const wire::ChatMessage& message) {
  Message out;
  out.id = message.id();
  out.from = message.from();
  out.to = message.to();
  out.from_nick = message.from_nick();
  out.to_nick = message.to_nick();
  out.text = message.text();
  out.time_ms = message.time_ms();
  if (message.has_room()) out.room = from_wire(message.room());
  out.mentions.assign(message.mentions().begin(), message.mentions().end());
  return out;
}

SendResult from_wire(const wire::MessageSent& sent) {
  return SendResult{sent.message_id(), sent.time_ms(), sent.duplicate()};
}

HistoryPage from_wire(const wire::MessageList& list) {
  HistoryPage page;
  page.messages.reserve(static_cast<std::size_t>(list.messages_size()));
  for (const auto& m : list.messages()) page.messages.push_back(from_wire(m));
  page.more = list.more();
  return page;
}

FileInfo from_wire(const wire::FileInfo& file) {
  FileInfo out;
  out.id = file.id();
  out.name = file.name();
  out.size = file.size();
  out.sha256 = proto::to_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(file.sha256().data()), file.sha256().size()));
  out.sender = file.sender();
  out.recipient = file.recipient();
  out.sender_nick = file.sender_nick();
  out.time_ms = file.time_ms();
  out.state = file.state() == wire::FileInfo::UPLOADING ? "uploading" : "available";
  if (file.has_room()) out.room = from_wire(file.room());
  return out;
}

std::vector<FileInfo> from_wire(const wire::FileList& list) {
  std::vector<FileInfo> files;
  files.reserve(static_cast<std::size_t>(list.files_size()));
  for (const auto& f : list.files()) files.push_back(from_wire(f));
  return files;
}

Event from_wire(const wire::InboxItem& item) {
  Event event;
  event.seq = item.seq();
  event.time_ms = item.time_ms();
  switch (item.item_case()) {
    case wire::InboxItem::kMessage:
      event.type = "message";
      event.message = from_wire(item.message());
      // The sender, also here so that every sequenced event names its other user the same way.
      event.user = UserInfo{item.message().from(), item.message().from_nick(), {}, false};
      break;
    case wire::InboxItem::kSent:
      event.type = "sent";
      event.message = from_wire(item.sent());
      // The other party of a 1:1 message (its recipient); in a room, the sender (you), like "message".
      event.user = item.sent().has_room() ? UserInfo{item.sent().from(), item.sent().from_nick(), {}}
                                          : UserInfo{item.sent().to(), item.sent().to_nick(), {}};
      break;
    case wire::InboxItem::kFriendRequest:
      event.type = "friend_request";
      event.user = from_wire(item.friend_request().from());
      event.accepted = item.friend_request().accepted();
      break;
    case wire::InboxItem::kFile:
      event.type = "file";
      event.file = from_wire(item.file().file());
      event.user = UserInfo{item.file().file().sender(), item.file().file().sender_nick(), {}, false};
      break;
    case wire::InboxItem::kRoomEvent:
      event.type = "room";
      event.room_event = from_wire(item.room_event());
      // The one who acted, like the sender of a message.
      event.user = event.room_event->actor;
      break;
    default:
      event.type = "unknown";
      break;
  }
  return event;
}

InboxPage from_wire(const wire::InboxItems& items) {
  InboxPage page;
  page.events.reserve(static_cast<std::size_t>(items.items_size()));
  for (const auto& item : items.items()) page.events.push_back(from_wire(item));
  page.more = items.more();
  return page;
}

std::vector<Event> events_from_push(const wire::Envelope& push, std::int64_t now_ms) {
  std::vector<Event> events;
  switch (push.body_case()) {
    case wire::Envelope::kInboxItems:
      events.reserve(static_cast<std::size_t>(push.inbox_items().items_size()));
      for (const auto& item : push.inbox_items().items()) events.push_back(from_wire(item));
      break;
    case wire::Envelope::kPresenceEvent: {
      const auto& p = push.presence_event();
      Event event;
      event.type = "presence";
      event.time_ms = now_ms;
      event.user = UserInfo{p.user_id(), p.nick(), {}, false};
      event.online = p.online();
      event.snapshot = p.snapshot();
      events.push_back(std::move(event));
      break;
    }
    default: {
      Event event;
      event.type = body_name(push);
      event.time_ms = now_ms;
      events.push_back(std::move(event));
      break;
    }
  }
  return events;
}

}  // namespace occhat::detail

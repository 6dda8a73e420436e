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

UserInfo from_wire(const wire::UserInfo& user) { return UserInfo{user.id(), user.nick(), user.email()}; }

Friend from_wire(const wire::Friend& f) { return Friend{f.id(), f.nick(), f.online()}; }

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

Message from_wire(const wire::ChatMessage& message) {
  Message out;
  out.id = message.id();
  out.from = message.from();
  out.to = message.to();
  out.from_nick = message.from_nick();
  out.text = message.text();
  out.time_ms = message.time_ms();
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
      event.user = UserInfo{item.message().from(), item.message().from_nick(), {}};
      break;
    case wire::InboxItem::kFriendRequest:
      event.type = "friend_request";
      event.user = from_wire(item.friend_request().from());
      event.accepted = item.friend_request().accepted();
      break;
    case wire::InboxItem::kFile:
      event.type = "file";
      event.file = from_wire(item.file().file());
      event.user = UserInfo{item.file().file().sender(), item.file().file().sender_nick(), {}};
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
      event.user = UserInfo{p.user_id(), p.nick(), {}};
      event.online = p.online();
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

#pragma once
// Wire messages (protobuf) -> the SDK's public structs. Kept apart from client.cpp so that the
// API file reads as the API, and so that every front end sees one mapping of each field.

#include <cstdint>
#include <string>
#include <vector>

#include "occhat/client.hpp"
#include "occhat/proto/occhat.pb.h"

namespace occhat::detail {

// The name of the Envelope field that is set ("login_ok", ...), for error messages.
std::string body_name(const wire::Envelope& envelope);

Error from_wire(const wire::Error& error);
UserInfo from_wire(const wire::UserInfo& user);
Friend from_wire(const wire::Friend& f);
std::vector<Friend> from_wire(const wire::FriendList& list);
PendingFriendRequest from_wire(const wire::PendingRequest& request);
FriendRequests from_wire(const wire::FriendRequestList& list);
AddFriendResult from_wire(const wire::AddFriendResult& result);
RoomRole from_wire(wire::RoomRole role);
RoomRef from_wire(const wire::RoomRef& room);
Room from_wire(const wire::RoomInfo& room);
RoomList from_wire(const wire::RoomList& list);
RoomMember from_wire(const wire::RoomMember& member);
RoomEvent from_wire(const wire::RoomEvent& event);
std::vector<UserInfo> from_wire(const wire::BlockedList& list);
Message from_wire(const wire::ChatMessage& message);
SendResult from_wire(const wire::MessageSent& sent);
HistoryPage from_wire(const wire::MessageList& list);
FileInfo from_wire(const wire::FileInfo& file);
std::vector<FileInfo> from_wire(const wire::FileList& list);
// A sequenced event: "message", "friend_request", "file", "room", or "unknown" for an item kind this SDK
// version does not know (it still carries its seq, so the application can acknowledge past it).
Event from_wire(const wire::InboxItem& item);
InboxPage from_wire(const wire::InboxItems& items);

// The events one server push becomes: one per inbox item, one per presence change. `now_ms`
// (local Unix ms) dates events the server does not date (presence). A push type this SDK does
// not know becomes one Event whose type is its envelope field name.
std::vector<Event> events_from_push(const wire::Envelope& push, std::int64_t now_ms);

}  // namespace occhat::detail

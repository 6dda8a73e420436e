// Client's room calls: create, every membership and settings change, the lists. Room messages,
// history and files live next to their friend counterparts (client.cpp, files.cpp, upload.cpp).

#include "client_impl.hpp"
#include "convert.hpp"
#include "occhat/proto/requests.hpp"

namespace occhat {
namespace {

using Change = wire::RoomChangeRequest;

}  // namespace

const char* to_string(RoomRole role) noexcept {
  switch (role) {
    case RoomRole::owner:
      return "owner";
    case RoomRole::admin:
      return "admin";
    case RoomRole::member:
      return "member";
  }
  return "member";
}

Room Client::create_room(const std::string& name) {
  return detail::from_wire(impl_->call(proto::requests::create_room(name), wire::Envelope::kRoomInfo).room_info());
}

void Client::invite_to_room(RoomId room, const std::vector<UserId>& users) {
  impl_->call(proto::requests::room_change(room, Change::INVITE, users), wire::Envelope::kRoomInfo);
}

Room Client::join_room(RoomId room) {
  const auto answer = impl_->call(proto::requests::room_change(room, Change::JOIN), wire::Envelope::kRoomInfo);
  return detail::from_wire(answer.room_info());
}

void Client::decline_room(RoomId room) {
  impl_->call(proto::requests::room_change(room, Change::DECLINE), wire::Envelope::kOk);
}

void Client::leave_room(RoomId room) {
  impl_->call(proto::requests::room_change(room, Change::LEAVE), wire::Envelope::kOk);
}

void Client::remove_from_room(RoomId room, UserId user) {
  impl_->call(proto::requests::room_change(room, Change::REMOVE, {user}), wire::Envelope::kRoomInfo);
}

void Client::set_room_admin(RoomId room, UserId user, bool admin) {
  const auto change = admin ? Change::MAKE_ADMIN : Change::UNMAKE_ADMIN;
  impl_->call(proto::requests::room_change(room, change, {user}), wire::Envelope::kRoomInfo);
}

void Client::transfer_room(RoomId room, UserId new_owner) {
  impl_->call(proto::requests::room_change(room, Change::TRANSFER_OWNERSHIP, {new_owner}), wire::Envelope::kRoomInfo);
}

void Client::rename_room(RoomId room, const std::string& name) {
  impl_->call(proto::requests::room_change(room, Change::RENAME, {}, name), wire::Envelope::kRoomInfo);
}

void Client::delete_room(RoomId room) {
  impl_->call(proto::requests::room_change(room, Change::DELETE), wire::Envelope::kOk);
}

RoomList Client::rooms() {
  return detail::from_wire(impl_->call(proto::requests::list_rooms(), wire::Envelope::kRoomList).room_list());
}

std::vector<RoomMember> Client::room_members(RoomId room) {
  std::vector<RoomMember> members;
  UserId after = 0;
  for (;;) {
    const auto answer =
        impl_->call(proto::requests::list_room_members(room, after), wire::Envelope::kRoomMemberList);
    const auto& page = answer.room_member_list();
    for (const auto& m : page.members()) members.push_back(detail::from_wire(m));
    // An empty page with `more` would ask for the same page forever.
    if (!page.more() || page.members().empty()) break;
    const UserId last = page.members(page.members_size() - 1).id();
    if (last <= after) {
      throw Error(ErrorCode::protocol_error, "server's member list of room " + std::to_string(room) +
                                                 " went back from id " + std::to_string(after));
    }
    after = last;
  }
  return members;
}

}  // namespace occhat

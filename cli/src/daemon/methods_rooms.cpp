// Rooms: rooms, room.create, room.invite, room.join, room.decline, room.leave, room.remove,
// room.admin, room.owner, room.rename, room.delete, room.members. Messages and files of a room go
// through send, history, upload, files with "room".

#include "daemon/jsonrpc.hpp"
#include "daemon/method_handlers.hpp"
#include "result_json.hpp"
#include "room_format.hpp"

namespace occhat::cli::daemon::handlers {
namespace {

// The methods that take only "room".
RoomId only_room(Call& call) {
  const RoomId room = call.params.room("room");
  call.params.finish();
  return room;
}

}  // namespace

Json rooms(Call& call) {
  call.params.finish();
  const RoomList list = call.client.rooms();
  Json out = Json::array();
  for (const Room& r : list.rooms) out.push_back(room_json(r, false));
  for (const Room& r : list.invites) out.push_back(room_json(r, true));
  return Json{{"rooms", std::move(out)}};
}

Json room_create(Call& call) {
  const std::string name = call.params.string("name");
  call.params.finish();
  return room_json(call.client.create_room(name), false);
}

Json room_invite(Call& call) {
  const RoomId room = call.params.room("room");
  const std::vector<UserId> users = call.params.users("users");
  call.params.finish();
  call.client.invite_to_room(room, users);
  return room_change_json(room, Json{{"invited", users}});
}

Json room_join(Call& call) { return room_json(call.client.join_room(only_room(call)), false); }

Json room_decline(Call& call) {
  const RoomId room = only_room(call);
  call.client.decline_room(room);
  return room_change_json(room);
}

Json room_leave(Call& call) {
  const RoomId room = only_room(call);
  call.client.leave_room(room);
  return room_change_json(room);
}

Json room_remove(Call& call) {
  const RoomId room = call.params.room("room");
  const UserId user = call.params.user("user");
  call.params.finish();
  call.client.remove_from_room(room, user);
  return room_change_json(room, Json{{"user", user}});
}

Json room_admin(Call& call) {
  const RoomId room = call.params.room("room");
  const UserId user = call.params.user("user");
  const bool off = call.params.flag("off");
  call.params.finish();
  call.client.set_room_admin(room, user, !off);
  return room_change_json(room, Json{{"user", user}, {"role", off ? "member" : "admin"}});
}

Json room_owner(Call& call) {
  const RoomId room = call.params.room("room");
  const UserId user = call.params.user("user");
  call.params.finish();
  call.client.transfer_room(room, user);
  return room_change_json(room, Json{{"user", user}, {"role", "owner"}});
}

Json room_rename(Call& call) {
  const RoomId room = call.params.room("room");
  const std::string name = call.params.string("name");
  call.params.finish();
  call.client.rename_room(room, name);
  return room_change_json(room, Json{{"name", name}});
}

Json room_delete(Call& call) {
  const RoomId room = only_room(call);
  call.client.delete_room(room);
  return room_change_json(room);
}

Json room_members(Call& call) {
  Json list = Json::array();
  for (const RoomMember& m : call.client.room_members(only_room(call))) list.push_back(member_json(m));
  return Json{{"members", std::move(list)}};
}

}  // namespace occhat::cli::daemon::handlers

#pragma once
// The JSON objects of the commands' results (`occhat ... --json`), in one place because two front
// ends print them: the one-shot commands (one object per line) and `occhat daemon` (JSON-RPC
// results). Events, messages, files and rooms have theirs in event_format.hpp / room_format.hpp.

#include <string>
#include <string_view>

#include "destination.hpp"
#include "occhat/client.hpp"
#include "output.hpp"

namespace occhat::cli {

// whoami: {"id","nick","email"}
Json whoami_json(const UserInfo& user);
// find: {"id","nick"} (+ "email", which the server sends only for your own id)
Json found_user_json(const UserInfo& user);
// blocked: {"id","nick"}
Json user_ref_json(const UserInfo& user);

// One of `occhat sessions` (and the daemon's "sessions").
Json session_json(const SessionInfo& session);
// friends: {"id","nick","online"}
Json friend_json(const Friend& f);
// requests: {"direction":"incoming"|"outgoing","id","nick","time"}
Json request_json(const PendingFriendRequest& r, std::string_view direction);

// add: "requested", "friends", "already_friends".
const char* add_friend_state_name(AddFriendState state);
// add: {"id","nick","state"}
Json add_friend_json(const AddFriendResult& result);
// remove: {"ok":true,"id"}
Json removed_friend_json(UserId id);
// block / unblock: {"ok":true,"id","blocked"}
Json block_json(UserId id, bool blocked);

// send: {"id","to"|"room","time","duplicate"}
Json send_result_json(const SendResult& sent, const Destination& to);
// upload: {"id","name","size","sha256","to"|"room","sent_bytes","resumed_from"}
Json upload_result_json(const UploadResult& result, const Destination& to);
// upload --cancel: {"cancelled","to"|"room"}
Json cancelled_upload_json(FileId cancelled, const Destination& to);
// download: {"id","name","path","size","sha256","received_bytes","resumed_from"}
Json download_result_json(const DownloadResult& result, const std::string& path);

// A room change (invite, decline, leave, remove, admin, owner, rename, delete):
// {"ok":true,"room":ID} plus `extra`'s keys.
Json room_change_json(RoomId room, const Json& extra = Json::object());

}  // namespace occhat::cli

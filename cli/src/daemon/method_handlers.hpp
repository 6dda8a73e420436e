#pragma once
// The handlers the method table (methods.cpp) lists, by file: one function per method.

#include "daemon/methods.hpp"

namespace occhat::cli::daemon::handlers {

// methods_session.cpp: the daemon itself and the event stream
Json hello(Call& call);
Json subscribe(Call& call);
Json unsubscribe(Call& call);
Json ack(Call& call);
Json inbox(Call& call);

// methods_users.cpp
Json whoami(Call& call);
Json find(Call& call);
Json friends(Call& call);
Json add(Call& call);
Json remove(Call& call);
Json requests(Call& call);
Json block(Call& call);
Json unblock(Call& call);
Json blocked(Call& call);

// methods_account.cpp: accounts people manage themselves, and read markers
Json passwd(Call& call);
Json nick(Call& call);
Json discoverable(Call& call);
Json find_nick(Call& call);
Json sessions(Call& call);
Json logout(Call& call);
Json delete_account(Call& call);
Json read(Call& call);

// methods_messages.cpp
Json send(Call& call);
Json history(Call& call);

// methods_files.cpp
Json upload(Call& call);
Json upload_cancel(Call& call);
Json download(Call& call);
Json files(Call& call);
Json file_info(Call& call);

// methods_rooms.cpp
Json rooms(Call& call);
Json room_create(Call& call);
Json room_invite(Call& call);
Json room_join(Call& call);
Json room_decline(Call& call);
Json room_leave(Call& call);
Json room_remove(Call& call);
Json room_admin(Call& call);
Json room_owner(Call& call);
Json room_rename(Call& call);
Json room_delete(Call& call);
Json room_members(Call& call);

}  // namespace occhat::cli::daemon::handlers

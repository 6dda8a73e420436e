// Accounts people manage themselves (passwd, nick, discoverable, find.nick, sessions, logout,
// delete_account) and read markers (read): the same calls and result shapes as the commands.

#include "daemon/jsonrpc.hpp"
#include "daemon/method_handlers.hpp"
#include "result_json.hpp"

namespace occhat::cli::daemon::handlers {

Json passwd(Call& call) {
  const std::string current = call.params.string("current");
  const std::string replacement = call.params.string("new");
  call.params.finish();
  call.client.change_password(current, replacement);
  return Json{{"changed", true}};
}

Json nick(Call& call) {
  const std::string nick = call.params.string("nick");
  call.params.finish();
  return whoami_json(call.client.set_nick(nick));
}

Json discoverable(Call& call) {
  const bool on = call.params.flag("on");
  call.params.finish();
  return whoami_json(call.client.set_discoverable(on));
}

Json find_nick(Call& call) {
  const std::string nick = call.params.string("nick");
  const bool exact = call.params.flag("exact");
  call.params.finish();
  Json list = Json::array();
  for (const UserInfo& u : call.client.find_users(nick, /*prefix=*/!exact)) list.push_back(user_ref_json(u));
  return Json{{"users", std::move(list)}};
}

Json sessions(Call& call) {
  call.params.finish();
  Json list = Json::array();
  for (const SessionInfo& s : call.client.sessions()) list.push_back(session_json(s));
  return Json{{"sessions", std::move(list)}};
}

// {"session": ID} ends one session; {"all": true} ends every one, the daemon's own too (it then
// stops with exit 3, as after any revocation).
Json logout(Call& call) {
  const auto session = call.params.optional_string("session");
  const bool all = call.params.flag("all");
  call.params.finish();
  if (session.has_value() == all) throw invalid_params("logout needs exactly one of \"session\" and \"all\": true");
  if (all) {
    call.client.logout_all();
    return Json{{"ended", "all"}};
  }
  call.client.end_session(*session);
  return Json{{"ended", *session}};
}

Json delete_account(Call& call) {
  const std::string password = call.params.string("password");
  call.params.finish();
  const UserId me = call.link.user().id;
  call.client.delete_account(password);
  return Json{{"deleted", me}};
}

// {"peer": ID} or {"room": ROOM}, optionally "up_to" a message id (default: the newest).
Json read(Call& call) {
  const Destination where = call.params.destination("peer");
  const auto up_to = call.params.optional_uint("up_to", 1, UINT64_MAX).value_or(0);
  call.params.finish();
  if (where.room != 0) {
    call.client.mark_room_read(where.room, up_to);
  } else {
    call.client.mark_read(where.user, up_to);
  }
  return Json{{"read", true}};
}

}  // namespace occhat::cli::daemon::handlers

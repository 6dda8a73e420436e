#include "daemon/methods.hpp"

#include <array>

#include "daemon/jsonrpc.hpp"
#include "daemon/method_handlers.hpp"
#include "result_json.hpp"

namespace occhat::cli::daemon {
namespace {

namespace h = handlers;

// Adding a method: one line here, its handler in the methods_*.cpp of its topic, and its entry
// in the README's method list.
constexpr std::array kMethods{
    Method{"hello", false, h::hello},
    Method{"subscribe", false, h::subscribe},
    Method{"unsubscribe", false, h::unsubscribe},
    Method{"ack", true, h::ack},
    Method{"inbox", true, h::inbox},
    Method{"whoami", true, h::whoami},
    Method{"find", true, h::find},
    Method{"friends", true, h::friends},
    Method{"add", true, h::add},
    Method{"remove", true, h::remove},
    Method{"requests", true, h::requests},
    Method{"block", true, h::block},
    Method{"unblock", true, h::unblock},
    Method{"blocked", true, h::blocked},
    Method{"passwd", true, h::passwd},
    Method{"nick", true, h::nick},
    Method{"discoverable", true, h::discoverable},
    Method{"find.nick", true, h::find_nick},
    Method{"sessions", true, h::sessions},
    Method{"logout", true, h::logout},
    Method{"delete_account", true, h::delete_account},
    Method{"read", true, h::read},
    Method{"send", true, h::send},
    Method{"history", true, h::history},
    Method{"upload", true, h::upload},
    Method{"upload.cancel", true, h::upload_cancel},
    Method{"download", true, h::download},
    Method{"files", true, h::files},
    Method{"file.info", true, h::file_info},
    Method{"rooms", true, h::rooms},
    Method{"room.create", true, h::room_create},
    Method{"room.invite", true, h::room_invite},
    Method{"room.join", true, h::room_join},
    Method{"room.decline", true, h::room_decline},
    Method{"room.leave", true, h::room_leave},
    Method{"room.remove", true, h::room_remove},
    Method{"room.admin", true, h::room_admin},
    Method{"room.owner", true, h::room_owner},
    Method{"room.rename", true, h::room_rename},
    Method{"room.delete", true, h::room_delete},
    Method{"room.members", true, h::room_members},
};

}  // namespace

std::span<const Method> methods() { return kMethods; }

const Method* find_method(std::string_view name) {
  for (const Method& m : kMethods) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

Json hello_json(const ServerLink& link) {
  return Json{{"schema", kSchemaVersion},
              {"version", OCCHAT_VERSION},
              {"user", user_ref_json(link.user())},
              {"connected", link.ready()}};
}

}  // namespace occhat::cli::daemon

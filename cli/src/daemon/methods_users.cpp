// Users and friends: whoami, find, friends, add, remove, requests, block, unblock, blocked.

#include "daemon/jsonrpc.hpp"
#include "daemon/method_handlers.hpp"
#include "result_json.hpp"

namespace occhat::cli::daemon::handlers {
namespace {

// The method acts on someone else: "id" must not be the caller (the CLI's usage error too).
UserId other_user(Call& call, const char* what) {
  const UserId id = call.params.user("id");
  call.params.finish();
  if (id == call.link.user().id) throw invalid_params(std::string("you cannot ") + what + " yourself");
  return id;
}

}  // namespace

Json whoami(Call& call) {
  call.params.finish();
  // From the server, like `occhat whoami` (which resumes the token): a fresh nick and email.
  return whoami_json(call.client.find_user(call.link.user().id));
}

Json find(Call& call) {
  const UserId id = call.params.user("id");
  call.params.finish();
  return found_user_json(call.client.find_user(id));
}

Json friends(Call& call) {
  call.params.finish();
  Json list = Json::array();
  for (const Friend& f : call.client.friends()) list.push_back(friend_json(f));
  return Json{{"friends", std::move(list)}};
}

Json add(Call& call) {
  const UserId id = other_user(call, "add");
  return add_friend_json(call.client.add_friend(id));
}

Json remove(Call& call) {
  const UserId id = call.params.user("id");
  call.params.finish();
  call.client.remove_friend(id);
  return removed_friend_json(id);
}

Json requests(Call& call) {
  call.params.finish();
  const FriendRequests requests = call.client.friend_requests();
  Json list = Json::array();
  for (const auto& r : requests.incoming) list.push_back(request_json(r, "incoming"));
  for (const auto& r : requests.outgoing) list.push_back(request_json(r, "outgoing"));
  return Json{{"requests", std::move(list)}};
}

Json block(Call& call) {
  const UserId id = other_user(call, "block");
  call.client.block_user(id);
  return block_json(id, true);
}

Json unblock(Call& call) {
  const UserId id = call.params.user("id");
  call.params.finish();
  call.client.unblock_user(id);
  return block_json(id, false);
}

Json blocked(Call& call) {
  call.params.finish();
  Json list = Json::array();
  for (const UserInfo& u : call.client.blocked_users()) list.push_back(user_ref_json(u));
  return Json{{"blocked", std::move(list)}};
}

}  // namespace occhat::cli::daemon::handlers

#include "presence_announcer.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <string>
#include <utility>
#include <vector>

#include "log.hpp"
#include "server_context.hpp"

namespace occhat::server {
namespace {

asio::awaitable<void> publish_to_friends(ServerContext& server, std::uint32_t user_id, bool online) {
  try {
    auto audience_job = [user_id, online](store::Store& store) {
      PresenceChange change;
      change.user_id = user_id;
      change.online = online;
      if (auto user = store.find_user(user_id)) change.nick = std::move(user->nick);
      for (const auto& f : store.friends(user_id)) change.observers.push_back(f.id);
      return change;
    };
    const PresenceChange change = co_await server.store.run(std::move(audience_job));
    server.bus->publish_presence(change);
  } catch (const std::exception& e) {
    log_event("presence of user {} not pushed: {}", user_id, e.what());
  }
}

}  // namespace

void announce_presence(ServerContext& server, std::uint32_t user_id, bool online) {
  log_event("user {} is {}", user_id, online ? "online" : "offline");
  // At shutdown every connection closes at once; nobody is left to tell.
  if (server.stopping) return;
  asio::co_spawn(server.network, publish_to_friends(server, user_id, online), asio::detached);
}

}  // namespace occhat::server

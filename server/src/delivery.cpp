#include "delivery.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <utility>
#include <vector>

#include "log.hpp"
#include "server_context.hpp"
#include "session.hpp"

namespace occhat::server {
namespace {

struct PresenceAudience {
  std::string nick;
  std::vector<store::Friend> friends;
};

asio::awaitable<void> push_presence_to_friends(ServerContext& server, std::uint32_t user_id, bool online) {
  try {
    auto audience_job = [user_id](store::Store& store) {
      PresenceAudience audience;
      if (auto user = store.find_user(user_id)) audience.nick = std::move(user->nick);
      audience.friends = store.friends(user_id);
      return audience;
    };
    const PresenceAudience audience = co_await server.store.run(std::move(audience_job));
    for (const auto& observer : audience.friends) push_presence(server, observer.id, user_id, audience.nick, online);
  } catch (const std::exception& e) {
    log_event("presence of user {} not pushed: {}", user_id, e.what());
  }
}

}  // namespace

void deliver_inbox_item(ServerContext& server, const store::InboxItem& item) {
  for (const auto& session : server.router.sessions_of(item.user_id)) session->deliver(item);
}

void push_presence(ServerContext& server, std::uint32_t observer, std::uint32_t subject, const std::string& nick,
                   bool online) {
  if (observer == subject) return;
  wire::PresenceEvent event;
  event.set_user_id(subject);
  event.set_online(online);
  event.set_nick(nick);
  for (const auto& session : server.router.sessions_of(observer)) session->push_presence(event);
}

void publish_presence(ServerContext& server, std::uint32_t user_id, bool online) {
  log_event("user {} is {}", user_id, online ? "online" : "offline");
  // At shutdown every connection closes at once; nobody is left to tell.
  if (server.stopping) return;
  // Changes of one user are pushed in the order they happened: the store thread answers in
  // FIFO order and the network thread resumes the coroutines in that order.
  asio::co_spawn(server.network, push_presence_to_friends(server, user_id, online), asio::detached);
}

}  // namespace occhat::server

#include "daemon/server_link.hpp"

#include <chrono>

#include "connection.hpp"
#include "daemon/jsonrpc.hpp"
#include "reconnect.hpp"

namespace occhat::cli::daemon {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPoll{100};

}  // namespace

ServerLink::ServerLink(Client& client, std::string server, SavedSession saved, std::atomic<bool>& stop)
    : client_(client), server_(std::move(server)), saved_(std::move(saved)), stop_(stop) {}

void ServerLink::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

UserInfo ServerLink::user() const {
  std::lock_guard lock(mutex_);
  return user_;
}

std::optional<Error> ServerLink::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

void ServerLink::connect_and_subscribe() {
  const Session session = resume_saved(client_, saved_, /*announce_presence=*/true);
  {
    std::lock_guard lock(mutex_);
    user_ = session.user;
  }
  hub_->on_resubscribed();
  client_.subscribe(hub_->acked());
  ready_.store(true);
}

void ServerLink::start(EventHub& hub) {
  hub_ = &hub;
  connect_long_lived(client_, server_);
  connect_and_subscribe();
  thread_ = std::thread([this] { run(); });
}

bool ServerLink::pump() {
  while (!stop_.load()) {
    if (resubscribe_.exchange(false)) {
      ready_.store(false);
      client_.disconnect();
      return true;
    }
    const auto event = client_.next_event(kPoll);
    if (!event) {
      if (!client_.connected()) return false;
      continue;
    }
    if (event->type == "disconnected") {
      // Queued by a connection lost before the current one was made: nothing to do.
      if (client_.connected()) continue;
      return false;
    }
    hub_->on_event(*event);
  }
  return false;
}

bool ServerLink::reconnect(bool quiet) {
  for (std::size_t failures = 0; !stop_.load(); ++failures) {
    const milliseconds delay = quiet && failures == 0 ? milliseconds{0} : reconnect_delay(failures);
    const auto until = std::chrono::steady_clock::now() + delay;
    while (!stop_.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(milliseconds{20});
    if (stop_.load()) return false;
    try {
      client_.disconnect();
      connect_client(client_, server_);
      connect_and_subscribe();
      return true;
    } catch (const Error& e) {
      if (is_connection_error(e)) continue;
      if (e.code() == ErrorCode::unauthenticated || e.code() == ErrorCode::auth_failed) {
        std::lock_guard lock(mutex_);
        fatal_ = e;
        return false;
      }
      // Anything else (a server answering oddly while it starts) is retried like a lost link.
    }
  }
  return false;
}

void ServerLink::run() {
  while (!stop_.load()) {
    const bool resubscribing = pump();
    if (stop_.load()) break;
    ready_.store(false);
    // A resubscription the hub asked for is no loss for the clients: no notices.
    if (!resubscribing) {
      hub_->broadcast(notification("connection", Json{{"state", "lost"},
                                                      {"message", "connection to the server lost; reconnecting"}}));
    }
    if (!reconnect(resubscribing)) {
      if (const auto error = fatal()) {
        hub_->broadcast(notification("connection", Json{{"state", "failed"}, {"message", error->what()}}));
        stop_.store(true);
      }
      break;
    }
    if (!resubscribing) hub_->broadcast(notification("connection", Json{{"state", "restored"}}));
  }
  ready_.store(false);
  // Calls still waiting (a long upload of a socket client) fail now instead of holding up the exit.
  client_.disconnect();
}

}  // namespace occhat::cli::daemon

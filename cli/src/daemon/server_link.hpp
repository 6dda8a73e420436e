#pragma once
// The daemon's one connection to the server, kept by its own thread: resumes the saved session
// (announcing presence), subscribes after the hub's acknowledged seq, feeds pushed events to the
// hub, and when the connection is lost reconnects with the backoff of `watch` (reconnect.hpp),
// telling every client {"method":"connection","params":{"state":"lost"|"restored",...}}.
// A session the server no longer accepts ends the daemon (state "failed", exit 3).

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "daemon/event_hub.hpp"
#include "home.hpp"
#include "occhat/client.hpp"

namespace occhat::cli::daemon {

class ServerLink {
 public:
  ServerLink(Client& client, std::string server, SavedSession saved, std::atomic<bool>& stop);
  ~ServerLink() { stop(); }
  ServerLink(const ServerLink&) = delete;
  ServerLink& operator=(const ServerLink&) = delete;

  // The first connection, on the calling thread: throws like any command when the server cannot
  // be reached or the session is not accepted. Then starts the thread that keeps it.
  void start(EventHub& hub);

  // Sets the stop flag and joins the thread (which disconnects the client, so calls still waiting
  // in other threads fail at once). Idempotent.
  void stop();

  // Logged in and subscribed: calls can go to the server.
  bool ready() const noexcept { return ready_.load(); }
  // The user of the session (as the server said at the last resume).
  UserInfo user() const;
  // Asks the thread to subscribe again on a fresh connection (see EventHub).
  void resubscribe() { resubscribe_.store(true); }
  // Set when the session was refused on a reconnect; the daemon then stops with it.
  std::optional<Error> fatal() const;

 private:
  void connect_and_subscribe();
  void run();
  // Forwards events until the connection is lost (false), a resubscription (true) or a stop.
  bool pump();
  bool reconnect(bool quiet);  // false: stopped or fatal

  Client& client_;
  std::string server_;
  SavedSession saved_;
  std::atomic<bool>& stop_;
  EventHub* hub_ = nullptr;
  std::atomic<bool> ready_{false};
  std::atomic<bool> resubscribe_{false};
  mutable std::mutex mutex_;
  UserInfo user_;
  std::optional<Error> fatal_;
  std::thread thread_;
};

}  // namespace occhat::cli::daemon

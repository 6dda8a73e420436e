#pragma once
// Which sessions belong to which user, and which users are online. Several devices may be
// logged in for one user; a user is online while at least one of them announced presence.
// Pushes fan out through here; keep it narrow so a multi-node build can put a message bus
// (NATS/Redis) behind the same calls.
//
// Not thread-safe: used from the network thread only.

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace occhat::server {

class Session;

class Router {
 public:
  // Registers `session` as logged in as `user_id` (idempotent).
  void attach(std::uint32_t user_id, const std::shared_ptr<Session>& session);
  // Forgets `session` for `user_id` (no-op if it was not attached).
  void detach(std::uint32_t user_id, const Session* session);
  // A snapshot: callers send after this returns, so a send may safely detach sessions.
  std::vector<std::shared_ptr<Session>> sessions_of(std::uint32_t user_id) const;

  // Counts one more / one less presence-announcing session of `user_id`. True exactly when the
  // user came online (0 -> 1) / went offline (1 -> 0): the caller then tells the friends.
  bool add_presence(std::uint32_t user_id);
  bool remove_presence(std::uint32_t user_id);
  // At least one presence-announcing session is open.
  bool online(std::uint32_t user_id) const;

 private:
  std::unordered_multimap<std::uint32_t, std::shared_ptr<Session>> sessions_;
  std::unordered_map<std::uint32_t, int> presence_;
};

}  // namespace occhat::server

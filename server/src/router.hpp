#pragma once
// Which sessions belong to which user. Several devices may be online for one user. Later
// issues push presence and messages through here; keep it narrow so a multi-node build can put
// a message bus (NATS/Redis) behind the same calls.
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
  bool online(std::uint32_t user_id) const;

 private:
  std::unordered_multimap<std::uint32_t, std::shared_ptr<Session>> sessions_;
};

}  // namespace occhat::server

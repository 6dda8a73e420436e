#pragma once
// What a handler may know about the connection its request came on: who is logged in, with
// which token, from where. Handlers never see the connection itself; what should happen to it
// or to other connections they return as effects (effects.hpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "occhat/store/store.hpp"

namespace occhat::server {

struct RequestContext {
  std::uint64_t connection_id = 0;  // for logs
  // The peer's IP address (no port): per-address throttling and logs. Owned by the connection,
  // which outlives every request it carries.
  std::string_view peer_address;
  bool hello_done = false;
  std::string_view client_name;  // what the hello said (owned by the session)
  std::optional<std::uint32_t> user_id;  // the logged-in user
  std::optional<store::TokenHash> token_hash;  // of the token this connection logged in with
  // When the request's frame was decoded; set only while the server times stages (send_stages.hpp).
  std::chrono::steady_clock::time_point read_at;
};

}  // namespace occhat::server

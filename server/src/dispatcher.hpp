#pragma once
// Turns one decoded request into one answer: enforces the conversation rules (hello first, the
// auth gate), routes each Envelope body case to its handler, and converts every failure into a
// wire `error` body. Never throws.

#include <asio/awaitable.hpp>

#include "occhat/proto/frame.hpp"

namespace occhat::server {

struct ServerContext;
class Session;

struct Reply {
  wire::Envelope body;
  bool close = false;  // close the connection once `body` is sent
};

asio::awaitable<Reply> dispatch(ServerContext& server, Session& session, const wire::Envelope& request);

}  // namespace occhat::server

#pragma once
// Turns one decoded request into one answer: enforces the conversation rules (hello first, the
// auth gate), routes each Envelope body case to its handler, and converts every failure into a
// wire `error` body. Never throws.

#include <asio/awaitable.hpp>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

asio::awaitable<Reply> dispatch(ServerContext& server, RequestContext context, const wire::Envelope& request);

}  // namespace occhat::server

#pragma once
// Handlers for sending messages and reading conversation history. Each returns the answer body
// or throws RequestError / store::StoreError. The session is logged in.

#include <asio/awaitable.hpp>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

asio::awaitable<Reply> handle_send_message(ServerContext& server, const RequestContext& context,
                                           const wire::SendMessageRequest& request);
asio::awaitable<Reply> handle_history(ServerContext& server, const RequestContext& context,
                                      const wire::HistoryRequest& request);

}  // namespace occhat::server

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

// Moves the caller's read marker of a friend's or a room's conversation.
asio::awaitable<Reply> handle_mark_read(ServerContext& server, const RequestContext& context,
                                        const wire::MarkReadRequest& request);

}  // namespace occhat::server

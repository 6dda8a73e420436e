#pragma once
// Handlers for sending messages and reading conversation history. Each returns the answer body
// or throws RequestError / store::StoreError. The session is logged in.

#include <asio/awaitable.hpp>

#include "occhat/proto/frame.hpp"

namespace occhat::server {

struct ServerContext;
class Session;

asio::awaitable<wire::Envelope> handle_send_message(ServerContext& server, Session& session,
                                                    const wire::SendMessageRequest& request);
asio::awaitable<wire::Envelope> handle_history(ServerContext& server, Session& session,
                                               const wire::HistoryRequest& request);

}  // namespace occhat::server

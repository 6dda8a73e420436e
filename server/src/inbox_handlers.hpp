#pragma once
// Handlers for the inbox: fetch, acknowledge, subscribe. Each returns the answer body or throws
// RequestError / store::StoreError. The session is logged in.

#include <asio/awaitable.hpp>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

asio::awaitable<Reply> handle_fetch_inbox(ServerContext& server, const RequestContext& context,
                                          const wire::FetchInboxRequest& request);
asio::awaitable<Reply> handle_ack(ServerContext& server, const RequestContext& context, const wire::AckRequest& request);
// Answers ok; the backlog and live pushes start once the ok is queued (so it comes first).
asio::awaitable<Reply> handle_subscribe(ServerContext& server, const RequestContext& context,
                                        const wire::SubscribeRequest& request);

}  // namespace occhat::server

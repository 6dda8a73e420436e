#pragma once
// Handlers for the inbox: fetch, acknowledge, subscribe. Each returns the answer body or throws
// RequestError / store::StoreError. The session is logged in.

#include <asio/awaitable.hpp>

#include "occhat/proto/frame.hpp"

namespace occhat::server {

struct ServerContext;
class Session;

asio::awaitable<wire::Envelope> handle_fetch_inbox(ServerContext& server, Session& session,
                                                   const wire::FetchInboxRequest& request);
asio::awaitable<wire::Envelope> handle_ack(ServerContext& server, Session& session, const wire::AckRequest& request);
// Answers ok; the backlog and live pushes start once the ok is queued (so it comes first).
asio::awaitable<wire::Envelope> handle_subscribe(ServerContext& server, Session& session,
                                                 const wire::SubscribeRequest& request);

}  // namespace occhat::server

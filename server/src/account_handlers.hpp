#pragma once
// Handlers for account and session requests. Each returns the answer body or throws
// RequestError (or store::StoreError); the dispatcher turns either into an error frame.

#include <asio/awaitable.hpp>

#include "occhat/proto/frame.hpp"

namespace occhat::server {

struct ServerContext;
class Session;

asio::awaitable<wire::Envelope> handle_register(ServerContext& server, Session& session,
                                                const wire::RegisterRequest& request);
asio::awaitable<wire::Envelope> handle_login(ServerContext& server, Session& session,
                                             const wire::LoginRequest& request);
asio::awaitable<wire::Envelope> handle_resume(ServerContext& server, Session& session,
                                              const wire::ResumeRequest& request);
asio::awaitable<wire::Envelope> handle_logout(ServerContext& server, Session& session);
asio::awaitable<wire::Envelope> handle_find_user(ServerContext& server, Session& session,
                                                 const wire::FindUserRequest& request);

}  // namespace occhat::server

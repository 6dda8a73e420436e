#pragma once
// Handlers for account and session requests. Each returns the answer body or throws
// RequestError (or store::StoreError); the dispatcher turns either into an error frame.

#include <asio/awaitable.hpp>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

asio::awaitable<Reply> handle_register(ServerContext& server, const RequestContext& context,
                                       const wire::RegisterRequest& request);
asio::awaitable<Reply> handle_login(ServerContext& server, const RequestContext& context,
                                    const wire::LoginRequest& request);
asio::awaitable<Reply> handle_resume(ServerContext& server, const RequestContext& context,
                                     const wire::ResumeRequest& request);
// Ends this connection's session, every session of the user (all), or one by its id.
asio::awaitable<Reply> handle_logout(ServerContext& server, const RequestContext& context,
                                     const wire::LogoutRequest& request);
asio::awaitable<Reply> handle_find_user(ServerContext& server, const RequestContext& context,
                                        const wire::FindUserRequest& request);
asio::awaitable<Reply> handle_find_users(ServerContext& server, const RequestContext& context,
                                         const wire::FindUsersRequest& request);

}  // namespace occhat::server

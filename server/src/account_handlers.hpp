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
asio::awaitable<Reply> handle_logout(ServerContext& server, const RequestContext& context);
asio::awaitable<Reply> handle_find_user(ServerContext& server, const RequestContext& context,
                                        const wire::FindUserRequest& request);

}  // namespace occhat::server

#pragma once
// Handlers for blocking users. The blocked user is never told: what they send the blocker is
// answered as usual and dropped by the store (see Store::block_user).

#include <asio/awaitable.hpp>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

asio::awaitable<Reply> handle_block_user(ServerContext& server, const RequestContext& context,
                                         const wire::BlockUserRequest& request);
asio::awaitable<Reply> handle_list_blocked(ServerContext& server, const RequestContext& context);

}  // namespace occhat::server

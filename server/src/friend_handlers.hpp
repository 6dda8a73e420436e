#pragma once
// Handlers for friend requests, friendships and the friend list. Each returns the answer body or
// throws RequestError / store::StoreError; the dispatcher turns either into an error frame.
// The session is logged in (the dispatcher's auth gate).

#include <asio/awaitable.hpp>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

asio::awaitable<Reply> handle_add_friend(ServerContext& server, const RequestContext& context,
                                         const wire::AddFriendRequest& request);
asio::awaitable<Reply> handle_remove_friend(ServerContext& server, const RequestContext& context,
                                            const wire::RemoveFriendRequest& request);
asio::awaitable<Reply> handle_list_friends(ServerContext& server, const RequestContext& context);
asio::awaitable<Reply> handle_list_friend_requests(ServerContext& server, const RequestContext& context);

}  // namespace occhat::server

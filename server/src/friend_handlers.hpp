#pragma once
// Handlers for friend requests, friendships and the friend list. Each returns the answer body or
// throws RequestError / store::StoreError; the dispatcher turns either into an error frame.
// The session is logged in (the dispatcher's auth gate).

#include <asio/awaitable.hpp>

#include "occhat/proto/frame.hpp"

namespace occhat::server {

struct ServerContext;
class Session;

asio::awaitable<wire::Envelope> handle_add_friend(ServerContext& server, Session& session,
                                                  const wire::AddFriendRequest& request);
asio::awaitable<wire::Envelope> handle_remove_friend(ServerContext& server, Session& session,
                                                     const wire::RemoveFriendRequest& request);
asio::awaitable<wire::Envelope> handle_list_friends(ServerContext& server, Session& session);
asio::awaitable<wire::Envelope> handle_list_friend_requests(ServerContext& server, Session& session);

}  // namespace occhat::server

#pragma once
// Handlers for rooms: creating, changing membership and settings, listing rooms and members,
// and the room forms of send and history. Each returns the answer body or throws RequestError
// / store::StoreError. The session is logged in. Who may do what is the store's check
// (Store::change_room), made in the same transaction as the change.

#include <asio/awaitable.hpp>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

asio::awaitable<Reply> handle_create_room(ServerContext& server, const RequestContext& context,
                                          const wire::CreateRoomRequest& request);
asio::awaitable<Reply> handle_room_change(ServerContext& server, const RequestContext& context,
                                          const wire::RoomChangeRequest& request);
asio::awaitable<Reply> handle_list_rooms(ServerContext& server, const RequestContext& context);
asio::awaitable<Reply> handle_list_room_members(ServerContext& server, const RequestContext& context,
                                                const wire::ListRoomMembersRequest& request);
// send_message_request with room_id set (to = 0); the caller has taken a send-rate token.
asio::awaitable<Reply> handle_send_room_message(ServerContext& server, const RequestContext& context,
                                                const wire::SendMessageRequest& request);
// history_request with room_id set (peer = 0).
asio::awaitable<Reply> handle_room_history(ServerContext& server, const RequestContext& context,
                                           const wire::HistoryRequest& request);

}  // namespace occhat::server

#pragma once
// Handlers for what users change about their own account: password, nick, being discoverable,
// their sessions, deleting the account. Every request acts on the session's user only.

#include <asio/awaitable.hpp>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

asio::awaitable<Reply> handle_change_password(ServerContext& server, const RequestContext& context,
                                              const wire::ChangePasswordRequest& request);
asio::awaitable<Reply> handle_update_profile(ServerContext& server, const RequestContext& context,
                                             const wire::UpdateProfileRequest& request);
asio::awaitable<Reply> handle_list_sessions(ServerContext& server, const RequestContext& context);
asio::awaitable<Reply> handle_delete_account(ServerContext& server, const RequestContext& context,
                                             const wire::DeleteAccountRequest& request);

}  // namespace occhat::server

#pragma once
// Live delivery of committed inbox items and presence changes to the sessions that want them.
// Network thread only. Call these after the store committed (and after the answer to the
// request that caused them was queued): a push never announces something that is not stored.

#include <cstdint>
#include <string>

#include "occhat/store/store.hpp"

namespace occhat::server {

struct ServerContext;

// Hands a committed item to every subscribed session of its user.
void deliver_inbox_item(ServerContext& server, const store::InboxItem& item);

// Pushes "`subject` (`nick`) is online/offline" to every subscribed session of `observer`.
void push_presence(ServerContext& server, std::uint32_t observer, std::uint32_t subject, const std::string& nick,
                   bool online);

// `user_id` came online or went offline (its count of presence-announcing sessions crossed 0):
// logs it and tells the subscribed sessions of every friend, never anyone else. The friend list
// is read from the store, so this returns at once and the pushes follow.
void publish_presence(ServerContext& server, std::uint32_t user_id, bool online);

}  // namespace occhat::server

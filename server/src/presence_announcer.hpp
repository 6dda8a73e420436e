#pragma once
// Turns "user X came online / went offline" (the bus's PresenceListener) into a PresenceChange
// for X's friends: reads X's nick and friend list from the store, then publishes on the bus.
// Returns at once; the pushes follow once the store answered. Changes of one user are published
// in the order they happened: the store answers in FIFO order and the network thread resumes
// the waiting coroutines in that order.

#include <cstdint>

namespace occhat::server {

struct ServerContext;

void announce_presence(ServerContext& server, std::uint32_t user_id, bool online);

}  // namespace occhat::server

#pragma once
// What the long-lived commands (`watch`, `shell`) share about staying connected: how the first
// connection is made and the backoff after a lost one.

#include <chrono>
#include <cstddef>
#include <string>

#include "occhat/client.hpp"

namespace occhat::cli {

// The delay before reconnect attempt `failures` (0-based): 0.5, 1, 2, 4, 8, 8, ... s — quick for
// a server restart, gentle for a long outage.
std::chrono::milliseconds reconnect_delay(std::size_t failures);

// "0.5", "2": a delay as the notices print it.
std::string delay_seconds_text(std::chrono::milliseconds delay);

// "reconnected", or with a list of servers "reconnected to HOST:PORT" (the node now in use).
std::string reconnected_notice(const Client& client, const std::string& server);

// The first connection of a long-lived command, as connect_client(). A connection that is refused
// or lost during the handshake is tried once more at once: a server restarting, or this process
// stopped (SIGSTOP) in the middle of the handshake until the server's login timeout closed it. A second failure, or a timeout, is thrown: a server that cannot be reached at all is
// an error at start, like for any command.
void connect_long_lived(Client& client, const std::string& server);

}  // namespace occhat::cli

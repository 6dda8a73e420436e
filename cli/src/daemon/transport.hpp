#pragma once
// Where the daemon's clients come from: stdin/stdout (one client), or a UNIX socket (several).

#include <atomic>
#include <string>

#include "daemon/dispatcher.hpp"
#include "daemon/event_hub.hpp"

namespace occhat::cli::daemon {

// At most this many socket clients at once; one more is closed at once.
inline constexpr int kMaxSocketClients = 64;

// Serves one client on stdin/stdout until end of input, stdout closing, or `stop`.
void serve_stdio(Dispatcher& dispatcher, EventHub& hub, const std::atomic<bool>& stop);

// Serves every client that connects to the socket at `path` (see listening_socket.hpp), each on
// its own thread, until `stop`. Throws occhat::Error when the socket cannot be set up.
void serve_socket(const std::string& path, Dispatcher& dispatcher, EventHub& hub, const std::atomic<bool>& stop);

}  // namespace occhat::cli::daemon

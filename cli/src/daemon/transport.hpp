#pragma once
// Where the daemon's clients come from: stdin/stdout (one client), or a UNIX socket (several).

#include <atomic>
#include <string>

#include "daemon/dispatcher.hpp"
#include "daemon/event_hub.hpp"
#include "daemon/listening_socket.hpp"

namespace occhat::cli::daemon {

// At most this many socket clients at once; one more is closed at once.
inline constexpr int kMaxSocketClients = 64;

// Serves one client on stdin/stdout until end of input, stdout closing, or `stop`.
void serve_stdio(Dispatcher& dispatcher, EventHub& hub, const std::atomic<bool>& stop);

// Serves every client that connects to `listener`, each on its own thread, until `stop`.
void serve_socket(const ListeningSocket& listener, Dispatcher& dispatcher, EventHub& hub,
                  const std::atomic<bool>& stop);

}  // namespace occhat::cli::daemon

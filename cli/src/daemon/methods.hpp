#pragma once
// The daemon's methods: one table (methods.cpp), one entry per method. A handler reads its named
// parameters through Params, calls the SDK, and returns the same JSON object the matching
// `occhat ... --json` command prints (result_json.hpp, event_format.hpp, room_format.hpp); a
// command that prints several lines answers {"<list>":[...]} with one element per line.

#include <span>
#include <string_view>

#include "daemon/event_hub.hpp"
#include "daemon/params.hpp"
#include "daemon/peer.hpp"
#include "daemon/server_link.hpp"
#include "occhat/client.hpp"

namespace occhat::cli::daemon {

// What a handler may use.
struct Call {
  Client& client;
  ServerLink& link;
  EventHub& hub;
  Peer& peer;  // the client that called
  Params& params;
};

struct Method {
  std::string_view name;
  // Needs the server connection: answered with unavailable at once while reconnecting.
  bool needs_server;
  Json (*handler)(Call& call);
};

std::span<const Method> methods();
const Method* find_method(std::string_view name);

// hello's object: {"schema","version","user":{"id","nick"},"connected"} — also the first line
// every client gets, as a "hello" notification.
Json hello_json(const ServerLink& link);

}  // namespace occhat::cli::daemon

#pragma once
// Turns one request line from a client into its answer: parse, find the method, check that the
// server connection is up when the method needs it, run it, and write the result or the error.
// Requests of one client are answered in order, one at a time.

#include <string_view>

#include "daemon/event_hub.hpp"
#include "daemon/peer.hpp"
#include "daemon/server_link.hpp"
#include "occhat/client.hpp"

namespace occhat::cli::daemon {

class Dispatcher {
 public:
  Dispatcher(Client& client, ServerLink& link, EventHub& hub) : client_(client), link_(link), hub_(hub) {}

  // The first line a client gets: {"method":"hello","params":hello_json}.
  Json greeting() const;
  // Answers `line` on `peer` (a request without "id" is run and not answered).
  void handle_line(Peer& peer, std::string_view line);
  // Answers a line over kMaxLineBytes (already discarded) with invalid_request.
  void handle_too_long(Peer& peer);

 private:
  Client& client_;
  ServerLink& link_;
  EventHub& hub_;
};

}  // namespace occhat::cli::daemon

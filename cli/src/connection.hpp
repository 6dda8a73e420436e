#pragma once
// Opening a connection for a one-shot command.

#include <memory>
#include <string>

#include "command.hpp"
#include "home.hpp"
#include "occhat/client.hpp"

namespace occhat::cli {

// Connects to `server` (HOST:PORT) and does the handshake. An unreachable server throws
// unavailable/timeout with "cannot reach server HOST:PORT: <why>"; a malformed address is a usage error.
std::unique_ptr<Client> connect_to(const std::string& server);

struct LoggedInClient {
  std::unique_ptr<Client> client;
  Session session;  // as the server sees it now (fresh nick and email)
  SavedSession saved;
};

// Connects to the saved session's server (or the explicit --server) and resumes the saved token
// without announcing presence. Throws unauthenticated "not logged in (run: occhat login ID)" when
// nothing is saved, and unauthenticated when the server no longer accepts the token.
LoggedInClient open_logged_in(Context& ctx);

}  // namespace occhat::cli

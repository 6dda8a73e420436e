#pragma once
// Opening a connection for a one-shot command.

#include <chrono>
#include <memory>
#include <string>

#include "command.hpp"
#include "home.hpp"
#include "occhat/client.hpp"

namespace occhat::cli {

// How a command uses its connection. One-shot commands keep the defaults; long-lived ones
// (`watch`, `shell`) announce presence so friends see them online.
struct SessionOptions {
  bool announce_presence = false;
  // SDK ping after this long without traffic (the server drops connections silent for 30 s).
  std::chrono::milliseconds keepalive_interval{10000};
  // TLS (see with_tls()).
  bool tls = false;
  std::string ca_file;  // empty: the system's trust store
};

// `options` with the TLS settings for talking to `server`: --tls/--ca (OCCHAT_TLS/OCCHAT_CA)
// when given; else, when `saved` is the session of that same server, what its login used.
SessionOptions with_tls(const Context& ctx, const std::string& server, const SavedSession* saved,
                        SessionOptions options = {});

// The CLI's SDK options (client name, keepalive, TLS).
Client::Options client_options(const SessionOptions& options = {});

// The codes every failure to reach the server, or loss of the connection, surfaces as
// (unavailable, timeout): exit 2, and what `watch` and `shell` retry.
bool is_connection_error(const Error& e);

// Connects `client` to `server` (HOST:PORT, or a list HOST:PORT,HOST:PORT,... tried in turn, see
// Client::connect) and does the handshake. An unreachable server throws unavailable/timeout with
// "cannot reach server SERVER: <why>" (a list: every address with its reason); a malformed
// address is a usage error. Also usable to reconnect a Client whose connection was lost: with a
// list, that starts with the node after the one lost.
void connect_client(Client& client, const std::string& server);

// A new Client connected to `server`, as connect_client().
std::unique_ptr<Client> connect_to(const std::string& server, const SessionOptions& options = {});

// Resumes `saved` on a connected client. A token the server no longer accepts throws
// unauthenticated "session expired or revoked (run: occhat login ID)".
Session resume_saved(Client& client, const SavedSession& saved, bool announce_presence);

// Where `login` and `register` connect: --server/OCCHAT_SERVER, else the server session.json
// remembers (logged in or out), else the default; with that server's TLS settings (with_tls()).
struct ServerTarget {
  std::string server;
  SessionOptions options;
};
ServerTarget remembered_server(const Context& ctx);

// What session.json keeps for `server` reached with `connection`: its TLS settings (the CA file
// as an absolute path, so commands run from elsewhere find it) and the token (empty: only the
// server is remembered).
SavedSession session_to_save(const std::string& server, const SessionOptions& connection, UserId user_id,
                             std::string token);

struct LoggedInClient {
  std::unique_ptr<Client> client;
  Session session;  // as the server sees it now (fresh nick and email)
  SavedSession saved;
};

// The saved session, or throws unauthenticated "not logged in (run: occhat login ID)".
SavedSession require_session(const Context& ctx);

// The server a logged-in command talks to: --server/OCCHAT_SERVER, else the saved session's.
std::string session_server(const Context& ctx, const SavedSession& saved);

// Connects to the saved session's server (or the explicit --server) and resumes the saved token
// (announcing presence only if `options` say so). Throws unauthenticated "not logged in (run:
// occhat login ID)" when nothing is saved, and unauthenticated when the server no longer accepts
// the token.
LoggedInClient open_logged_in(Context& ctx, const SessionOptions& options = {});

}  // namespace occhat::cli

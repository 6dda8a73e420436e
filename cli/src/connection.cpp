#include "connection.hpp"

#include <filesystem>
#include <string_view>

#include "errors.hpp"

namespace occhat::cli {

Client::Options client_options(const SessionOptions& options) {
  Client::Options sdk;
  sdk.client_name = "occhat-cli/" OCCHAT_VERSION;
  sdk.keepalive_interval = options.keepalive_interval;
  sdk.tls = options.tls;
  sdk.tls_ca_file = options.ca_file;
  return sdk;
}

SessionOptions with_tls(const Context& ctx, const std::string& server, const SavedSession* saved,
                        SessionOptions options) {
  if (ctx.options.tls || !ctx.options.ca.empty()) {
    options.tls = true;
    options.ca_file = ctx.options.ca;
  } else if (saved != nullptr && saved->tls && saved->server == server) {
    options.tls = true;
    options.ca_file = saved->ca;
  }
  return options;
}

bool is_connection_error(const Error& e) {
  return e.code() == ErrorCode::unavailable || e.code() == ErrorCode::timeout;
}

void connect_client(Client& client, const std::string& server) {
  validate_server_address(server);
  try {
    client.connect(server);
  } catch (const Error& e) {
    if (!is_connection_error(e)) throw;
    // Name the address: with OCCHAT_SERVER or a saved session the user may not know which it was.
    const std::string_view why = e.what();
    const std::string prefix = "cannot reach server " + server;
    // The SDK's TLS messages name the address already ("TLS handshake with HOST:PORT failed: ...").
    if (why.starts_with("TLS handshake with")) throw;
    const bool is_list = server.find(',') != std::string::npos;
    if (why.find("requires TLS") != std::string_view::npos) {
      // A list: the SDK's message names every node and why; the hint goes after it.
      if (is_list) throw Error(e.code(), std::string(why) + " (use --tls, and --ca FILE for a private CA)");
      throw Error(e.code(), prefix + ": it requires TLS (use --tls, and --ca FILE for a private CA)");
    }
    if (why.starts_with(prefix)) throw;
    throw Error(e.code(), prefix + ": " + std::string(why));
  }
}

std::unique_ptr<Client> connect_to(const std::string& server, const SessionOptions& options) {
  validate_server_address(server);
  auto client = std::make_unique<Client>(client_options(options));
  connect_client(*client, server);
  return client;
}

Session resume_saved(Client& client, const SavedSession& saved, bool announce_presence) {
  try {
    return client.resume(saved.token, announce_presence);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::unauthenticated) throw;
    throw Error(ErrorCode::unauthenticated, "session expired or revoked (run: occhat login ID)");
  }
}

SavedSession require_session(const Context& ctx) {
  auto saved = ctx.home.load_session();
  if (!saved) throw not_logged_in();
  return std::move(*saved);
}

std::string session_server(const Context& ctx, const SavedSession& saved) {
  return resolve_server(ctx.options, saved.server);
}

ServerTarget remembered_server(const Context& ctx) {
  const auto saved = ctx.home.load_saved();
  const SavedSession* remembered = saved ? &*saved : nullptr;
  std::string server = resolve_server(ctx.options, remembered ? remembered->server : std::string());
  SessionOptions options = with_tls(ctx, server, remembered);
  return ServerTarget{std::move(server), std::move(options)};
}

SavedSession session_to_save(const std::string& server, const SessionOptions& connection, UserId user_id,
                             std::string token) {
  std::string ca = connection.ca_file;
  if (!ca.empty()) ca = std::filesystem::absolute(ca).lexically_normal().string();
  return SavedSession{server, user_id, std::move(token), connection.tls, std::move(ca)};
}

LoggedInClient open_logged_in(Context& ctx, const SessionOptions& options) {
  SavedSession saved = require_session(ctx);
  const std::string server = session_server(ctx, saved);
  auto client = connect_to(server, with_tls(ctx, server, &saved, options));
  Session session = resume_saved(*client, saved, options.announce_presence);
  return LoggedInClient{std::move(client), std::move(session), std::move(saved)};
}

}  // namespace occhat::cli

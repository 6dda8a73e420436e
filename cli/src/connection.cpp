#include "connection.hpp"

#include <string_view>

#include "errors.hpp"

namespace occhat::cli {

std::unique_ptr<Client> connect_to(const std::string& server) {
  validate_server_address(server);
  Client::Options options;
  options.client_name = "occhat-cli/0.1.0";
  auto client = std::make_unique<Client>(options);
  try {
    client->connect(server);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::unavailable && e.code() != ErrorCode::timeout) throw;
    // Name the address: with OCCHAT_SERVER or a saved session the user may not know which it was.
    const std::string_view why = e.what();
    const std::string prefix = "cannot reach server " + server;
    if (why.starts_with(prefix)) throw;
    throw Error(e.code(), prefix + ": " + std::string(why));
  }
  return client;
}

LoggedInClient open_logged_in(Context& ctx) {
  auto saved = ctx.home.load_session();
  if (!saved) throw not_logged_in();
  auto client = connect_to(resolve_server(ctx.options, saved->server));
  try {
    Session session = client->resume(saved->token, /*announce_presence=*/false);
    return LoggedInClient{std::move(client), std::move(session), std::move(*saved)};
  } catch (const Error& e) {
    if (e.code() != ErrorCode::unauthenticated) throw;
    throw Error(ErrorCode::unauthenticated,
                "session expired or revoked (run: occhat login ID)");
  }
}

}  // namespace occhat::cli

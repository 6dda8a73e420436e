// occhat logout: revokes the saved token on the server and drops it from session.json, which
// keeps the server for the next login.

#include "command.hpp"
#include "connection.hpp"
#include "errors.hpp"

namespace occhat::cli {
namespace {

class LogoutCommand final : public Command {
 public:
  std::string name() const override { return "logout"; }
  std::string description() const override { return "Revoke the saved session and forget it"; }

  void configure(CLI::App&) override {}

  void run(Context& ctx) override {
    if (!ctx.home.load_session()) throw not_logged_in();
    try {
      auto logged_in = open_logged_in(ctx);
      logged_in.client->logout();
    } catch (const Error& e) {
      // The local session goes whatever happens: the user asked to be logged out here, and a
      // token the server cannot be told about (unreachable) stays revocable by logging in again.
      ctx.home.forget_token();
      // A token the server no longer accepts is already as revoked as it gets.
      if (e.code() != ErrorCode::unauthenticated) throw;
    }
    ctx.home.forget_token();
    ctx.out.result("logged out", Json{{"ok", true}});
  }
};

}  // namespace

std::unique_ptr<Command> make_logout_command() { return std::make_unique<LogoutCommand>(); }

}  // namespace occhat::cli

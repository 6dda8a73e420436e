// occhat login ID [--password-stdin]: logs in and saves the session token in the home directory.
// The session it replaces (a saved token of the same server) and tokens a `logout` could not
// revoke (pending_revocations.hpp) are revoked by the same login, so no token given up here
// stays valid on the server.

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "password.hpp"
#include "pending_revocations.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

class LoginCommand final : public Command {
 public:
  std::string name() const override { return "login"; }
  std::string description() const override { return "Log in and remember the session"; }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "Your 6-digit user id")->required()->check(user_id_validator());
    sub.add_flag("--password-stdin", password_stdin_,
                 "Read the password from the first line of stdin instead of prompting");
  }

  void run(Context& ctx) override {
    const UserId id = parse_user_id(id_);
    const std::string password = read_password(password_stdin_);
    const auto [server, connection] = remembered_server(ctx);
    const PendingRevocations pending(ctx.home);
    std::vector<std::string> revoke = pending.for_server(server);
    if (const auto saved = ctx.home.load_session(); saved && saved->server == server) revoke.push_back(saved->token);
    auto client = connect_to(server, connection);
    const Session session = client->login(id, password, /*announce_presence=*/false, revoke);
    // TLS is remembered with the session, so later commands to this server use it too.
    ctx.home.save_session(session_to_save(server, connection, session.user.id, session.token));
    pending.clear(server);
    std::string text = "logged in as " + std::to_string(session.user.id) + " (" + escape_for_terminal(session.user.nick) + ")";
    if (session.revoked_sessions > 0) {
      text += "; revoked " + std::to_string(session.revoked_sessions) + " earlier session" +
              (session.revoked_sessions == 1 ? "" : "s");
    }
    ctx.out.result(text, Json{{"id", session.user.id},
                              {"nick", session.user.nick},
                              {"revoked_sessions", session.revoked_sessions}});
  }

 private:
  std::string id_;
  bool password_stdin_ = false;
};

}  // namespace

std::unique_ptr<Command> make_login_command() { return std::make_unique<LoginCommand>(); }

}  // namespace occhat::cli

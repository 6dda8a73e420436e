// occhat login ID [--password-stdin]: logs in and saves the session token in the home directory.

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "password.hpp"
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
    auto client = connect_to(server, connection);
    const Session session = client->login(id, password, /*announce_presence=*/false);
    // TLS is remembered with the session, so later commands to this server use it too.
    ctx.home.save_session(session_to_save(server, connection, session.user.id, session.token));
    ctx.out.result("logged in as " + std::to_string(session.user.id) + " (" +
                       escape_for_terminal(session.user.nick) + ")",
                   Json{{"id", session.user.id}, {"nick", session.user.nick}});
  }

 private:
  std::string id_;
  bool password_stdin_ = false;
};

}  // namespace

std::unique_ptr<Command> make_login_command() { return std::make_unique<LoginCommand>(); }

}  // namespace occhat::cli

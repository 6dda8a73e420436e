// occhat register --email E --nick N [--password-stdin]: creates an account, prints its id.
// Does not log in: the id is needed for `occhat login ID` anyway and is worth writing down.
// When this home has no session yet, the server (and its TLS settings) is remembered, so the
// `occhat login ID` that follows goes to the server the account was just made on.

#include "command.hpp"
#include "connection.hpp"
#include "password.hpp"

namespace occhat::cli {
namespace {

// A logged-in session stays as it is: registering a second account (a bot's, say) must not
// move the user's own session to another server.
void remember_server_unless_logged_in(const Context& ctx, const std::string& server,
                                      const SessionOptions& connection) {
  const auto saved = ctx.home.load_saved();
  if (saved && !saved->token.empty()) return;
  ctx.home.save_session(session_to_save(server, connection, 0, {}));
}

class RegisterCommand final : public Command {
 public:
  std::string name() const override { return "register"; }
  std::string description() const override { return "Create an account and print its new 6-digit id"; }

  void configure(CLI::App& sub) override {
    sub.add_option("--email", email_, "E-mail address")->required();
    sub.add_option("--nick", nick_, "Nickname shown to others (1..32 characters)")->required();
    sub.add_flag("--password-stdin", password_stdin_,
                 "Read the password from the first line of stdin instead of prompting");
  }

  void run(Context& ctx) override {
    // Read the password before connecting: typing it should not race a server timeout.
    const std::string password = read_new_password(password_stdin_);
    const auto [server, connection] = remembered_server(ctx);
    auto client = connect_to(server, connection);
    const UserId id = client->register_user(email_, nick_, password);
    remember_server_unless_logged_in(ctx, server, connection);
    ctx.out.result(std::to_string(id), Json{{"id", id}, {"nick", nick_}, {"email", email_}});
  }

 private:
  std::string email_;
  std::string nick_;
  bool password_stdin_ = false;
};

}  // namespace

std::unique_ptr<Command> make_register_command() { return std::make_unique<RegisterCommand>(); }

}  // namespace occhat::cli

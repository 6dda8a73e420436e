// occhat passwd [--password-stdin]: changes the password. Every other session of the user is
// revoked (their connections closed); this home stays logged in.

#include "command.hpp"
#include "connection.hpp"
#include "password.hpp"

namespace occhat::cli {
namespace {

class PasswdCommand final : public Command {
 public:
  std::string name() const override { return "passwd"; }
  std::string description() const override { return "Change your password (ends your other sessions)"; }

  void configure(CLI::App& sub) override {
    sub.add_flag("--password-stdin", password_stdin_,
                 "Read the current password from the first line of stdin and the new one from the second");
  }

  void run(Context& ctx) override {
    require_session(ctx);  // "not logged in" before any prompt
    const PasswordChange change = read_password_change(password_stdin_);
    const auto logged_in = open_logged_in(ctx);
    logged_in.client->change_password(change.current, change.replacement);
    ctx.out.result("password changed; your other sessions were logged out", Json{{"ok", true}});
  }

 private:
  bool password_stdin_ = false;
};

}  // namespace

std::unique_ptr<Command> make_passwd_command() { return std::make_unique<PasswdCommand>(); }

}  // namespace occhat::cli

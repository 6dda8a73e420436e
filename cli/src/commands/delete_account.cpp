// occhat delete-account [--yes] [--password-stdin]: deletes the logged-in account for good
// (README "delete-account" says what goes and what stays). Asks for the password; without --yes
// it asks for confirmation on the terminal, and refuses to go on without one.

#include <unistd.h>

#include <iostream>

#include "command.hpp"
#include "connection.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "password.hpp"

namespace occhat::cli {
namespace {

class DeleteAccountCommand final : public Command {
 public:
  std::string name() const override { return "delete-account"; }
  std::string description() const override { return "Delete your account for good (asks for the password)"; }

  void configure(CLI::App& sub) override {
    sub.add_flag("--yes", yes_, "Do not ask for confirmation");
    sub.add_flag("--password-stdin", password_stdin_,
                 "Read the password from the first line of stdin instead of prompting");
  }

  void run(Context& ctx) override {
    const SavedSession saved = require_session(ctx);
    if (!yes_) confirm(saved.user_id);
    const std::string password = read_password(password_stdin_);
    const auto logged_in = open_logged_in(ctx);
    logged_in.client->delete_account(password);
    ctx.home.forget_token();
    ctx.out.result("deleted account " + std::to_string(saved.user_id) +
                       "; messages and files others received stay in their history",
                   Json{{"ok", true}, {"id", saved.user_id}});
  }

 private:
  // Asks on the terminal; with no terminal to ask on, a script must say --yes.
  void confirm(UserId id) const {
    if (password_stdin_ || ::isatty(STDIN_FILENO) == 0) {
      throw usage_error("deleting an account cannot be undone: confirm with --yes");
    }
    std::cerr << "Delete account " << id << " and everything in it for good? Type 'yes' to confirm: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "yes") throw usage_error("not confirmed: the account stays");
  }

  bool yes_ = false;
  bool password_stdin_ = false;
};

}  // namespace

std::unique_ptr<Command> make_delete_account_command() { return std::make_unique<DeleteAccountCommand>(); }

}  // namespace occhat::cli

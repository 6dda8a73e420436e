// occhat register --email E --nick N [--password-stdin]: creates an account, prints its id.
// Does not log in: the id is needed for `occhat login ID` anyway and is worth writing down.

#include "command.hpp"
#include "connection.hpp"
#include "password.hpp"

namespace occhat::cli {
namespace {

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

// occhat find ID: looks a user up by id.

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "result_json.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

class FindCommand final : public Command {
 public:
  std::string name() const override { return "find"; }
  std::string description() const override { return "Look a user up by id"; }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The 6-digit user id")->required()->check(user_id_validator());
  }

  void run(Context& ctx) override {
    const UserId id = parse_user_id(id_);
    const auto logged_in = open_logged_in(ctx);
    const UserInfo user = logged_in.client->find_user(id);
    ctx.out.result(std::to_string(user.id) + " " + escape_for_terminal(user.nick), found_user_json(user));
  }

 private:
  std::string id_;
};

}  // namespace

std::unique_ptr<Command> make_find_command() { return std::make_unique<FindCommand>(); }

}  // namespace occhat::cli

// occhat remove ID: ends a friendship, or withdraws / declines a pending request.

#include "command.hpp"
#include "connection.hpp"
#include "result_json.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

class RemoveCommand final : public Command {
 public:
  std::string name() const override { return "remove"; }
  std::string description() const override {
    return "End a friendship, or withdraw / decline a friend request";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The 6-digit user id")->required()->check(user_id_validator());
  }

  void run(Context& ctx) override {
    const UserId id = parse_user_id(id_);
    const auto logged_in = open_logged_in(ctx);
    logged_in.client->remove_friend(id);
    ctx.out.result("removed " + std::to_string(id), removed_friend_json(id));
  }

 private:
  std::string id_;
};

}  // namespace

std::unique_ptr<Command> make_remove_command() { return std::make_unique<RemoveCommand>(); }

}  // namespace occhat::cli

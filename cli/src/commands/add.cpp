// occhat add ID: sends a friend request, or accepts the other user's pending one.

#include "command.hpp"
#include "connection.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "result_json.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

class AddCommand final : public Command {
 public:
  std::string name() const override { return "add"; }
  std::string description() const override {
    return "Send a friend request, or accept one (both users add each other)";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The 6-digit user id")->required()->check(user_id_validator());
  }

  void run(Context& ctx) override {
    const UserId id = parse_user_id(id_);
    const auto logged_in = open_logged_in(ctx);
    if (id == logged_in.session.user.id) throw usage_error("you cannot add yourself as a friend");
    const AddFriendResult result = logged_in.client->add_friend(id);
    const std::string who =
        escape_for_terminal(result.user.nick) + " (" + std::to_string(result.user.id) + ")";
    std::string text;
    switch (result.state) {
      case AddFriendState::requested:
        text = "friend request sent to " + who;
        break;
      case AddFriendState::now_friends:
        text = "you and " + who + " are now friends";
        break;
      case AddFriendState::already_friends:
        text = "already friends with " + who;
        break;
    }
    ctx.out.result(text, add_friend_json(result));
  }

 private:
  std::string id_;
};

}  // namespace

std::unique_ptr<Command> make_add_command() { return std::make_unique<AddCommand>(); }

}  // namespace occhat::cli

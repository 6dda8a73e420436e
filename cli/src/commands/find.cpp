// occhat find ID: looks a user up by id. occhat find --nick TEXT [--exact]: users who let
// themselves be found (`occhat discoverable on`) whose nick starts with TEXT (or is TEXT), at
// most 20. Both count against the server's lookup limit (--find-rate).

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
  std::string description() const override { return "Look a user up by id, or by nick among those who allow it"; }

  void configure(CLI::App& sub) override {
    auto* id = sub.add_option("ID", id_, "The 6-digit user id")->check(user_id_validator());
    auto* nick = sub.add_option("--nick", nick_, "Find by nick: nicks starting with this (ASCII case ignored)")
                     ->excludes(id);
    sub.add_flag("--exact", exact_, "With --nick: only nicks equal to it")->needs(nick);
    sub.callback([this, id, nick] {
      if (id->count() == 0 && nick->count() == 0) throw CLI::RequiredError("ID or --nick");
    });
  }

  void run(Context& ctx) override {
    if (!nick_.empty() || exact_) {
      find_by_nick(ctx);
      return;
    }
    const UserId id = parse_user_id(id_);
    const auto logged_in = open_logged_in(ctx);
    const UserInfo user = logged_in.client->find_user(id);
    ctx.out.result(std::to_string(user.id) + " " + escape_for_terminal(user.nick), found_user_json(user));
  }

 private:
  void find_by_nick(Context& ctx) {
    const auto logged_in = open_logged_in(ctx);
    for (const UserInfo& user : logged_in.client->find_users(nick_, !exact_)) {
      ctx.out.result(std::to_string(user.id) + " " + escape_for_terminal(user.nick),
                     Json{{"id", user.id}, {"nick", user.nick}});
    }
  }

  std::string id_;
  std::string nick_;
  bool exact_ = false;
};

}  // namespace

std::unique_ptr<Command> make_find_command() { return std::make_unique<FindCommand>(); }

}  // namespace occhat::cli

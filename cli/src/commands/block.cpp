// occhat block ID, occhat unblock ID, occhat blocked: a blocked user's friend requests, room
// invitations and room messages never reach you (they are not told).

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "result_json.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

class BlockCommand final : public Command {
 public:
  explicit BlockCommand(bool unblock) : unblock_(unblock) {}

  std::string name() const override { return unblock_ ? "unblock" : "block"; }
  std::string description() const override {
    return unblock_ ? "Lift a block" : "Block a user (ends any friendship; they are not told)";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The 6-digit user id")->required()->check(user_id_validator());
  }

  void run(Context& ctx) override {
    const UserId id = parse_user_id(id_);
    const auto logged_in = open_logged_in(ctx);
    if (unblock_) {
      logged_in.client->unblock_user(id);
    } else {
      logged_in.client->block_user(id);
    }
    ctx.out.result(std::string(unblock_ ? "unblocked " : "blocked ") + id_,
                   block_json(id, !unblock_));
  }

 private:
  bool unblock_;
  std::string id_;
};

class BlockedCommand final : public Command {
 public:
  std::string name() const override { return "blocked"; }
  std::string description() const override { return "List the users you blocked"; }

  void configure(CLI::App&) override {}

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    for (const UserInfo& u : logged_in.client->blocked_users()) {
      ctx.out.result(std::to_string(u.id) + " " + escape_for_terminal(u.nick), user_ref_json(u));
    }
  }
};

}  // namespace

std::unique_ptr<Command> make_block_command() { return std::make_unique<BlockCommand>(false); }
std::unique_ptr<Command> make_unblock_command() { return std::make_unique<BlockCommand>(true); }
std::unique_ptr<Command> make_blocked_command() { return std::make_unique<BlockedCommand>(); }

}  // namespace occhat::cli

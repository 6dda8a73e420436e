// occhat nick NAME, occhat discoverable on|off: what others see of you and whether they may
// find you by nick (`occhat find --nick`).

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"

namespace occhat::cli {
namespace {

class NickCommand final : public Command {
 public:
  std::string name() const override { return "nick"; }
  std::string description() const override { return "Change your nick (friends see the new one)"; }

  void configure(CLI::App& sub) override {
    sub.add_option("NAME", nick_, "The new nick: 1 to 32 characters")->required();
  }

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    const UserInfo user = logged_in.client->set_nick(nick_);
    ctx.out.result("your nick is now " + escape_for_terminal(user.nick), Json{{"id", user.id}, {"nick", user.nick}});
  }

 private:
  std::string nick_;
};

class DiscoverableCommand final : public Command {
 public:
  std::string name() const override { return "discoverable"; }
  std::string description() const override { return "Let others find you by nick (on) or not (off, the default)"; }

  void configure(CLI::App& sub) override {
    sub.add_option("SETTING", setting_, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  }

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    const UserInfo user = logged_in.client->set_discoverable(setting_ == "on");
    ctx.out.result(user.discoverable ? "others can find you by nick (occhat find --nick)"
                                     : "others can no longer find you by nick (only by id)",
                   Json{{"id", user.id}, {"discoverable", user.discoverable}});
  }

 private:
  std::string setting_;
};

}  // namespace

std::unique_ptr<Command> make_nick_command() { return std::make_unique<NickCommand>(); }
std::unique_ptr<Command> make_discoverable_command() { return std::make_unique<DiscoverableCommand>(); }

}  // namespace occhat::cli

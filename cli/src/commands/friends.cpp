// occhat friends: the friend list, online first, then offline.

#include <iostream>
#include <sstream>

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"

namespace occhat::cli {
namespace {

class FriendsCommand final : public Command {
 public:
  std::string name() const override { return "friends"; }
  std::string description() const override { return "List your friends, online first"; }

  void configure(CLI::App&) override {}

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    const std::vector<Friend> friends = logged_in.client->friends();
    if (ctx.out.json()) {
      for (const Friend& f : friends) {
        ctx.out.result({}, Json{{"id", f.id}, {"nick", f.nick}, {"online", f.online}, {"unread", f.unread}});
      }
      return;
    }
    std::ostringstream text;
    print_friend_sections(text, friends);
    std::cout << text.str() << std::flush;
  }
};

}  // namespace

std::unique_ptr<Command> make_friends_command() { return std::make_unique<FriendsCommand>(); }

}  // namespace occhat::cli

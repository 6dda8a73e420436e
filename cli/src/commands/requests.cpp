// occhat requests: pending friend requests, incoming then outgoing, oldest first.

#include <iostream>
#include <sstream>

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "result_json.hpp"

namespace occhat::cli {
namespace {

class RequestsCommand final : public Command {
 public:
  std::string name() const override { return "requests"; }
  std::string description() const override { return "List pending friend requests"; }

  void configure(CLI::App&) override {}

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    const FriendRequests requests = logged_in.client->friend_requests();
    const std::pair<const char*, const std::vector<PendingFriendRequest>*> sections[] = {
        {"incoming", &requests.incoming}, {"outgoing", &requests.outgoing}};

    if (ctx.out.json()) {
      // JSON Lines: one object per request, nothing when there are none.
      for (const auto& [direction, list] : sections) {
        for (const PendingFriendRequest& r : *list) {
          ctx.out.result({}, request_json(r, direction));
        }
      }
      return;
    }
    std::ostringstream text;
    print_request_sections(text, requests);
    std::cout << text.str() << std::flush;
  }
};

}  // namespace

std::unique_ptr<Command> make_requests_command() { return std::make_unique<RequestsCommand>(); }

}  // namespace occhat::cli

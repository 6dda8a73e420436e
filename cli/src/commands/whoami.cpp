// occhat whoami: shows the logged-in user. It resumes the token on the server rather than trusting
// session.json, so a revoked session is reported as one.

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "result_json.hpp"

namespace occhat::cli {
namespace {

class WhoamiCommand final : public Command {
 public:
  std::string name() const override { return "whoami"; }
  std::string description() const override { return "Show the logged-in user"; }

  void configure(CLI::App&) override {}

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    const UserInfo& user = logged_in.session.user;
    // Discoverability is opt-in: only shown in the text when it is on.
    ctx.out.result(std::to_string(user.id) + " " + escape_for_terminal(user.nick) + " <" +
                       escape_for_terminal(user.email) + ">" +
                       (user.discoverable ? " (discoverable by nick)" : ""),
                   whoami_json(user));
  }
};

}  // namespace

std::unique_ptr<Command> make_whoami_command() { return std::make_unique<WhoamiCommand>(); }

}  // namespace occhat::cli

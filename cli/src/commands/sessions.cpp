// occhat sessions: your sessions (logins not yet revoked), oldest first; `*` marks this home's.
// End one with `occhat logout --session ID`, all with `occhat logout --all`.

#include "command.hpp"
#include "result_json.hpp"
#include "connection.hpp"
#include "event_format.hpp"

namespace occhat::cli {
namespace {

class SessionsCommand final : public Command {
 public:
  std::string name() const override { return "sessions"; }
  std::string description() const override { return "List your sessions (devices and scripts logged in as you)"; }

  void configure(CLI::App&) override {}

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    for (const SessionInfo& s : logged_in.client->sessions()) {
      const std::string text = std::string(s.current ? "* " : "  ") + s.id + "  " +
                               escape_for_terminal(s.client_name.empty() ? "?" : s.client_name) + "  from " +
                               escape_for_terminal(s.last_address.empty() ? "?" : s.last_address) + "  created " +
                               format_time_local(s.created_ms) + "  last seen " + format_time_local(s.last_seen_ms);
      ctx.out.result(text, session_json(s));
    }
  }
};

}  // namespace

std::unique_ptr<Command> make_sessions_command() { return std::make_unique<SessionsCommand>(); }

}  // namespace occhat::cli

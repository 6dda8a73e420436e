// occhat logout [--all | --session ID]: revokes the saved token on the server (--all: every
// session of the user; --session: one other session by the id `occhat sessions` shows) and drops
// it from session.json, which keeps the server for the next login. A server that cannot be
// reached cannot revoke the token: it is kept in revoke.json and revoked by the next login.

#include "command.hpp"
#include "connection.hpp"
#include "errors.hpp"
#include "pending_revocations.hpp"

namespace occhat::cli {
namespace {

class LogoutCommand final : public Command {
 public:
  std::string name() const override { return "logout"; }
  std::string description() const override { return "Revoke the saved session (or all of them) and forget it"; }

  void configure(CLI::App& sub) override {
    auto* all = sub.add_flag("--all", all_, "End every session of yours, on every device (live connections are closed)");
    sub.add_option("--session", session_id_, "End one of your sessions by its id (see: occhat sessions)")
        ->excludes(all)
        ->check(CLI::Validator(
            [](const std::string& id) -> std::string {
              const bool ok = id.size() == 12 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
              return ok ? std::string() : "a session id is 12 hex digits (see: occhat sessions)";
            },
            "ID"));
  }

  void run(Context& ctx) override {
    const SavedSession saved = require_session(ctx);
    if (!session_id_.empty()) {
      end_one(ctx);
      return;
    }
    try {
      auto logged_in = open_logged_in(ctx);
      if (all_) {
        logged_in.client->logout_all();
      } else {
        logged_in.client->logout();
      }
    } catch (const Error& e) {
      // The local session goes whatever happens: the user asked to be logged out here.
      ctx.home.forget_token();
      if (is_connection_error(e)) {
        // The server still accepts the token: the next login to it revokes it.
        PendingRevocations(ctx.home).add(session_server(ctx, saved), saved.token);
        // --all could not reach the other sessions: say so rather than promise it.
        throw Error(e.code(), std::string(e.what()) +
                                  "; logged out here, the session will be revoked at your next login" +
                                  (all_ ? " (your other sessions were not ended)" : ""));
      }
      // A token the server no longer accepts is already as revoked as it gets.
      if (e.code() != ErrorCode::unauthenticated) throw;
    }
    ctx.home.forget_token();
    ctx.out.result(all_ ? "logged out everywhere" : "logged out", all_ ? Json{{"ok", true}, {"all", true}} : Json{{"ok", true}});
  }

 private:
  // Ends another session; ending this one's own id is a plain logout.
  void end_one(Context& ctx) {
    auto logged_in = open_logged_in(ctx);
    bool own = false;
    for (const auto& s : logged_in.client->sessions()) {
      if (s.id == session_id_ && s.current) own = true;
    }
    logged_in.client->end_session(session_id_);
    if (own) ctx.home.forget_token();
    ctx.out.result("ended session " + session_id_ + (own ? " (this one: logged out)" : ""),
                   Json{{"ok", true}, {"session", session_id_}, {"current", own}});
  }

  bool all_ = false;
  std::string session_id_;
};

}  // namespace

std::unique_ptr<Command> make_logout_command() { return std::make_unique<LogoutCommand>(); }

}  // namespace occhat::cli

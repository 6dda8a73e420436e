// occhat history ID | --room ROOM [--limit N] [--before MSG_ID]: the conversation with one user,
// or a room's messages since you joined it, oldest first.

#include <iostream>
#include <string>

#include "command.hpp"
#include "connection.hpp"
#include "destination.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "older_page_hint.hpp"
#include "occhat/proto/limits.hpp"

namespace occhat::cli {
namespace {

constexpr long long kMaxLimit = proto::kMaxHistoryLimit;

class HistoryCommand final : public Command {
 public:
  std::string name() const override { return "history"; }
  std::string description() const override {
    return "Show the messages between you and a user (or of a room), oldest first";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The other user's 6-digit id (not with --room)");
    add_room_option(sub, room_, "Show room ROOM's messages");
    sub.add_option("--limit", limit_,
                   "At most N messages, 1.." + std::to_string(kMaxLimit) + " (default " +
                       std::to_string(proto::kDefaultHistoryLimit) + ")")->type_name("N");
    sub.add_option("--before", before_, "Only messages older than this message id")
        ->type_name("MSG_ID");
  }

  void run(Context& ctx) override {
    const Destination peer = resolve_destination(room_, id_, nullptr);
    if (limit_ < 1 || limit_ > kMaxLimit) throw usage_error("--limit must be between 1 and " + std::to_string(kMaxLimit));
    if (before_ && *before_ < 1) throw usage_error("--before must be a message id (1 or more)");

    const auto logged_in = open_logged_in(ctx);
    const auto limit = static_cast<std::uint32_t>(limit_);
    const MessageId before = before_ ? static_cast<MessageId>(*before_) : 0;
    const HistoryPage page = peer.room != 0 ? logged_in.client->room_history(peer.room, limit, before)
                                            : logged_in.client->history(peer.user, limit, before);
    for (const Message& m : page.messages) ctx.out.result(format_history_line(m), message_json(m));
    if (page.more && !page.messages.empty()) print_older_page_hint(ctx.out, "history", peer, page.messages.front().id);
  }

 private:
  std::optional<std::string> id_;
  std::optional<std::string> room_;
  long long limit_ = proto::kDefaultHistoryLimit;
  std::optional<long long> before_;
};

}  // namespace

std::unique_ptr<Command> make_history_command() { return std::make_unique<HistoryCommand>(); }

}  // namespace occhat::cli

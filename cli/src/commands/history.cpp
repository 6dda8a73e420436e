// occhat history ID [--limit N] [--before MSG_ID]: the conversation with one user, oldest first.

#include <iostream>
#include <string>

#include "command.hpp"
#include "connection.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "occhat/proto/limits.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

constexpr long long kMaxLimit = proto::kMaxHistoryLimit;

class HistoryCommand final : public Command {
 public:
  std::string name() const override { return "history"; }
  std::string description() const override {
    return "Show the messages between you and a user, oldest first";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The other user's 6-digit id")->required()->check(user_id_validator());
    sub.add_option("--limit", limit_,
                   "At most N messages, 1.." + std::to_string(kMaxLimit) + " (default " +
                       std::to_string(proto::kDefaultHistoryLimit) + ")")->type_name("N");
    sub.add_option("--before", before_, "Only messages older than this message id")
        ->type_name("MSG_ID");
  }

  void run(Context& ctx) override {
    const UserId peer = parse_user_id(id_);
    if (limit_ < 1 || limit_ > kMaxLimit) throw usage_error("--limit must be between 1 and " + std::to_string(kMaxLimit));
    if (before_ && *before_ < 1) throw usage_error("--before must be a message id (1 or more)");

    const auto logged_in = open_logged_in(ctx);
    const HistoryPage page = logged_in.client->history(
        peer, static_cast<std::uint32_t>(limit_), before_ ? static_cast<MessageId>(*before_) : 0);
    for (const Message& m : page.messages) ctx.out.result(format_history_line(m), message_json(m));
    if (page.more && !page.messages.empty() && !ctx.out.json()) {
      std::cerr << "(older: occhat history " << peer << " --before " << page.messages.front().id
                << ")\n"
                << std::flush;
    }
  }

 private:
  std::string id_;
  long long limit_ = proto::kDefaultHistoryLimit;
  std::optional<long long> before_;
};

}  // namespace

std::unique_ptr<Command> make_history_command() { return std::make_unique<HistoryCommand>(); }

}  // namespace occhat::cli

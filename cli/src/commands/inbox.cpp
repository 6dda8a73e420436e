// occhat inbox [--peek] [--limit N] [--reset-cursor]: prints pending inbox events oldest first,
// then acknowledges them (not with --peek). The cursor file makes a run killed between printing
// and acking skip what it already showed next time; a server whose inbox went back below the
// cursor (restored from a backup) is noticed and its pending events are shown, not skipped.

#include <algorithm>
#include <iostream>

#include "command.hpp"
#include "connection.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "friend_request_state.hpp"
#include "inbox_cursor.hpp"
#include "occhat/proto/limits.hpp"

namespace occhat::cli {
namespace {

constexpr std::uint32_t kPageSize = proto::kMaxInboxFetchLimit;
constexpr std::size_t kAckEvery = 256;

class InboxCommand final : public Command {
 public:
  std::string name() const override { return "inbox"; }
  std::string description() const override {
    return "Print pending messages, friend requests and file notices, then acknowledge them";
  }

  void configure(CLI::App& sub) override {
    sub.add_flag("--peek", peek_, "Print without acknowledging (they stay pending)");
    sub.add_option("--limit", limit_, "Print at most N events")->type_name("N");
    sub.add_flag("--reset-cursor", reset_cursor_,
                 "Forget which events this home has shown and print every event the server still has "
                 "pending (e.g. after the server's data was restored from a backup)");
  }

  void run(Context& ctx) override {
    if (limit_ && *limit_ < 1) throw usage_error("--limit must be at least 1");
    const auto logged_in = open_logged_in(ctx);
    Client& client = *logged_in.client;
    InboxCursor cursor(ctx.home.dir(), logged_in.session.user.id);
    if (reset_cursor_) {
      cursor.reset(/*keep_files=*/peek_);
    } else if (const auto warning = cursor.sync(client)) {
      report_cursor_warning(ctx.out, *warning);
    }

    FriendRequestState requests(client);
    Seq after = cursor.value();
    std::size_t printed = 0;
    std::size_t since_ack = 0;
    bool more = true;
    while (more && (!limit_ || printed < static_cast<std::size_t>(*limit_))) {
      std::uint32_t page_size = kPageSize;
      if (limit_) {
        page_size = static_cast<std::uint32_t>(
            std::min<long long>(kPageSize, *limit_ - static_cast<long long>(printed)));
      }
      const InboxPage page = client.fetch_inbox(after, page_size);
      more = page.more && !page.events.empty();
      for (const Event& e : page.events) {
        if (limit_ && printed >= static_cast<std::size_t>(*limit_)) {
          more = false;
          break;
        }
        after = std::max(after, e.seq);
        if (const auto warning = cursor.check_event(e.seq)) report_cursor_warning(ctx.out, *warning);
        if (e.seq <= cursor.value()) continue;  // shown by an earlier run that died before acking
        const bool is_request = e.type == "friend_request" && !e.accepted;
        const std::string text =
            format_event_line(e, is_request ? requests.now(e.user.id) : FriendRequestNow::pending);
        const Json json = event_json(e);
        ++printed;
        if (peek_) {
          ctx.out.result(text, json);
          continue;
        }
        cursor.prepare(e);
        ctx.out.result(text, json);
        cursor.commit();
        if (++since_ack == kAckEvery) {
          client.ack(cursor.value());
          since_ack = 0;
        }
      }
    }
    // Also acknowledges what an earlier run showed but could not ack (sync() checked that the
    // server's events up to the cursor are the ones shown; it never acknowledges past them).
    if (!peek_ && cursor.value() > 0) client.ack(cursor.value());
  }

 private:
  bool peek_ = false;
  bool reset_cursor_ = false;
  std::optional<long long> limit_;
};

}  // namespace

std::unique_ptr<Command> make_inbox_command() { return std::make_unique<InboxCommand>(); }

}  // namespace occhat::cli

// occhat send ID TEXT | --stdin [--client-id CID]: sends messages to a friend.
// occhat send --room ROOM TEXT | --stdin [--client-id CID]: the same to a room.
//
// Exit 0 means the server has stored the message. A client id makes a retry safe: the server
// answers a repeated id with the original message (printed as "already sent"). Beyond the
// server's --message-rate a send waits as long as the server says and goes again.

#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "command.hpp"
#include "connection.hpp"
#include "destination.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "result_json.hpp"
#include "occhat/proto/limits.hpp"

namespace occhat::cli {
namespace {

// The longest a single message waits in all for the server's rate limit before the send fails
// with exit 6 after all: a script piping more than the server allows is paced, not hung.
constexpr std::chrono::seconds kMaxRateLimitWait{30};

// A RATE_LIMITED answer means nothing was stored, so sending the same message again after the
// wait the server named is safe, with or without a client id.
SendResult send_paced(Client& client, const Destination& to, const std::string& text, const std::string& client_id) {
  std::chrono::milliseconds waited{0};
  for (;;) {
    try {
      if (to.room != 0) return client.send_room_message(to.room, text, client_id);
      return client.send_message(to.user, text, client_id);
    } catch (const Error& e) {
      const auto wait = e.retry_after();
      if (e.code() != ErrorCode::rate_limited || wait.count() <= 0 || waited + wait > kMaxRateLimitWait) throw;
      std::this_thread::sleep_for(wait);
      waited += wait;
    }
  }
}

class SendCommand final : public Command {
 public:
  std::string name() const override { return "send"; }
  std::string description() const override {
    return "Send a message to a friend or a room (TEXT, or each line of stdin with --stdin)";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The friend's 6-digit user id (not with --room)");
    sub.add_option("TEXT", text_, "The message (UTF-8, up to " + std::to_string(proto::kMaxTextBytes) + " bytes)");
    sub.add_flag("--stdin", from_stdin_,
                 "Send each non-empty line of stdin as one message, in order");
    sub.add_option("--client-id", client_id_,
                   "Client message id (up to 64 bytes) making a retry safe; with --stdin line K "
                   "gets CID:K")
        ->type_name("CID");
    add_room_option(sub, room_, "Send to room ROOM");
  }

  void run(Context& ctx) override {
    const Destination to = resolve_destination(room_, id_, &text_);
    if (text_ && from_stdin_) throw usage_error("give either TEXT or --stdin, not both");
    if (!text_ && !from_stdin_) throw usage_error("nothing to send: give TEXT or --stdin");
    if (text_ && text_->empty()) throw usage_error("the message text is empty");

    const auto logged_in = open_logged_in(ctx);
    if (text_) {
      send_one(ctx, *logged_in.client, to, *text_, client_id_.value_or(std::string()));
      return;
    }
    std::string line;
    for (std::size_t number = 1; std::getline(std::cin, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      // Numbered by input line, so re-running the same input retries the same ids.
      const std::string id = client_id_ ? *client_id_ + ":" + std::to_string(number) : std::string();
      send_one(ctx, *logged_in.client, to, line, id);
    }
  }

 private:
  static void send_one(Context& ctx, Client& client, const Destination& to, const std::string& text,
                       const std::string& client_id) {
    const SendResult sent = send_paced(client, to, text, client_id);
    const std::string id = std::to_string(sent.id);
    ctx.out.result(sent.duplicate ? "already sent: message " + id : "sent message " + id, send_result_json(sent, to));
  }

  std::optional<std::string> id_;
  std::optional<std::string> room_;
  std::optional<std::string> text_;
  bool from_stdin_ = false;
  std::optional<std::string> client_id_;
};

}  // namespace

std::unique_ptr<Command> make_send_command() { return std::make_unique<SendCommand>(); }

}  // namespace occhat::cli

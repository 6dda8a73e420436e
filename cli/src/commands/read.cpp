// occhat read ID | --room ROOM: marks a conversation read (its unread count in `friends` or
// `rooms` drops to 0) without showing it, as opening it in a messenger would.

#include <string>

#include "command.hpp"
#include "connection.hpp"
#include "destination.hpp"

namespace occhat::cli {
namespace {

class ReadCommand final : public Command {
 public:
  std::string name() const override { return "read"; }
  std::string description() const override {
    return "Mark the conversation with a user (or a room) read, without showing it";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The other user's 6-digit id (not with --room)");
    add_room_option(sub, room_, "Mark room ROOM read");
  }

  void run(Context& ctx) override {
    const Destination where = resolve_destination(room_, id_, nullptr);
    const auto logged_in = open_logged_in(ctx);
    if (where.room != 0) {
      logged_in.client->mark_room_read(where.room);
      ctx.out.result("marked room " + std::to_string(where.room) + " read",
                     Json{{"ok", true}, {"room", where.room}});
    } else {
      logged_in.client->mark_read(where.user);
      ctx.out.result("marked the conversation with " + std::to_string(where.user) + " read",
                     Json{{"ok", true}, {"id", where.user}});
    }
  }

 private:
  std::optional<std::string> id_;
  std::optional<std::string> room_;
};

}  // namespace

std::unique_ptr<Command> make_read_command() { return std::make_unique<ReadCommand>(); }

}  // namespace occhat::cli

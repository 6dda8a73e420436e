// occhat rooms: the rooms you are a member of, then your pending invitations.
//
// Text: "rooms:" and "invitations:" sections (like `friends`). JSON Lines: one object per room
// and per invitation; invitations have "invited": true and "invited_by".

#include <iostream>
#include <sstream>

#include "command.hpp"
#include "connection.hpp"
#include "room_format.hpp"

namespace occhat::cli {
namespace {

class RoomsCommand final : public Command {
 public:
  std::string name() const override { return "rooms"; }
  std::string description() const override { return "List your rooms and pending room invitations"; }

  void configure(CLI::App&) override {}

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    const RoomList list = logged_in.client->rooms();
    if (ctx.out.json()) {
      for (const Room& r : list.rooms) ctx.out.result({}, room_json(r, false));
      for (const Room& r : list.invites) ctx.out.result({}, room_json(r, true));
      return;
    }
    std::ostringstream text;
    print_room_sections(text, list);
    std::cout << text.str() << std::flush;
  }
};

}  // namespace

std::unique_ptr<Command> make_rooms_command() { return std::make_unique<RoomsCommand>(); }

}  // namespace occhat::cli

#pragma once
// Commands that talk to a friend or, with --room, to a room: `send ID TEXT` and
// `send --room ROOM TEXT`, `upload ID PATH` and `upload --room ROOM PATH`, `history ID` and
// `history --room ROOM`, `files ID` and `files --room ROOM`.
//
// CLI11 fills positionals in order, so with --room the word meant for the second positional
// lands in ID; resolve_destination() moves it back.

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "occhat/client.hpp"

namespace occhat::cli {

// Exactly one is set.
struct Destination {
  UserId user = 0;
  RoomId room = 0;
};

// Declares `--room ROOM` on `sub`, storing into `room`.
void add_room_option(CLI::App& sub, std::optional<std::string>& room, const std::string& what);

// Checks and parses ID / --room. `next` is the positional after ID (TEXT, PATH) or nullptr for
// commands without one; with --room it takes ID's word. Throws a usage error for both or
// neither, a bad id, or one word too many.
Destination resolve_destination(const std::optional<std::string>& room, std::optional<std::string>& id,
                                std::optional<std::string>* next);

}  // namespace occhat::cli

#pragma once
// Room ids on the command line: 7 to 10 digits, 1000000 and up (user ids have 6, so the two
// never look alike). Checked here so a typo never costs a round trip.

#include <string_view>

#include <CLI/CLI.hpp>

#include "occhat/client.hpp"

namespace occhat::cli {

// Whether `text` is a well-formed room id.
bool is_room_id(std::string_view text);

// Parses a room id. Throws a usage error otherwise.
RoomId parse_room_id(std::string_view text);

// The same check as a CLI11 validator.
CLI::Validator room_id_validator();

}  // namespace occhat::cli

#pragma once
// User ids on the command line: checked here so a typo never costs a round trip.

#include <string_view>

#include <CLI/CLI.hpp>

#include "occhat/client.hpp"

namespace occhat::cli {

// Parses a 6-digit id (100000..999999). Throws a usage error otherwise.
UserId parse_user_id(std::string_view text);

// The same check as a CLI11 validator, so a bad ID is reported like any other bad argument.
CLI::Validator user_id_validator();

}  // namespace occhat::cli

#pragma once
// `history` and `files` show one page, the newest; this tells the user (or script) how to ask
// for the page before it.

#include <cstdint>
#include <string>

#include "destination.hpp"
#include "output.hpp"

namespace occhat::cli {

// `command` is "history" or "files". Prints "(older: occhat history 123456 --before 42)" on
// stderr, or with --json one final object on stdout after the page's records:
//   {"more":{"before":42,"command":"occhat history 123456 --before 42"}}
void print_older_page_hint(const Output& out, const std::string& command, const Destination& destination,
                           std::uint64_t before_id);

}  // namespace occhat::cli

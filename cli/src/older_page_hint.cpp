#include "older_page_hint.hpp"

#include <cstdio>

namespace occhat::cli {

void print_older_page_hint(const Output& out, const std::string& command, const Destination& destination,
                           std::uint64_t before_id) {
  const std::string which =
      destination.room != 0 ? "--room " + std::to_string(destination.room) : std::to_string(destination.user);
  const std::string next = "occhat " + command + " " + which + " --before " + std::to_string(before_id);
  if (out.json()) {
    out.result({}, Json{{"more", Json{{"before", before_id}, {"command", next}}}});
  } else {
    std::fprintf(stderr, "(older: %s)\n", next.c_str());
  }
}

}  // namespace occhat::cli

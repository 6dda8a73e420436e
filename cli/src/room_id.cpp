#include "room_id.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include "errors.hpp"

namespace occhat::cli {
namespace {

constexpr std::uint64_t kFirstRoomId = 1000000;

// Empty when valid, else the reason.
std::string check_room_id(std::string_view text) {
  const bool digits = text.size() >= 7 && text.size() <= 10 && text.front() != '0' &&
                      text.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) {
    std::uint64_t value = 0;
    for (const char c : text) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value >= kFirstRoomId && value <= std::numeric_limits<RoomId>::max()) return {};
  }
  return "expected a room id (7 or more digits), got \"" + std::string(text) + "\"";
}

}  // namespace

bool is_room_id(std::string_view text) { return check_room_id(text).empty(); }

RoomId parse_room_id(std::string_view text) {
  if (const auto problem = check_room_id(text); !problem.empty()) throw usage_error(problem);
  RoomId id = 0;
  for (const char c : text) id = id * 10 + static_cast<RoomId>(c - '0');
  return id;
}

CLI::Validator room_id_validator() {
  // No description: the option's type name (ROOM) already says it in --help.
  return CLI::Validator([](std::string& value) { return check_room_id(value); }, "", "room id");
}

}  // namespace occhat::cli

#include "destination.hpp"

#include "errors.hpp"
#include "room_id.hpp"
#include "user_id.hpp"

namespace occhat::cli {

void add_room_option(CLI::App& sub, std::optional<std::string>& room, const std::string& what) {
  sub.add_option("--room", room, what + " (instead of a friend's ID)")->type_name("ROOM")->check(room_id_validator());
}

Destination resolve_destination(const std::optional<std::string>& room, std::optional<std::string>& id,
                                std::optional<std::string>* next) {
  if (!room) {
    if (!id) throw usage_error("missing ID: a friend's 6-digit user id, or --room ROOM");
    return Destination{parse_user_id(*id), 0};
  }
  if (id && next != nullptr && !*next) {
    *next = std::move(*id);  // `send --room ROOM TEXT`: TEXT was taken for ID
    id.reset();
  }
  if (id) throw usage_error("give either ID or --room ROOM, not both");
  return Destination{0, parse_room_id(*room)};
}

}  // namespace occhat::cli

#include "user_ids.hpp"

#include <fmt/format.h>
#include <sodium.h>

namespace occhat::server {
namespace {

// At <= 90% occupancy the chance that this many random probes all collide is below 1e-4.
constexpr int kIdAttempts = 100;

}  // namespace

std::uint64_t id_space_size(const UserIdSpace& space) { return std::uint64_t{space.last} - space.first + 1; }

std::uint32_t random_user_id(const UserIdSpace& space) {
  return space.first + randombytes_uniform(space.last - space.first + 1);
}

NewUser create_user_with_new_id(store::Store& store, std::string_view email, std::string_view nick,
                                std::string_view password_hash, const UserIdSpace& space,
                                const std::function<std::uint32_t(const UserIdSpace&)>& draw) {
  const std::uint64_t size = id_space_size(space);
  const std::uint64_t users = store.user_count();
  if (users >= size * 9 / 10) {
    throw store::StoreError(ErrorCode::resource_exhausted, "no free user ids left");
  }
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    const std::uint32_t id = draw(space);
    if (store.create_user(id, email, nick, password_hash)) return {id, users + 1};
  }
  throw store::StoreError(ErrorCode::resource_exhausted, "no free user id found");
}

int IdSpaceWatch::observe(std::uint64_t users) {
  int reached = 0;
  for (const int percent : kThresholds) {
    // users / size >= percent / 100, in integers (size <= 2^32, so no overflow).
    if (users * 100 >= size_ * static_cast<std::uint64_t>(percent)) reached = percent;
  }
  if (reached <= reported_) {
    reported_ = reached;  // a drop below a threshold re-arms it
    return 0;
  }
  reported_ = reached;
  return reached;
}

std::string id_space_warning(int percent, std::uint64_t users, std::uint64_t size) {
  if (percent >= 90) {
    return fmt::format("warning: {} of {} user ids taken (>= {}%): new registrations are refused "
                       "(\"no free user ids left\")",
                       users, size, percent);
  }
  return fmt::format("warning: {} of {} user ids taken (>= {}%); registrations will be refused at 90%", users,
                     size, percent);
}

}  // namespace occhat::server

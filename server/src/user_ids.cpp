#include "user_ids.hpp"

#include <sodium.h>

namespace occhat::server {
namespace {

// At <= 90% occupancy the chance that this many random probes all collide is below 1e-4.
constexpr int kIdAttempts = 100;

}  // namespace

std::uint32_t random_user_id(const UserIdSpace& space) {
  return space.first + randombytes_uniform(space.last - space.first + 1);
}

std::uint32_t create_user_with_new_id(store::Store& store, std::string_view email, std::string_view nick,
                                      std::string_view password_hash, const UserIdSpace& space,
                                      const std::function<std::uint32_t(const UserIdSpace&)>& draw) {
  const std::uint64_t size = std::uint64_t{space.last} - space.first + 1;
  if (store.user_count() >= size * 9 / 10) {
    throw store::StoreError(ErrorCode::resource_exhausted, "no free user ids left");
  }
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    const std::uint32_t id = draw(space);
    if (store.create_user(id, email, nick, password_hash)) return id;
  }
  throw store::StoreError(ErrorCode::resource_exhausted, "no free user id found");
}

}  // namespace occhat::server

#pragma once
// Picking a new user's id: random in store::kMinUserId..kMaxUserId, so ids reveal neither how
// many users there are nor when one registered. The store only stores the id it is given.

#include <cstdint>
#include <functional>
#include <string_view>

#include "occhat/store/store.hpp"

namespace occhat::server {

struct UserIdSpace {
  std::uint32_t first = store::kMinUserId;
  std::uint32_t last = store::kMaxUserId;  // inclusive
};

// A uniformly random id in `space` (libsodium's randombytes).
std::uint32_t random_user_id(const UserIdSpace& space);

// Creates the user under a fresh random id and returns it; meant to run inside a store job.
// Throws StoreError(resource_exhausted) "no free user ids left" once 90% of the space is taken
// (random probing would get slow, and a deliberately full space is abuse, not growth), and
// resource_exhausted "no free user id found" if 100 random ids in a row were taken. `draw` and `space` are for tests.
std::uint32_t create_user_with_new_id(store::Store& store, std::string_view email, std::string_view nick,
                                      std::string_view password_hash, const UserIdSpace& space = {},
                                      const std::function<std::uint32_t(const UserIdSpace&)>& draw = random_user_id);

}  // namespace occhat::server

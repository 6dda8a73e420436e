#pragma once
// Picking a new user's id: random in store::kMinUserId..kMaxUserId, so ids reveal neither how
// many users there are nor when one registered. The store only stores the id it is given.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "occhat/store/store.hpp"

namespace occhat::server {

struct UserIdSpace {
  std::uint32_t first = store::kMinUserId;
  std::uint32_t last = store::kMaxUserId;  // inclusive
};

// How many ids `space` holds.
std::uint64_t id_space_size(const UserIdSpace& space);

// A uniformly random id in `space` (libsodium's randombytes).
std::uint32_t random_user_id(const UserIdSpace& space);

struct NewUser {
  std::uint32_t id = 0;
  std::uint64_t users = 0;  // users in the store with this one (for IdSpaceWatch)
};

// Creates the user under a fresh random id and returns it; meant to run inside a store job.
// Throws StoreError(resource_exhausted) "no free user ids left" once 90% of the space is taken
// (random probing would get slow, and a deliberately full space is abuse, not growth), and
// resource_exhausted "no free user id found" if 100 random ids in a row were taken. `draw` and `space` are for tests.
NewUser create_user_with_new_id(store::Store& store, std::string_view email, std::string_view nick,
                                std::string_view password_hash, const UserIdSpace& space = {},
                                const std::function<std::uint32_t(const UserIdSpace&)>& draw = random_user_id);

// Warns the operator as the id space fills, long before registrations are refused at 90%: the
// server logs id_space_warning() when the user count first reaches 50%, 75% and 90% of the space
// (checked at start-up and after each registration). Each threshold is reported once per
// crossing: a count that falls below it again (not possible today: users are never deleted)
// re-arms it. Network thread only.
class IdSpaceWatch {
 public:
  static constexpr int kThresholds[] = {50, 75, 90};  // percent of the id space

  explicit IdSpaceWatch(const UserIdSpace& space = {}) : size_(id_space_size(space)) {}

  // The highest threshold that `users` reaches and that was not reported yet (the log line is
  // due now), or 0. Start-up with the space already 80% full reports 75 once, not 50 and 75.
  int observe(std::uint64_t users);

  std::uint64_t size() const { return size_; }

 private:
  std::uint64_t size_;
  int reported_ = 0;  // the highest threshold reported and still reached, 0 for none
};

// The log line for `percent` (a threshold IdSpaceWatch::observe returned).
std::string id_space_warning(int percent, std::uint64_t users, std::uint64_t size);

}  // namespace occhat::server

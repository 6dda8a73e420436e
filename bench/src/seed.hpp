#pragma once
// Seeds users, friendships and session tokens straight into the store before the server starts,
// so a benchmark measures the server under load, not its registration (argon2id per user).

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace occhat::bench {

inline constexpr const char* kBenchPassword = "bench-password";

struct SeededUser {
  std::uint32_t id = 0;
  std::string token;  // 64 hex digits, for ResumeRequest
};

// Creates `count` users (all with password kBenchPassword, hashed once), makes every pair in
// `friendships` (indices into the result) friends, acknowledges the friendship notices (so
// inboxes start empty) and gives each user a session token. `data_dir` must exist; the database
// is data_dir/occhat.db and is closed before this returns. With `store` (a location, e.g.
// postgresql://...) the users go there instead, named apart from earlier runs' in the same store.
std::vector<SeededUser> seed_users(const std::string& data_dir, std::size_t count,
                                   const std::vector<std::pair<std::size_t, std::size_t>>& friendships,
                                   const std::string& store = {});

}  // namespace occhat::bench

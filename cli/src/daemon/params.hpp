#pragma once
// Reading a method's named parameters. Every getter checks the type (and the range of ids), and
// finish() rejects keys the method does not know, so a typo ("txt") is an invalid_params error
// rather than a silently missing value.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "destination.hpp"
#include "occhat/client.hpp"
#include "output.hpp"

namespace occhat::cli::daemon {

class Params {
 public:
  explicit Params(const Json& params) : params_(params) {}

  // Required and optional values; each throws RpcError (invalid_params) when present but wrong.
  std::string string(const char* key);
  std::optional<std::string> optional_string(const char* key);
  std::optional<std::uint64_t> optional_uint(const char* key, std::uint64_t min, std::uint64_t max);
  std::uint64_t uint(const char* key, std::uint64_t min, std::uint64_t max);
  bool flag(const char* key);  // absent: false
  UserId user(const char* key);  // 6-digit user id, a number
  std::optional<UserId> optional_user(const char* key);
  RoomId room(const char* key);  // room id, a number (1000000 and up)
  std::vector<UserId> users(const char* key);  // non-empty array of user ids

  // "to"/"peer" (a user) or "room": exactly one of them. `user_key` names the user's key.
  Destination destination(const char* user_key);
  // The same, where neither means "anyone" (files): user 0.
  Destination optional_destination(const char* user_key);

  // The value as it came (nullptr when absent or null), for a parameter of several types.
  const Json* raw(const char* key) { return find(key); }

  // Throws invalid_params naming the first key no getter asked for.
  void finish() const;

 private:
  const Json* find(const char* key);

  const Json& params_;
  std::set<std::string> known_;
};

}  // namespace occhat::cli::daemon

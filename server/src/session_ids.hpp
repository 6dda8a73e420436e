#pragma once
// The short id a user sees for each of their sessions: the first 12 hex digits of the token's
// SHA-256. It names a session without revealing anything that would resume it.

#include <string>

#include "occhat/store/store.hpp"

namespace occhat::server {

inline constexpr std::size_t kSessionIdDigits = 12;

inline std::string session_id(const store::TokenHash& hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < kSessionIdDigits / 2; ++i) {
    out.push_back(kHex[hash[i] >> 4]);
    out.push_back(kHex[hash[i] & 0xf]);
  }
  return out;
}

}  // namespace occhat::server

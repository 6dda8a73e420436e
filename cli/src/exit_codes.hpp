#pragma once
// The CLI's documented exit codes. Scripts branch on these, so they never change meaning.

#include "occhat/proto/error_code.hpp"

namespace occhat::cli {

namespace exit_code {
inline constexpr int success = 0;
inline constexpr int usage = 1;            // bad flags/arguments, or the server said INVALID_ARGUMENT
inline constexpr int unreachable = 2;      // cannot reach the server (UNAVAILABLE, TIMEOUT)
inline constexpr int auth = 3;             // AUTH_FAILED, UNAUTHENTICATED, or no saved session
inline constexpr int not_found = 4;        // NOT_FOUND
inline constexpr int not_allowed = 5;      // NOT_ALLOWED
inline constexpr int rate_limited = 6;     // RATE_LIMITED
inline constexpr int integrity = 7;        // INTEGRITY
inline constexpr int other = 10;           // any other server error, or an unexpected failure
}  // namespace exit_code

// Maps an error code to its exit code (table in exit_codes.cpp).
int exit_code_for(ErrorCode code) noexcept;

}  // namespace occhat::cli

#pragma once
// The one error enum shared by proto, server, SDK and CLI. Its values equal the wire enum
// occhat.wire.ErrorCode (checked at compile time in error_code.cpp), so converting is a cast.

#include <cstdint>
#include <string_view>

namespace occhat {

enum class ErrorCode : std::uint8_t {
  ok = 0,
  invalid_argument = 1,
  protocol_error = 2,
  unsupported_version = 3,
  unauthenticated = 4,
  auth_failed = 5,
  not_found = 6,
  not_allowed = 7,
  rate_limited = 8,
  integrity = 9,
  conflict = 10,
  internal = 11,
  unavailable = 12,
  timeout = 13,
  resource_exhausted = 14,
};

// Stable lower-case name, e.g. "auth_failed"; used in logs and the CLI's JSON errors.
std::string_view error_code_name(ErrorCode code) noexcept;

// Maps a wire value to the enum; unknown values (a newer server) become ErrorCode::internal.
ErrorCode error_code_from_wire(int value) noexcept;

}  // namespace occhat

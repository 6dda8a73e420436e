#include "exit_codes.hpp"

namespace occhat::cli {

// ErrorCode -> exit code, as documented in the README:
//   invalid_argument                      1  usage error
//   unavailable, timeout                  2  cannot reach the server
//   auth_failed, unauthenticated          3  authentication failed or not logged in
//   not_found                             4
//   not_allowed                           5
//   rate_limited                          6
//   integrity                             7
//   everything else (protocol_error, unsupported_version, conflict, internal,
//   resource_exhausted, ...)              10
// The switch has no default so that -Wall flags a new ErrorCode that is not mapped here.
int exit_code_for(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok:
      return exit_code::success;
    case ErrorCode::invalid_argument:
      return exit_code::usage;
    case ErrorCode::unavailable:
    case ErrorCode::timeout:
      return exit_code::unreachable;
    case ErrorCode::auth_failed:
    case ErrorCode::unauthenticated:
      return exit_code::auth;
    case ErrorCode::not_found:
      return exit_code::not_found;
    case ErrorCode::not_allowed:
      return exit_code::not_allowed;
    case ErrorCode::rate_limited:
      return exit_code::rate_limited;
    case ErrorCode::integrity:
      return exit_code::integrity;
    case ErrorCode::protocol_error:
    case ErrorCode::unsupported_version:
    case ErrorCode::conflict:
    case ErrorCode::internal:
    case ErrorCode::resource_exhausted:
      return exit_code::other;
  }
  return exit_code::other;
}

}  // namespace occhat::cli

#include "occhat/proto/error_code.hpp"

#include "occhat/proto/occhat.pb.h"

namespace occhat {
namespace {

#define OCCHAT_SAME_VALUE(ours, wire_name) \
  static_assert(static_cast<int>(ErrorCode::ours) == wire::wire_name, #ours " differs from the wire enum")
OCCHAT_SAME_VALUE(ok, OK);
OCCHAT_SAME_VALUE(invalid_argument, INVALID_ARGUMENT);
OCCHAT_SAME_VALUE(protocol_error, PROTOCOL_ERROR);
OCCHAT_SAME_VALUE(unsupported_version, UNSUPPORTED_VERSION);
OCCHAT_SAME_VALUE(unauthenticated, UNAUTHENTICATED);
OCCHAT_SAME_VALUE(auth_failed, AUTH_FAILED);
OCCHAT_SAME_VALUE(not_found, NOT_FOUND);
OCCHAT_SAME_VALUE(not_allowed, NOT_ALLOWED);
OCCHAT_SAME_VALUE(rate_limited, RATE_LIMITED);
OCCHAT_SAME_VALUE(integrity, INTEGRITY);
OCCHAT_SAME_VALUE(conflict, CONFLICT);
OCCHAT_SAME_VALUE(internal, INTERNAL);
OCCHAT_SAME_VALUE(unavailable, UNAVAILABLE);
OCCHAT_SAME_VALUE(timeout, TIMEOUT);
OCCHAT_SAME_VALUE(resource_exhausted, RESOURCE_EXHAUSTED);
static_assert(wire::ErrorCode_MAX == static_cast<int>(ErrorCode::resource_exhausted),
              "a wire error code was added: add it to occhat::ErrorCode too");
#undef OCCHAT_SAME_VALUE

}  // namespace

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::protocol_error: return "protocol_error";
    case ErrorCode::unsupported_version: return "unsupported_version";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::auth_failed: return "auth_failed";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::not_allowed: return "not_allowed";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::integrity: return "integrity";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::internal: return "internal";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::resource_exhausted: return "resource_exhausted";
  }
  return "internal";
}

ErrorCode error_code_from_wire(int value) noexcept {
  if (!wire::ErrorCode_IsValid(value)) return ErrorCode::internal;
  return static_cast<ErrorCode>(value);
}

}  // namespace occhat

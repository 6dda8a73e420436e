#pragma once
// Errors raised by the CLI itself. They reuse occhat::Error so that one printer and one exit-code
// table cover local and server failures alike.

#include <string>

#include "occhat/error.hpp"

namespace occhat::cli {

// Bad flags or arguments: exit code 1, JSON code "invalid_argument".
inline Error usage_error(const std::string& message) {
  return Error(ErrorCode::invalid_argument, message);
}

// No saved session: exit code 3.
inline Error not_logged_in() {
  return Error(ErrorCode::unauthenticated, "not logged in (run: occhat login ID)");
}

}  // namespace occhat::cli

#pragma once
// occhat::Error — the one exception type of proto, server and SDK: a stable ErrorCode, a human
// message (what()) and, with ErrorCode::rate_limited, how long to wait. The SDK throws it to
// its users (sdk/include/occhat/error.hpp); the server's RequestError and store::StoreError
// are thin subclasses that only tell the dispatcher where a failure came from.

#include <chrono>
#include <stdexcept>
#include <string>

#include "occhat/proto/error_code.hpp"

namespace occhat {

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message,
        std::chrono::milliseconds retry_after = std::chrono::milliseconds{0})
      : std::runtime_error(message), code_(code), retry_after_(retry_after) {}

  ErrorCode code() const noexcept { return code_; }
  // Non-zero with ErrorCode::rate_limited: how long to wait before retrying.
  std::chrono::milliseconds retry_after() const noexcept { return retry_after_; }

 private:
  ErrorCode code_;
  std::chrono::milliseconds retry_after_;
};

}  // namespace occhat

#pragma once
// The one error type of the server layer: handlers throw it, the dispatcher turns it into a wire
// `error` frame echoing the request id. The message is shown to the user, so it must never
// contain secrets or internal details.

#include <chrono>
#include <stdexcept>
#include <string>

#include "occhat/proto/error_code.hpp"

namespace occhat::server {

class RequestError : public std::runtime_error {
 public:
  RequestError(ErrorCode code, const std::string& message,
               std::chrono::milliseconds retry_after = std::chrono::milliseconds{0})
      : std::runtime_error(message), code_(code), retry_after_(retry_after) {}

  ErrorCode code() const noexcept { return code_; }
  std::chrono::milliseconds retry_after() const noexcept { return retry_after_; }

 private:
  ErrorCode code_;
  std::chrono::milliseconds retry_after_;
};

}  // namespace occhat::server

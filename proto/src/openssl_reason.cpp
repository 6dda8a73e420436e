#include "occhat/proto/openssl_reason.hpp"

#include <openssl/err.h>

namespace occhat::proto {

std::string openssl_reason() {
  const unsigned long first = ::ERR_get_error();
  ::ERR_clear_error();
  if (first == 0) return "unknown error";
  const char* reason = ::ERR_reason_error_string(first);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(first);
}

}  // namespace occhat::proto

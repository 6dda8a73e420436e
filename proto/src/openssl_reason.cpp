#include "occhat/proto/openssl_reason.hpp"

#include <openssl/err.h>

#include <cstdio>

namespace occhat::proto {

std::string openssl_reason() {
  const unsigned long first = ::ERR_get_error();
  ::ERR_clear_error();
  if (first == 0) return "unknown error";
  const char* reason = ::ERR_reason_error_string(first);
  if (reason != nullptr) return reason;
  char code[48];  // OpenSSL's own tools print codes in hex
  std::snprintf(code, sizeof code, "OpenSSL error %#lx", first);
  return code;
}

}  // namespace occhat::proto

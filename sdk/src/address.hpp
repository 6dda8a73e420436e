#pragma once
// Parsing of the "HOST:PORT" strings users type (CLI --server, OCCHAT_SERVER, bindings).

#include <string>

namespace occhat::detail {

struct ServerAddress {
  std::string host;  // without the brackets of an IPv6 literal
  std::string port;  // decimal, 1..65535
};

// Accepts "host:port", "1.2.3.4:port" and "[v6::addr]:port". Throws Error(invalid_argument)
// naming the expected format otherwise.
ServerAddress parse_server_address(const std::string& text);

}  // namespace occhat::detail

#pragma once
// Parsing of the "HOST:PORT" strings users type (CLI --server, OCCHAT_SERVER, bindings), alone or
// as a comma-separated list of the nodes of one cluster.

#include <string>
#include <vector>

namespace occhat::detail {

struct ServerAddress {
  std::string host;  // without the brackets of an IPv6 literal
  std::string port;  // decimal, 1..65535
  std::string text;  // the entry as the user gave it, for messages
};

// Accepts "host:port", "1.2.3.4:port" and "[v6::addr]:port". Throws Error(invalid_argument)
// naming the expected format otherwise.
ServerAddress parse_server_address(const std::string& text);

// Accepts one address or a comma-separated list "HOST:PORT,HOST:PORT,..." (no spaces), each
// entry as parse_server_address(). Throws Error(invalid_argument) naming the bad entry (an empty
// one too: "a:1,,b:2"); a single address fails with parse_server_address()'s message.
std::vector<ServerAddress> parse_server_list(const std::string& text);

}  // namespace occhat::detail

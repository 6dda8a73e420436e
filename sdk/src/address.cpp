#include "address.hpp"

#include <algorithm>
#include <cctype>

#include "occhat/error.hpp"

namespace occhat::detail {

ServerAddress parse_server_address(const std::string& text) {
  const auto fail = [&text]() -> Error {
    return Error(ErrorCode::invalid_argument, "invalid server address '" + text + "' (expected HOST:PORT)");
  };
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw fail();
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    throw fail();  // an IPv6 literal must be bracketed, or the port would be ambiguous
  }
  const auto bad_char = [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); };
  if (host.empty() || std::any_of(host.begin(), host.end(), bad_char)) throw fail();
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
    throw fail();
  }
  const int number = std::stoi(port);
  if (number < 1 || number > 65535) throw fail();
  return {std::move(host), std::to_string(number), text};
}

std::vector<ServerAddress> parse_server_list(const std::string& text) {
  if (text.find(',') == std::string::npos) return {parse_server_address(text)};
  std::vector<ServerAddress> list;
  std::size_t start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    const std::string entry = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    try {
      list.push_back(parse_server_address(entry));
    } catch (const Error&) {
      throw Error(ErrorCode::invalid_argument, "invalid server address '" + entry + "' in '" + text +
                                                   "' (expected HOST:PORT or a comma-separated list of them)");
    }
    if (comma == std::string::npos) return list;
    start = comma + 1;
  }
}

}  // namespace occhat::detail

#include "output.hpp"

#include <cstdio>
#include <iostream>

#include "event_format.hpp"
#include "exit_codes.hpp"

namespace occhat::cli {
namespace {

// Invalid UTF-8 (say, from a file name later) must not make dump() throw mid-output.
std::string dump(const Json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The error is one line by contract; a server or OS message must not break that.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

void Output::result(const std::string& text, const Json& object) const {
  std::cout << (json_ ? dump(object) : text) << '\n' << std::flush;
  // A reader that went away (`occhat watch | head -3`) must stop the command: what follows a
  // printed line (advancing the inbox cursor, acknowledging) assumes someone saw it.
  if (!std::cout) {
    std::cout.clear();
    throw Error(ErrorCode::internal, "cannot write to stdout");
  }
}

int Output::error(const Error& error) const {
  const int code = exit_code_for(error.code());
  const std::string message = one_line(error.what());
  if (json_) {
    Json body = {{"code", std::string(error_code_name(error.code()))},
                 {"message", message},
                 {"exit_code", code}};
    if (error.code() == ErrorCode::rate_limited) body["retry_after_ms"] = error.retry_after().count();
    std::cout << dump(Json{{"error", body}}) << '\n' << std::flush;
  } else {
    // A server's message (or a nick or file name inside one) must not reach a terminal raw; the
    // CLI's own messages escape what they quote already, and escaping again changes nothing.
    std::cerr << "occhat: " << escape_for_terminal(message) << '\n' << std::flush;
  }
  return code;
}

}  // namespace occhat::cli

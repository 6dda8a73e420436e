#include "user_id.hpp"

#include <string>

#include "errors.hpp"

namespace occhat::cli {
namespace {

// Empty when valid, else the reason.
std::string check_user_id(std::string_view text) {
  const bool six_digits = text.size() == 6 && text.front() != '0' &&
                          text.find_first_not_of("0123456789") == std::string_view::npos;
  if (six_digits) return {};
  return "expected a 6-digit user id, got \"" + std::string(text) + "\"";
}

}  // namespace

UserId parse_user_id(std::string_view text) {
  if (const auto problem = check_user_id(text); !problem.empty()) throw usage_error(problem);
  UserId id = 0;
  for (const char c : text) id = id * 10 + static_cast<UserId>(c - '0');
  return id;
}

CLI::Validator user_id_validator() {
  return CLI::Validator([](std::string& value) { return check_user_id(value); }, "ID", "user id");
}

}  // namespace occhat::cli

#include "validation.hpp"

#include <algorithm>
#include <string>

#include "occhat/proto/limits.hpp"
#include "occhat/proto/utf8.hpp"
#include "request_error.hpp"

namespace occhat::server {
namespace {

[[noreturn]] void invalid(const std::string& message) { throw RequestError(ErrorCode::invalid_argument, message); }

}  // namespace

void validate_email(std::string_view email) {
  if (email.size() < proto::kMinEmailBytes || email.size() > proto::kMaxEmailBytes) {
    invalid("email must be " + std::to_string(proto::kMinEmailBytes) + " to " + std::to_string(proto::kMaxEmailBytes) +
            " bytes");
  }
  const auto at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
    invalid("email must contain exactly one '@'");
  }
  if (at == 0 || at + 1 == email.size()) invalid("email needs text before and after the '@'");
  const bool bad_char = std::any_of(email.begin(), email.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
  if (bad_char) invalid("email must not contain whitespace or control characters");
  // Requests carry text as bytes; the email is echoed back in a `string` field, so it must be UTF-8.
  if (!proto::is_valid_utf8(email)) invalid("email must be valid UTF-8");
}

void validate_nick(std::string_view nick) {
  if (nick.empty()) invalid("nick must not be empty");
  std::size_t pos = 0;
  std::size_t count = 0;
  while (pos < nick.size()) {
    const auto cp = proto::decode_utf8(nick, pos);
    if (!cp) invalid("nick must be valid UTF-8");
    if (proto::is_control(*cp)) invalid("nick must not contain control characters");
    if (++count > proto::kMaxNickChars) invalid("nick must be at most " + std::to_string(proto::kMaxNickChars) + " characters");
  }
}

void validate_password(std::string_view password) {
  if (password.size() < proto::kMinPasswordBytes) {
    invalid("password must be at least " + std::to_string(proto::kMinPasswordBytes) + " bytes");
  }
  if (password.size() > proto::kMaxPasswordBytes) {
    invalid("password must be at most " + std::to_string(proto::kMaxPasswordBytes) + " bytes");
  }
}

void validate_message_text(std::string_view text) {
  if (text.empty()) invalid("text must not be empty");
  if (text.size() > proto::kMaxTextBytes) invalid("text must be at most " + std::to_string(proto::kMaxTextBytes) + " bytes");
  if (!proto::is_valid_utf8(text)) invalid("text must be valid UTF-8");
  if (text.find('\0') != std::string_view::npos) invalid("text must not contain NUL characters");
}

void validate_client_msg_id(std::string_view client_msg_id) {
  if (client_msg_id.size() > proto::kMaxClientMsgIdBytes) {
    invalid("client_msg_id must be at most " + std::to_string(proto::kMaxClientMsgIdBytes) + " bytes");
  }
}

std::uint32_t history_limit(std::uint32_t requested) {
  if (requested == 0) return proto::kDefaultHistoryLimit;
  if (requested > proto::kMaxHistoryLimit) {
    invalid("limit must be 1 to " + std::to_string(proto::kMaxHistoryLimit));
  }
  return requested;
}

std::string clean_room_name(std::string_view name) {
  constexpr std::size_t kMaxRoomNameChars = 64;
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!name.empty() && space(name.front())) name.remove_prefix(1);
  while (!name.empty() && space(name.back())) name.remove_suffix(1);
  if (name.empty()) invalid("room name must not be empty");
  std::size_t pos = 0;
  std::size_t count = 0;
  while (pos < name.size()) {
    const auto cp = proto::decode_utf8(name, pos);
    if (!cp) invalid("room name must be valid UTF-8");
    if (proto::is_control(*cp)) invalid("room name must not contain control characters");
    if (++count > kMaxRoomNameChars) invalid("room name must be at most 64 characters");
  }
  return std::string(name);
}

}  // namespace occhat::server

#include "validation.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "request_error.hpp"

namespace occhat::server {
namespace {

[[noreturn]] void invalid(const char* message) { throw RequestError(ErrorCode::invalid_argument, message); }

// Decodes one UTF-8 code point starting at `pos`, advancing it; nullopt on malformed input
// (truncated, overlong, surrogate or beyond U+10FFFF).
std::optional<std::uint32_t> next_code_point(std::string_view text, std::size_t& pos) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(pos);
  std::size_t length = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if (lead < 0x80) {
    ++pos;
    return lead;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, cp = lead & 0x1f, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, cp = lead & 0x0f, min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (pos + length > text.size()) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(pos + i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  pos += length;
  return cp;
}

}  // namespace

void validate_email(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) invalid("email must be 3 to 254 bytes");
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
  if (!is_valid_utf8(email)) invalid("email must be valid UTF-8");
}

void validate_nick(std::string_view nick) {
  if (nick.empty()) invalid("nick must not be empty");
  std::size_t pos = 0;
  std::size_t count = 0;
  while (pos < nick.size()) {
    const auto cp = next_code_point(nick, pos);
    if (!cp) invalid("nick must be valid UTF-8");
    if (*cp < 0x20 || (*cp >= 0x7f && *cp <= 0x9f)) invalid("nick must not contain control characters");
    if (++count > 32) invalid("nick must be at most 32 characters");
  }
}

bool is_valid_utf8(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!next_code_point(text, pos)) return false;
  }
  return true;
}

void validate_password(std::string_view password) {
  if (password.size() < 8) invalid("password must be at least 8 bytes");
  if (password.size() > 1024) invalid("password must be at most 1024 bytes");
}

void validate_message_text(std::string_view text) {
  if (text.empty()) invalid("text must not be empty");
  if (text.size() > kMaxMessageText) invalid("text must be at most 8192 bytes");
  if (!is_valid_utf8(text)) invalid("text must be valid UTF-8");
  if (text.find('\0') != std::string_view::npos) invalid("text must not contain NUL characters");
}

void validate_client_msg_id(std::string_view client_msg_id) {
  if (client_msg_id.size() > kMaxClientMsgId) invalid("client_msg_id must be at most 64 bytes");
}

}  // namespace occhat::server

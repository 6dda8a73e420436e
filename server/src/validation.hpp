#pragma once
// Field rules for account and message data (docs/PROTOCOL.md). Each throws RequestError(invalid_argument)
// with a message naming the field.

#include <cstdint>
#include <string>
#include <string_view>

namespace occhat::server {

// 3..254 bytes of UTF-8, exactly one '@' with non-empty parts, no whitespace or control
// characters.
void validate_email(std::string_view email);
// 1..32 Unicode code points of valid UTF-8, no control characters.
void validate_nick(std::string_view nick);
// 8..1024 bytes.
void validate_password(std::string_view password);

// 1..8192 bytes of valid UTF-8 without NUL.
void validate_message_text(std::string_view text);
// 0..64 bytes, any bytes.
void validate_client_msg_id(std::string_view client_msg_id);

// A history request's page size: 0 means the default; above the maximum is INVALID_ARGUMENT.
std::uint32_t history_limit(std::uint32_t requested);

// A room name: returns it trimmed of surrounding whitespace; 1..64 code points of valid UTF-8
// without control characters.
std::string clean_room_name(std::string_view name);

}  // namespace occhat::server

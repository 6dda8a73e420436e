#pragma once
// Field rules for account data (docs/PROTOCOL.md). Each throws RequestError(invalid_argument)
// with a message naming the field.

#include <string_view>

namespace occhat::server {

// 3..254 bytes of UTF-8, exactly one '@' with non-empty parts, no whitespace or control
// characters.
void validate_email(std::string_view email);
// 1..32 Unicode code points of valid UTF-8, no control characters.
void validate_nick(std::string_view nick);
// Well-formed UTF-8: no overlong forms, surrogates or code points beyond U+10FFFF.
bool is_valid_utf8(std::string_view text);
// 8..1024 bytes.
void validate_password(std::string_view password);

}  // namespace occhat::server

#include "file_name.hpp"

#include <cstdint>

namespace occhat::server {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `text` and its code point, or 0 if
// the first byte does not start one (overlong forms, surrogates and > U+10FFFF are invalid).
std::size_t decode(std::string_view text, char32_t& cp) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t b0 = byte(0);
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

}  // namespace

std::string clean_file_name(std::string_view name) {
  std::string out;
  while (!name.empty()) {
    char32_t cp = 0;
    std::size_t len = decode(name, cp);
    std::string_view piece;
    if (len == 0) {
      len = 1;  // one replacement per byte that starts nothing valid
      piece = kReplacement;
    } else if (is_control(cp)) {
      piece = kReplacement;
    } else {
      piece = name.substr(0, len);
    }
    if (out.size() + piece.size() > kMaxFileNameBytes) break;  // whole characters only
    out.append(piece);
    name.remove_prefix(len);
  }
  if (out.empty()) out = "unnamed";
  return out;
}

}  // namespace occhat::server

#pragma once
// The one UTF-8 decoder of occhat: the server's field rules (nick, email, text, string fields),
// its file-name cleaner, and the CLI's terminal escaping and local file names all step through
// text with decode_utf8(), so they agree on what is well-formed.
//
// Well-formed means RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no truncated sequence, no stray continuation byte.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace occhat::proto {

// Decodes the sequence starting at text[pos] (pos < text.size()). On success returns its code
// point and advances `pos` past it; on malformed input returns nullopt and leaves `pos` as it
// was (callers that skip bad input skip one byte).
inline std::optional<char32_t> decode_utf8(std::string_view text, std::size_t& pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(pos);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, cp = lead & 0x1f, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, cp = lead & 0x0f, min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;  // a continuation byte or 0xf8..0xff
  }
  if (length > text.size() - pos) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(pos + i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  pos += length;
  return cp;
}

// True if all of `text` is well-formed UTF-8 (the empty string is).
inline bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!decode_utf8(text, pos)) return false;
  }
  return true;
}

// C0 controls, DEL and C1 controls (U+0080..U+009F, which some terminals act on: U+009B is CSI).
constexpr bool is_control(char32_t cp) noexcept { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

// The Unicode bidirectional formatting characters (Bidi_Control): U+061C ARABIC LETTER MARK,
// U+200E/U+200F (LRM, RLM), U+202A..U+202E (LRE, RLE, PDF, LRO, RLO) and U+2066..U+2069 (LRI,
// RLI, FSI, PDI). They are not control characters, but they reorder the text around them on a
// terminal ("invoice\u202Efdp.exe" shows as "invoiceexe.pdf"), so text shown to a user escapes
// them.
constexpr bool is_bidi_control(char32_t cp) noexcept {
  return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// `text` made safe a character at a time: each byte that starts no well-formed sequence, and
// each code point for which replaced(cp) is true, becomes `replacement`; the rest is kept. The
// result is cut to at most `max_bytes`, whole characters only (never half a sequence).
template <class Replaced>
std::string clean_utf8(std::string_view text, std::string_view replacement, std::size_t max_bytes, Replaced replaced) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    const auto cp = decode_utf8(text, pos);
    if (!cp) ++pos;  // one replacement per bad byte
    const std::string_view piece = !cp || replaced(*cp) ? replacement : text.substr(start, pos - start);
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
  }
  return out;
}

}  // namespace occhat::proto

#include "safe_local_name.hpp"

namespace occhat::cli {
namespace {

// Length of the valid UTF-8 sequence at text[i] (1..4), or 0 if it is not valid. Overlong
// forms, surrogates and values above U+10FFFF are invalid.
std::size_t sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) min_second = 0xa0;
    if (lead == 0xed) max_second = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) min_second = 0x90;
    if (lead == 0xf4) max_second = 0x8f;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return length;
}

bool replaced_ascii(unsigned char c) {
  return c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':';
}

}  // namespace

std::string safe_local_name(std::string_view name, std::uint64_t id) {
  std::string out;
  std::size_t i = 0;
  while (i < name.size()) {
    const auto c = static_cast<unsigned char>(name[i]);
    std::size_t length = sequence_length(name, i);
    std::string_view piece;
    if (length == 0) {
      length = 1;
      piece = "_";
    } else if (length == 1 && replaced_ascii(c)) {
      piece = "_";
    } else if (length == 2 && c == 0xc2 && static_cast<unsigned char>(name[i + 1]) <= 0x9f) {
      piece = "_";  // C1 control U+0080..U+009F
    } else {
      piece = name.substr(i, length);
    }
    // Whole characters only, so the cut never leaves half a UTF-8 sequence.
    if (out.size() + piece.size() > kMaxLocalNameBytes) break;
    out += piece;
    i += length;
  }
  if (out.empty() || out == "." || out == "..") return "file-" + std::to_string(id);
  return out;
}

}  // namespace occhat::cli

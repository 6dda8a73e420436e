#include "mentions.hpp"

#include <algorithm>

#include "occhat/store/store.hpp"

namespace occhat::server {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

}  // namespace

std::vector<std::uint32_t> parse_mentions(std::string_view text) {
  constexpr std::size_t kDigits = 6;  // user ids are 100000..999999
  std::vector<std::uint32_t> ids;
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    // An e-mail address ("bob@123456.example") is not a mention.
    if (at > 0 && is_word(text[at - 1])) continue;
    const std::size_t begin = at + 1;
    std::size_t end = begin;
    while (end < text.size() && is_digit(text[end])) ++end;
    if (end - begin != kDigits) continue;
    std::uint32_t id = 0;
    for (std::size_t i = begin; i < end; ++i) id = id * 10 + static_cast<std::uint32_t>(text[i] - '0');
    if (id < store::kMinUserId) continue;
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

}  // namespace occhat::server

#pragma once
// @ID mentions in room messages: which user ids a text names.

#include <cstdint>
#include <string_view>
#include <vector>

namespace occhat::server {

// The user ids named as "@123456" in `text` (an '@' not preceded by a letter, digit or '_',
// then exactly six digits not followed by another digit), de-duplicated, in order of first
// mention. Whether they are members is the store's check.
std::vector<std::uint32_t> parse_mentions(std::string_view text);

}  // namespace occhat::server

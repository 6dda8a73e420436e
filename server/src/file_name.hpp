#pragma once
// File names are display text, never paths: the bytes of a file live under a server-made name.
// This turns whatever a client sent into text that is safe to store and show.

#include <string>
#include <string_view>

namespace occhat::server {

// Invalid UTF-8 sequences and control characters (C0, DEL, C1) become U+FFFD; the result is cut
// to at most 255 bytes on a character boundary; empty becomes "unnamed". Slashes, backslashes
// and dots are kept as the text they are.
std::string clean_file_name(std::string_view name);

}  // namespace occhat::server

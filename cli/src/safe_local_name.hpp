#pragma once
// The local file name `download` uses when no -o is given. A file's name is display text chosen
// by its sender, so it is never trusted as a path: the result is always a plain name in the
// current directory.

#include <cstdint>
#include <string>
#include <string_view>

namespace occhat::cli {

// '/', '\\', ':', NUL and control characters (C0, DEL, C1) become '_' (one per character; a byte
// that is not valid UTF-8 counts as one character), the result is cut to at most
// kMaxLocalNameBytes on a character boundary, and "", "." and ".." become "file-<id>".
// Example: "../../etc/passwd" -> ".._.._etc_passwd".
inline constexpr std::size_t kMaxLocalNameBytes = 200;
std::string safe_local_name(std::string_view name, std::uint64_t id);

}  // namespace occhat::cli

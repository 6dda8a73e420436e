#include "safe_local_name.hpp"

#include "occhat/proto/utf8.hpp"

namespace occhat::cli {
namespace {

// Control characters (C0, DEL, C1) and the path separators of POSIX and Windows.
bool replaced(char32_t cp) { return proto::is_control(cp) || cp == '/' || cp == '\\' || cp == ':'; }

}  // namespace

std::string safe_local_name(std::string_view name, std::uint64_t id) {
  const std::string out = proto::clean_utf8(name, "_", kMaxLocalNameBytes, replaced);
  if (out.empty() || out == "." || out == "..") return "file-" + std::to_string(id);
  return out;
}

}  // namespace occhat::cli

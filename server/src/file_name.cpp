#include "file_name.hpp"

#include "occhat/proto/limits.hpp"
#include "occhat/proto/utf8.hpp"

namespace occhat::server {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::string clean_file_name(std::string_view name) {
  std::string out = proto::clean_utf8(name, kReplacement, proto::kMaxFileNameBytes, proto::is_control);
  if (out.empty()) out = "unnamed";
  return out;
}

}  // namespace occhat::server

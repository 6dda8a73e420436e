#include "file_ref.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include "errors.hpp"
#include "event_format.hpp"

namespace occhat::cli {
namespace {

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

FileInfo resolve_file(Client& client, const std::string& ref) {
  if (all_digits(ref)) {
    FileId id = 0;
    const auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), id);
    if (ec != std::errc() || end != ref.data() + ref.size() || id == 0) {
      throw usage_error("bad file id " + ref);
    }
    return client.file_info(id);
  }

  std::vector<FileInfo> matches;
  for (FileInfo& f : client.files(0)) {
    if (f.name == ref) matches.push_back(std::move(f));
  }
  const std::string shown = escape_for_terminal(ref);
  if (matches.empty()) throw Error(ErrorCode::not_found, "no file named " + shown);
  if (matches.size() > 1) {
    std::sort(matches.begin(), matches.end(),
              [](const FileInfo& a, const FileInfo& b) { return a.id < b.id; });
    std::string ids;
    for (const FileInfo& f : matches) ids += (ids.empty() ? "" : ", ") + std::to_string(f.id);
    throw usage_error("several files are named " + shown + " (ids " + ids + "): use an id");
  }
  return std::move(matches.front());
}

}  // namespace occhat::cli

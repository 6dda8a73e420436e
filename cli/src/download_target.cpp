#include "download_target.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

#include "errors.hpp"
#include "event_format.hpp"
#include "safe_local_name.hpp"

namespace occhat::cli {
namespace fs = std::filesystem;
namespace {

// A fresh 0700 directory under $TMPDIR: the bytes of a `-o -` download are nobody else's business.
std::string private_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/occhat-download.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(ErrorCode::internal, "cannot create a temporary directory: " + std::string(std::strerror(errno)));
  }
  return pattern;
}

}  // namespace

DownloadTarget download_target(const std::optional<std::string>& output, const std::string& name,
                               std::uint64_t id, bool force) {
  if (output && output->empty()) throw usage_error("-o needs a path");
  const std::string local_name = safe_local_name(name, id);
  if (output && *output == "-") return DownloadTarget{private_temp_dir() + "/" + local_name, true};

  std::error_code ec;
  std::string path = output ? *output : local_name;
  // -o DIR: into DIR under the file's own (safe) name, like cp and curl --output-dir.
  if (output && fs::is_directory(fs::status(path, ec))) path = (fs::path(path) / local_name).string();

  const auto status = fs::symlink_status(path, ec);  // a dangling link still occupies the name
  const std::string shown = escape_for_terminal(path);
  // Checked even with --force: the finished .part could not be renamed over it and would stay.
  if (fs::is_directory(status)) throw usage_error(shown + " is a directory (use -o PATH)");
  if (!force && fs::exists(status)) throw usage_error(shown + " exists (use --force or -o)");
  return DownloadTarget{path, false};
}

void remove_temp_target(const std::string& path) {
  std::error_code ec;
  fs::remove_all(fs::path(path).parent_path(), ec);
}

void send_to_stdout(const std::string& path) {
  {
    std::ifstream in(path, std::ios::binary);
    // Streaming an empty rdbuf sets failbit: an empty file simply prints nothing.
    if (in.peek() != std::ifstream::traits_type::eof()) std::cout << in.rdbuf();
    std::cout << std::flush;
  }
  remove_temp_target(path);
  if (!std::cout) {
    std::cout.clear();
    throw Error(ErrorCode::internal, "cannot write to stdout");
  }
}

}  // namespace occhat::cli

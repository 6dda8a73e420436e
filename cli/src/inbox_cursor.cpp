#include "inbox_cursor.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <csignal>

#include <fcntl.h>
#include <unistd.h>

namespace occhat::cli {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int err) {
  return Error(ErrorCode::internal, what + " " + path.string() + ": " + std::strerror(err));
}

// A process killed between prepare() and commit() leaves its cursor.tmp.<pid>; remove those of
// processes that are gone (a live one may be about to rename its file).
void remove_stale_temp_files(const std::filesystem::path& dir) {
  constexpr std::string_view prefix = "cursor.tmp.";
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) ::unlink(it->path().c_str());
  }
}

}  // namespace

InboxCursor::InboxCursor(std::filesystem::path home_dir, UserId user)
    : dir_(std::move(home_dir)), user_(user) {
  std::ifstream in(dir_ / "cursor");
  unsigned long long file_user = 0;
  unsigned long long file_seq = 0;
  if (in >> file_user >> file_seq && file_user == user_) value_ = file_seq;
  remove_stale_temp_files(dir_);
}

void InboxCursor::advance(Seq seq) {
  prepare(seq);
  commit();
}

std::filesystem::path InboxCursor::temp_path() const {
  // Per process: a `watch` and a `shell` of the same home must not write each other's temp file.
  return dir_ / ("cursor.tmp." + std::to_string(::getpid()));
}

void InboxCursor::prepare(Seq seq) {
  prepared_ = 0;
  if (seq <= value_) return;
  const std::string text = std::to_string(user_) + " " + std::to_string(seq) + "\n";
  const auto path = temp_path();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw io_error("cannot write", path, errno);
  // No fsync: the cursor guards against a killed process, whose writes the kernel keeps; after a
  // power loss the worst case is an old value, i.e. a few events shown again.
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(path.c_str());
    throw io_error("cannot write", path, err);
  }
  prepared_ = seq;
}

void InboxCursor::commit() {
  if (prepared_ <= value_) return;
  const auto path = temp_path();
  if (::rename(path.c_str(), (dir_ / "cursor").c_str()) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    prepared_ = 0;
    throw io_error("cannot write", dir_ / "cursor", err);
  }
  value_ = prepared_;
  prepared_ = 0;
}

}  // namespace occhat::cli

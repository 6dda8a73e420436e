#include "inbox_cursor.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "event_format.hpp"

namespace occhat::cli {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int err) {
  return Error(ErrorCode::internal, what + " " + path.string() + ": " + std::strerror(err));
}

// A process killed between prepare() and commit() leaves its cursor.tmp.<pid> (and
// cursor.check.tmp.<pid>); remove those of processes that are gone (a live one may be about to
// rename its file).
void remove_stale_temp_files(const std::filesystem::path& dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::string_view prefix;
    for (const std::string_view p : {"cursor.tmp.", "cursor.check.tmp."}) {
      if (name.starts_with(p)) prefix = p;
    }
    if (prefix.empty()) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) ::unlink(it->path().c_str());
  }
}

// Writes `text` to `path` (created or truncated, mode 0600, never through a symlink). Returns 0 or
// the errno of the failure (the file is removed then).
int write_small_file(const std::filesystem::path& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno;
  // No fsync: the cursor guards against a killed process, whose writes the kernel keeps; after a
  // power loss the worst case is an old value, i.e. a few events shown again.
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok) return 0;
  ::unlink(path.c_str());
  return err != 0 ? err : EIO;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string event_fingerprint(const Event& e) {
  std::uint64_t id = 0;
  if (e.message) {
    id = e.message->id;
  } else if (e.file) {
    id = e.file->id;
  } else {
    id = e.user.id;
  }
  // The type is a word from the server (no spaces); anything else would only fail to match.
  std::string type = e.type.empty() ? std::string("?") : e.type;
  for (char& c : type) {
    if (static_cast<unsigned char>(c) <= ' ' || c == ':') c = '_';
  }
  return type + ":" + std::to_string(id) + ":" + std::to_string(e.time_ms);
}

std::string CursorWarning::message() const {
  return "warning: the server's inbox is behind this home's cursor: it has event " + std::to_string(seq) +
         " pending, but events up to " + std::to_string(cursor) +
         " were shown here before (was the server restored from a backup?); showing every pending "
         "event again from " + std::to_string(seq) + ", some may be repeats";
}

Json CursorWarning::json() const {
  return Json{{"version", 1},
              {"type", "warning"},
              {"code", "inbox_behind_cursor"},
              {"message", message()},
              {"cursor", cursor},
              {"seq", seq},
              {"time", format_time_iso(now_ms())}};
}

void report_cursor_warning(const Output& out, const CursorWarning& warning) {
  std::cerr << "occhat: " << warning.message() << '\n' << std::flush;
  if (out.json()) out.result({}, warning.json());
}

InboxCursor::InboxCursor(std::filesystem::path home_dir, UserId user)
    : dir_(std::move(home_dir)), user_(user) {
  std::ifstream in(dir_ / "cursor");
  unsigned long long file_user = 0;
  unsigned long long file_seq = 0;
  if (in >> file_user >> file_seq && file_user == user_) value_ = file_seq;
  std::ifstream check(dir_ / "cursor.check");
  std::string fingerprint;
  // Only if it names the cursor's seq: the Python bindings (or a process killed between the two
  // renames) may have moved the cursor without it.
  if (value_ != 0 && check >> file_user >> file_seq >> fingerprint && file_user == user_ && file_seq == value_) {
    fingerprint_ = fingerprint;
  }
  remove_stale_temp_files(dir_);
}

bool InboxCursor::shown_at_cursor(const Event& e) const {
  // Without a record of which event the cursor was (a cursor written before cursor.check
  // existed, or by the Python bindings), an event at the cursor's seq is taken to be it.
  return e.seq == value_ && (fingerprint_.empty() || event_fingerprint(e) == fingerprint_);
}

std::optional<CursorWarning> InboxCursor::sync(Client& client) {
  unchecked_ = 0;
  if (value_ == 0) return std::nullopt;
  const InboxPage first_page = client.fetch_inbox(0, 1);
  if (first_page.events.empty()) {
    // Everything the server has is acknowledged, so nothing needs skipping. The server's inbox
    // may still be behind the cursor; then its next event has a seq at or below it.
    unchecked_ = value_;
    value_ = 0;
    fingerprint_.clear();
    return std::nullopt;
  }
  const Event& first = first_page.events.front();
  if (first.seq > value_) return std::nullopt;  // everything up to the cursor is acknowledged
  // Events up to the cursor are pending. That is expected when a run printed them and died
  // before acknowledging: then the server's event at the cursor is the one shown last.
  if (first.seq == value_) {
    if (shown_at_cursor(first)) return std::nullopt;
  } else {
    const InboxPage at = client.fetch_inbox(value_ - 1, 1);
    if (!at.events.empty() && shown_at_cursor(at.events.front())) return std::nullopt;
  }
  // The server has no event at the cursor, or another one: its inbox went back (a restored
  // backup) and numbers new events with seqs this home has seen. Show everything pending.
  const CursorWarning warning{value_, first.seq};
  value_ = first.seq - 1;
  fingerprint_.clear();
  return warning;
}

std::optional<CursorWarning> InboxCursor::check_event(Seq seq) {
  if (unchecked_ == 0 || seq == 0) return std::nullopt;
  const Seq cursor = std::exchange(unchecked_, 0);
  // Nothing was pending when sync() ran, so this event is new: a seq the server had handed out
  // before would have been above the cursor.
  if (seq <= cursor) return CursorWarning{cursor, seq};
  return std::nullopt;
}

void InboxCursor::reset(bool keep_files) {
  value_ = 0;
  fingerprint_.clear();
  unchecked_ = 0;
  if (keep_files) return;
  for (const char* name : {"cursor", "cursor.check"}) {
    const auto path = dir_ / name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw io_error("cannot remove", path, errno);
  }
}

void InboxCursor::advance(const Event& e) {
  prepare(e);
  commit();
}

std::filesystem::path InboxCursor::temp_path() const {
  // Per process: a `watch` and a `shell` of the same home must not write each other's temp file.
  return dir_ / ("cursor.tmp." + std::to_string(::getpid()));
}

std::filesystem::path InboxCursor::check_temp_path() const {
  return dir_ / ("cursor.check.tmp." + std::to_string(::getpid()));
}

void InboxCursor::prepare(const Event& e) {
  prepared_ = 0;
  prepared_check_ = false;
  if (e.seq <= value_) return;
  const std::string user = std::to_string(user_) + " " + std::to_string(e.seq);
  const auto path = temp_path();
  if (const int err = write_small_file(path, user + "\n"); err != 0) throw io_error("cannot write", path, err);
  prepared_fingerprint_ = event_fingerprint(e);
  // Best effort: without it, sync() trusts the cursor as it always did.
  prepared_check_ = write_small_file(check_temp_path(), user + " " + prepared_fingerprint_ + "\n") == 0;
  prepared_ = e.seq;
}

void InboxCursor::commit() {
  if (prepared_ <= value_) return;
  const auto path = temp_path();
  if (::rename(path.c_str(), (dir_ / "cursor").c_str()) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    if (prepared_check_) ::unlink(check_temp_path().c_str());
    prepared_ = 0;
    prepared_check_ = false;
    throw io_error("cannot write", dir_ / "cursor", err);
  }
  value_ = prepared_;
  fingerprint_ = prepared_fingerprint_;
  prepared_ = 0;
  // After the cursor: a process killed in between leaves a cursor.check for an older seq, which
  // then counts as unknown.
  if (prepared_check_ && ::rename(check_temp_path().c_str(), (dir_ / "cursor.check").c_str()) != 0) {
    ::unlink(check_temp_path().c_str());
  }
  prepared_check_ = false;
}

}  // namespace occhat::cli

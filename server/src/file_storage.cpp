#include "file_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>
#include <system_error>

#include "log.hpp"
#include "request_error.hpp"

namespace occhat::server {
namespace {

// Closes a descriptor on every path out of a call.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Logs the details and throws what the client may see: a full disk is the client's to know
// (it can retry later or elsewhere); anything else is ours.
[[noreturn]] void fail(const char* what, const std::filesystem::path& path, int error) {
  log_event("file storage: {} {}: {}", what, path.string(), std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) throw RequestError(ErrorCode::resource_exhausted, "not enough disk space on the server");
  throw RequestError(ErrorCode::internal, "file storage failure");
}

void make_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error(fmt::format("cannot create {}: {}", dir.string(), std::strerror(errno)));
  }
}

void sync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail("open directory", dir, errno);
  if (::fsync(fd.get()) != 0) fail("fsync directory", dir, errno);
}

std::uint64_t size_of(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail("stat", path, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

FileStorage::FileStorage(const std::filesystem::path& files_dir)
    : root_(files_dir), uploads_(root_ / "uploads"), published_(root_ / "published") {
  // --files-dir may name a directory whose parents do not exist yet; those get the default mode.
  if (root_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(root_.parent_path(), ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", root_.parent_path().string(), ec.message()));
  }
  make_dir(root_);
  make_dir(uploads_);
  make_dir(published_);
}

std::filesystem::path FileStorage::part_path(std::uint64_t upload_id) const {
  return uploads_ / fmt::format("{}.part", upload_id);
}

std::filesystem::path FileStorage::published_path(std::uint64_t file_id) const {
  return published_ / fmt::format("{}", file_id);
}

std::optional<std::uint64_t> FileStorage::part_size(std::uint64_t upload_id) const {
  struct stat st {};
  if (::lstat(part_path(upload_id).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

std::optional<std::uint64_t> FileStorage::published_size(std::uint64_t file_id) const {
  struct stat st {};
  if (::lstat(published_path(file_id).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

proto::Sha256Digest FileStorage::hash_published(std::uint64_t file_id, std::uint64_t size) const {
  const auto path = published_path(file_id);
  try {
    return proto::sha256_file(path, size);
  } catch (const std::system_error& e) {
    fail("hash", path, e.code().value());
  }
}

std::uint64_t FileStorage::open_part(std::uint64_t upload_id) const {
  const auto path = part_path(upload_id);
  if (!part_size(upload_id)) {
    if (const auto published = published_size(upload_id)) return *published;
  }
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) fail("open", path, errno);
  return size_of(fd.get(), path);
}

std::uint64_t FileStorage::append(std::uint64_t upload_id, std::uint64_t offset,
                                  std::span<const std::uint8_t> data) const {
  const auto path = part_path(upload_id);
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) fail("open", path, errno);
  const std::uint64_t have = size_of(fd.get(), path);
  if (have != offset) throw RequestError(ErrorCode::conflict, fmt::format("upload is at offset {}", have));
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::pwrite(fd.get(), data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      // The offset is the part's size: a torn chunk must not count as received.
      if (::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0) {
        log_event("file storage: cannot cut {} back: {}", path.string(), std::strerror(errno));
      }
      fail("write", path, error);
    }
    done += static_cast<std::size_t>(n);
  }
  return offset + data.size();
}

proto::Sha256Digest FileStorage::sync_and_hash(std::uint64_t upload_id, std::uint64_t size) const {
  auto path = part_path(upload_id);
  if (!part_size(upload_id) && published_size(upload_id)) path = published_path(upload_id);
  {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) fail("open", path, errno);
    const std::uint64_t have = size_of(fd.get(), path);
    if (have != size) throw RequestError(ErrorCode::conflict, fmt::format("upload is at offset {} of {}", have, size));
    if (::fsync(fd.get()) != 0) fail("fsync", path, errno);
  }
  try {
    return proto::sha256_file(path, size);
  } catch (const std::system_error& e) {
    fail("hash", path, e.code().value());
  }
}

void FileStorage::publish(std::uint64_t upload_id, std::uint64_t file_id) const {
  const auto from = part_path(upload_id);
  const auto to = published_path(file_id);
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const int error = errno;
    // Published already (a finish after a crash between this and the commit): only sync.
    if (!(error == ENOENT && published_size(file_id))) fail("rename", from, error);
  }
  sync_dir(published_);
  sync_dir(uploads_);
}

void FileStorage::unpublish(std::uint64_t file_id, std::uint64_t upload_id) const {
  const auto from = published_path(file_id);
  const auto to = part_path(upload_id);
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    log_event("file storage: cannot move {} back: {}", from.string(), std::strerror(errno));
    std::error_code ec;
    std::filesystem::remove(from, ec);
  }
}

void FileStorage::remove_part(std::uint64_t upload_id) const {
  std::error_code ec;
  std::filesystem::remove(part_path(upload_id), ec);
  if (ec) log_event("file storage: cannot remove part of upload {}: {}", upload_id, ec.message());
}

void FileStorage::remove_published(std::uint64_t file_id) const {
  std::error_code ec;
  std::filesystem::remove(published_path(file_id), ec);
  if (ec) log_event("file storage: cannot remove file {}: {}", file_id, ec.message());
}

std::optional<std::filesystem::file_time_type> FileStorage::part_modified(std::uint64_t upload_id) const {
  std::error_code ec;
  const auto time = std::filesystem::last_write_time(part_path(upload_id), ec);
  if (ec) return std::nullopt;
  return time;
}

std::string FileStorage::read(std::uint64_t file_id, std::uint64_t offset, std::uint32_t length) const {
  const auto path = published_path(file_id);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) fail("open", path, errno);
  std::string data(length, '\0');
  std::size_t done = 0;
  while (done < length) {
    const auto n = ::pread(fd.get(), data.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("read", path, errno);
    }
    if (n == 0) break;  // end of file
    done += static_cast<std::size_t>(n);
  }
  data.resize(done);
  return data;
}

std::uint64_t FileStorage::free_bytes() const {
  struct statvfs fs {};
  if (::statvfs(root_.c_str(), &fs) != 0) fail("statvfs", root_, errno);
  // f_bavail: blocks available to an unprivileged process (what we can really use).
  const auto free = static_cast<unsigned __int128>(fs.f_bavail) * fs.f_frsize;
  return free > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(free);
}

}  // namespace occhat::server

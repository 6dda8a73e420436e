#include "file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace occhat::detail {

// Files above 4 GiB: every offset goes through off_t.
static_assert(sizeof(off_t) == 8, "occhat needs 64-bit file offsets");

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

int FileDescriptor::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

std::string errno_text(int errnum) { return std::generic_category().message(errnum); }

std::size_t pread_full(int fd, std::span<char> out, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category());
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void pwrite_all(int fd, std::string_view bytes, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category());
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string read_small_file(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    std::size_t n = 0;
    try {
      n = pread_full(fd, buffer, out.size());
    } catch (const std::system_error&) {
      return {};
    }
    out.append(buffer, n);
    if (n < sizeof buffer) break;
    if (out.size() > 64 * 1024) return {};  // not one of ours
  }
  return out;
}

void fsync_parent_dir(const std::string& path) noexcept {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const char* dir = parent.empty() ? "." : parent.c_str();
  FileDescriptor fd(::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd) ::fsync(fd.get());
}

}  // namespace occhat::detail

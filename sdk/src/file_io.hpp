#pragma once
// Small POSIX file helpers for the transfers: an owning descriptor and loops that finish short
// reads and writes. 64-bit offsets throughout (off_t is 64-bit on every platform we build for).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace occhat::detail {

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  ~FileDescriptor();
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept;

 private:
  int fd_ = -1;
};

// strerror text of `errnum`, e.g. "No such file or directory".
std::string errno_text(int errnum);

// Reads up to out.size() bytes at `offset`, fewer only at the end of the file. Returns the count;
// throws std::system_error on a read error.
std::size_t pread_full(int fd, std::span<char> out, std::uint64_t offset);
// Writes all of `bytes` at `offset`; throws std::system_error.
void pwrite_all(int fd, std::string_view bytes, std::uint64_t offset);
// The whole small file open at `fd`, from offset 0; empty if it cannot be read or is over 64 KiB.
std::string read_small_file(int fd);
// Makes a rename or creation in the directory of `path` durable; best effort.
void fsync_parent_dir(const std::string& path) noexcept;

}  // namespace occhat::detail

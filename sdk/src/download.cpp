// Client::download_file: validator, resumable "<path>.part", pipelined reads, whole-file check.
//
// Files on disk (the CLI and its tests rely on these names):
//   <path>.part       the bytes received so far, in order from offset 0
//   <path>.part.meta  "<file_id> <sha256hex> <size>\n": which file the .part belongs to
//   <path>.corrupt    the bytes of a download whose SHA-256 did not match
// <path> itself appears only after the whole file's SHA-256 matched (rename of the .part).
//
// The directory may be writable by someone else, who can plant "<path>.part -> ~/.bashrc" (or a
// hard link, a FIFO, a file of theirs) at either name. So an entry there is used only if it is
// what this code makes: a regular file of the effective user with a single link. Anything else
// is refused with invalid_argument, never followed, opened for writing, truncated or removed.
// Checks look at what was opened (O_NOFOLLOW, then fstat), not only at the name; starting over
// unlinks our old files and creates new ones with O_EXCL, so a link planted in between makes
// the open fail instead of being followed; and the rename to <path> happens only if "<path>.part"
// is still the file that was written (a rename replaces a link at <path>, never follows it).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "client_impl.hpp"
#include "convert.hpp"
#include "file_io.hpp"
#include "occhat/proto/requests.hpp"
#include "occhat/proto/sha256.hpp"
#include "pipeline.hpp"
#include "transfer.hpp"

namespace occhat {
namespace {

using detail::kChunkSize;
using detail::kWindow;

Error cannot_write(const std::string& path, const std::string& reason) {
  return Error(ErrorCode::invalid_argument, "cannot write " + path + ": " + reason);
}

// An entry at "<path>.part" or "<path>.part.meta" that this code did not make.
Error refused(const std::string& path, const std::string& why) {
  return cannot_write(path, why + " (not followed, left as it is; remove it to download here)");
}

// Why the entry described by `st` cannot be one of our transfer files; empty if it can.
std::string foreign_reason(const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return "it is a symbolic link";
  if (!S_ISREG(st.st_mode)) return "it is not a regular file";
  if (st.st_uid != ::geteuid()) return "it belongs to another user";
  if (st.st_nlink != 1) return "it has other hard links";
  return {};
}

// lstat: false if nothing is at `path`, true if one of our files is; throws for anything else.
bool ours_at(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    throw cannot_write(path, detail::errno_text(errno));
  }
  if (const std::string why = foreign_reason(st); !why.empty()) throw refused(path, why);
  return true;
}

// Opens our existing file at `path` (access: O_RDONLY or O_RDWR); empty if nothing is there.
// O_NOFOLLOW: a symlink fails with ELOOP instead of being followed; O_NONBLOCK: a FIFO cannot
// block the open. The lstat first keeps devices and FIFOs from being opened at all; the fstat
// after checks what was really opened, whatever was swapped in between.
detail::FileDescriptor open_ours(const std::string& path, int access) {
  if (!ours_at(path)) return {};
  detail::FileDescriptor fd(::open(path.c_str(), access | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return {};
    if (errno == ELOOP) throw refused(path, "it is a symbolic link");
    throw cannot_write(path, detail::errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw cannot_write(path, detail::errno_text(errno));
  if (const std::string why = foreign_reason(st); !why.empty()) throw refused(path, why);
  return fd;
}

// Removes our old file at `path`, if any (unlink removes a name, it never follows one).
void remove_ours(const std::string& path) {
  if (ours_at(path) && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw cannot_write(path, detail::errno_text(errno));
  }
}

// Creates `path` anew, read-write. O_EXCL: whatever appeared at the name since remove_ours (a
// planted symlink included) makes this fail rather than be followed or reused.
detail::FileDescriptor create_new(const std::string& path) {
  detail::FileDescriptor fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) {
    if (errno == EEXIST) throw refused(path, "something else created it just now");
    throw cannot_write(path, detail::errno_text(errno));
  }
  return fd;
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

std::string validator(const FileInfo& file) {
  return std::to_string(file.id) + " " + file.sha256 + " " + std::to_string(file.size) + "\n";
}

void write_meta(const std::string& meta_path, const std::string& text) {
  const detail::FileDescriptor fd = create_new(meta_path);
  try {
    detail::pwrite_all(fd.get(), text, 0);
  } catch (const std::system_error& e) {
    throw cannot_write(meta_path, e.code().message());
  }
}

// Hashes the first `length` bytes of the open part file (a resumed download's prefix), read
// through the descriptor that was checked, never by name again.
void hash_prefix(proto::Sha256& hash, int fd, std::uint64_t length) {
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> block(kChunkSize);
  for (std::uint64_t done = 0; done < length;) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), length - done));
    const std::size_t got = detail::pread_full(fd, std::span<char>(block.data(), want), done);
    if (got == 0) throw std::system_error(EIO, std::generic_category());  // shrank under us
    hash.update(std::string_view(block.data(), got));
    done += got;
  }
}

void request_chunk(detail::Pipeline& pipeline, FileId id, std::uint64_t offset, std::uint64_t size) {
  const auto length = static_cast<std::uint32_t>(std::min<std::uint64_t>(kChunkSize, size - offset));
  pipeline.send(proto::requests::read_file(id, offset, length));
}

}  // namespace

DownloadResult Client::download_file(FileId id, const std::string& path, bool resume,
                                     const ProgressCallback& progress) {
  Impl::ActiveCall active(*impl_);
  detail::Pipeline pipeline(impl_->ready_connection(), [this] { return impl_->next_request_id(); },
                            impl_->options().request_timeout);
  DownloadResult result;
  result.file = detail::from_wire(pipeline.call(proto::requests::get_file(id), wire::Envelope::kFileInfo).file_info());
  result.path = path;
  const FileInfo& file = result.file;
  if (file.state != "available") {
    throw Error(ErrorCode::conflict, "file " + std::to_string(id) + " is still being uploaded");
  }
  proto::Sha256Digest expected;
  if (!proto::sha256_from_hex(file.sha256, expected)) {
    throw Error(ErrorCode::protocol_error, "server sent a bad SHA-256 for file " + std::to_string(id));
  }

  const std::string part_path = path + ".part";
  const std::string meta_path = path + ".part.meta";
  const std::string meta = validator(file);
  std::uint64_t offset = 0;
  detail::FileDescriptor part;
  if (resume) {
    // The validator is looked at first; the part is continued only if it names this file.
    const detail::FileDescriptor meta_fd = open_ours(meta_path, O_RDONLY);
    if (meta_fd && detail::read_small_file(meta_fd.get()) == meta) {
      part = open_ours(part_path, O_RDWR);
      struct stat st {};
      if (part && ::fstat(part.get(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) <= file.size) {
        offset = static_cast<std::uint64_t>(st.st_size);
      }
    }
  }
  if (offset == 0) {
    // Starting over: our old files go (the validator first, so a crash in between leaves
    // nothing resumable) and new ones are created, the part before its validator: a crash then
    // leaves an empty part without one, which nothing can mistake for progress.
    part = detail::FileDescriptor();
    remove_ours(meta_path);
    remove_ours(part_path);
    part = create_new(part_path);
    write_meta(meta_path, meta);
  }
  result.resumed_from = offset;
  // The whole file is verified, not just this call's bytes (a resumed prefix may be damaged
  // too), but hashed as it arrives: the prefix from disk now, the rest from memory, so the file
  // is never read back.
  proto::Sha256 hash;
  try {
    if (offset > 0) hash_prefix(hash, part.get(), offset);
  } catch (const std::system_error& e) {
    throw cannot_write(part_path, e.code().message());
  }
  if (progress) progress(offset, file.size);

  std::uint64_t next = offset;  // first byte not yet requested
  while (offset < file.size) {
    while (next < file.size && pipeline.in_flight() < kWindow) {
      request_chunk(pipeline, id, next, file.size);
      next += std::min<std::uint64_t>(kChunkSize, file.size - next);
    }
    const auto answer = pipeline.wait_oldest(wire::Envelope::kFileChunk);
    const auto& chunk = answer.file_chunk();
    // Every request asked for bytes that exist, so anything but the full length means the
    // server's file is not what file_info announced.
    if (chunk.offset() != offset || chunk.data().size() != std::min<std::uint64_t>(kChunkSize, file.size - offset)) {
      throw Error(ErrorCode::protocol_error, "server sent " + std::to_string(chunk.data().size()) +
                                                 " bytes at offset " + std::to_string(chunk.offset()) + " of file " +
                                                 std::to_string(id) + ", expected offset " + std::to_string(offset));
    }
    try {
      detail::pwrite_all(part.get(), chunk.data(), offset);
    } catch (const std::system_error& e) {
      throw cannot_write(part_path, e.code().message());
    }
    hash.update(chunk.data());
    offset += chunk.data().size();
    result.bytes_received += chunk.data().size();
    if (progress) progress(offset, file.size);
  }

  // No fsync, like curl or cp: the bytes are in the page cache and the kernel writes them
  // back; waiting for the disk would make a 1 GiB download several seconds slower for no
  // guarantee the user asked for. A crash may leave a .part, which --resume re-verifies.
  const proto::Sha256Digest actual = hash.finish();
  // The bytes were hashed as they were written into `part`; what gets renamed is the name. If
  // someone swapped the name for something else meanwhile, that must not become <path>.
  struct stat written {};
  struct stat named {};
  const bool ok = ::fstat(part.get(), &written) == 0 && ::lstat(part_path.c_str(), &named) == 0;
  part = detail::FileDescriptor();
  if (!ok || !same_file(written, named)) {
    throw refused(part_path, "it was replaced by something else during the download");
  }
  if (actual != expected) {
    const std::string corrupt_path = path + ".corrupt";
    std::rename(part_path.c_str(), corrupt_path.c_str());
    std::remove(meta_path.c_str());
    throw Error(ErrorCode::integrity,
                "downloaded file does not match its SHA-256; kept aside as " + corrupt_path);
  }
  if (std::rename(part_path.c_str(), path.c_str()) != 0) throw cannot_write(path, detail::errno_text(errno));
  std::remove(meta_path.c_str());
  detail::fsync_parent_dir(path);
  return result;
}

}  // namespace occhat

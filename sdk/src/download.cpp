// Client::download_file: validator, resumable "<path>.part", pipelined reads, whole-file check.
//
// Files on disk (the CLI and its tests rely on these names):
//   <path>.part       the bytes received so far, in order from offset 0
//   <path>.part.meta  "<file_id> <sha256hex> <size>\n": which file the .part belongs to
//   <path>.corrupt    the bytes of a download whose SHA-256 did not match
// <path> itself appears only after the whole file's SHA-256 matched (rename of the .part).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

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

std::string validator(const FileInfo& file) {
  return std::to_string(file.id) + " " + file.sha256 + " " + std::to_string(file.size) + "\n";
}

void write_meta(const std::string& meta_path, const std::string& text) {
  detail::FileDescriptor fd(::open(meta_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw cannot_write(meta_path, detail::errno_text(errno));
  try {
    detail::pwrite_all(fd.get(), text, 0);
  } catch (const std::system_error& e) {
    throw cannot_write(meta_path, e.code().message());
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
  if (resume && detail::read_small_file(meta_path) == meta) {
    struct stat st {};
    if (::stat(part_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<std::uint64_t>(st.st_size) <= file.size) {
      offset = static_cast<std::uint64_t>(st.st_size);
    }
  }
  // Starting over truncates the part before the validator is (re)written: a crash in between
  // leaves an empty part, which nothing can mistake for progress.
  detail::FileDescriptor part(
      ::open(part_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (offset == 0 ? O_TRUNC : 0), 0644));
  if (!part) throw cannot_write(part_path, detail::errno_text(errno));
  if (offset == 0) write_meta(meta_path, meta);
  result.resumed_from = offset;
  // The whole file is verified, not just this call's bytes (a resumed prefix may be damaged
  // too), but hashed as it arrives: the prefix from disk now, the rest from memory, so the file
  // is never read back.
  proto::Sha256 hash;
  try {
    if (offset > 0) proto::update_from_file(hash, part_path, offset);
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
  part = detail::FileDescriptor();
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

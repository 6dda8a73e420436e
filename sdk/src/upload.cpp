// Client::upload_file and Client::upload_room_file: hash, begin (or find the unfinished upload),
// stream chunks with a window of them in flight, finish. One path for both destinations: they
// differ only in the begin request.

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
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

Error cannot_read(const std::string& path, const std::string& reason) {
  return Error(ErrorCode::invalid_argument, "cannot read " + path + ": " + reason);
}

using Destination = detail::UploadDestination;

wire::UploadState begin(detail::Pipeline& pipeline, const Destination& destination, const std::string& name,
                        std::uint64_t size, const proto::Sha256Digest& digest) {
  const std::string_view sha256(reinterpret_cast<const char*>(digest.data()), digest.size());
  const auto request = destination.room != 0
                           ? proto::requests::begin_room_upload(destination.room, name, size, sha256)
                           : proto::requests::begin_upload(destination.to, name, size, sha256);
  return pipeline.call(request, wire::Envelope::kUploadState).upload_state();
}

}  // namespace

UploadResult Client::upload_file(UserId to, const std::string& path, const std::optional<std::string>& name,
                                 const ProgressCallback& progress) {
  Impl::ActiveCall active(*impl_);
  return impl_->upload(Destination{to, 0}, path, name, progress);
}

UploadResult Client::upload_room_file(RoomId room, const std::string& path, const std::optional<std::string>& name,
                                      const ProgressCallback& progress) {
  Impl::ActiveCall active(*impl_);
  return impl_->upload(Destination{0, room}, path, name, progress);
}

UploadResult Client::Impl::upload(const Destination& destination, const std::string& path,
                                  const std::optional<std::string>& name, const ProgressCallback& progress) {
  detail::FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw cannot_read(path, detail::errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw cannot_read(path, detail::errno_text(errno));
  if (!S_ISREG(st.st_mode)) throw cannot_read(path, "not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);

  proto::Sha256Digest digest;
  try {
    digest = proto::sha256_file(path, size);
  } catch (const std::system_error& e) {
    throw cannot_read(path, e.code().message());
  }
  const std::string shown = name ? *name : std::filesystem::path(path).filename().string();

  detail::Pipeline pipeline(ready_connection(), [this] { return next_request_id(); }, options_.request_timeout);
  auto state = begin(pipeline, destination, shown, size, digest);
  UploadResult result;
  result.resumed_from = state.offset();
  if (state.offset() > size) {
    throw Error(ErrorCode::protocol_error, "server claims " + std::to_string(state.offset()) + " bytes of a " +
                                               std::to_string(size) + "-byte upload");
  }
  const std::uint32_t chunk_size = state.chunk_size() == 0 ? kChunkSize : std::min(state.chunk_size(), kChunkSize);
  std::uint64_t acked = state.offset();  // bytes the server confirmed
  std::uint64_t next = acked;            // first byte not yet sent
  bool reasked = false;
  if (progress) progress(acked, size);

  // One buffer, reused: the chunk's bytes are moved into the request and back out after encoding,
  // so no chunk is copied on its way to the frame.
  std::string buffer;
  while (acked < size) {
    while (next < size && pipeline.in_flight() < kWindow) {
      const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, size - next));
      buffer.resize(length);
      std::size_t got = 0;
      try {
        got = detail::pread_full(fd.get(), std::span<char>(buffer.data(), length), next);
      } catch (const std::system_error& e) {
        throw cannot_read(path, e.code().message());
      }
      if (got != length) throw Error(ErrorCode::integrity, path + " changed while it was sent (it is shorter now)");
      auto request = proto::requests::upload_chunk_moved(state.upload_id(), next, std::move(buffer));
      pipeline.send(request);
      buffer = std::move(*request.mutable_upload_chunk()->mutable_data());
      next += length;
    }
    wire::Envelope answer;
    try {
      answer = pipeline.wait_oldest(wire::Envelope::kUploadState);
    } catch (const Error& e) {
      // Another client moved the upload on (the same file sent twice at once): ask once where
      // it stands and go on from there. The chunks still in flight fail the same way; the
      // server answers in order, so the new begin sees their effect.
      if (e.code() != ErrorCode::conflict || reasked) throw;
      reasked = true;
      pipeline.abandon();
      state = begin(pipeline, destination, shown, size, digest);
      if (state.offset() > size) throw Error(ErrorCode::protocol_error, "server claims too many bytes of the upload");
      acked = next = state.offset();
      if (progress) progress(acked, size);
      continue;
    }
    const std::uint64_t offset = answer.upload_state().offset();
    if (offset <= acked || offset > next) {
      throw Error(ErrorCode::protocol_error, "server acknowledged upload offset " + std::to_string(offset) +
                                                 " after " + std::to_string(acked));
    }
    result.bytes_sent += offset - acked;
    acked = offset;
    if (progress) progress(acked, size);
  }

  pipeline.send(proto::requests::finish_upload(state.upload_id()));
  result.file = detail::from_wire(
      pipeline.wait_oldest(wire::Envelope::kFileInfo, detail::finish_timeout(options_.request_timeout, size))
          .file_info());
  return result;
}

}  // namespace occhat

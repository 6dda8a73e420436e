#pragma once
// Tuning shared by upload.cpp and download.cpp.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstddef>

#include "occhat/proto/limits.hpp"

namespace occhat::detail {

// The protocol's chunk size (UploadState.chunk_size, ReadFileRequest.length cap); a bulk frame
// holds one chunk plus its envelope.
inline constexpr std::uint32_t kChunkSize = proto::kFileChunkSize;
// Chunks in flight per transfer: enough to keep a loopback or LAN link busy while the other end
// does its disk I/O, small enough that a transfer holds a few MiB at most.
inline constexpr std::size_t kWindow = 4;

// Finishing an upload makes the server fsync and hash the whole file: allow for that on top of
// the usual timeout (assumes at least ~50 MB/s of server disk).
inline std::chrono::milliseconds finish_timeout(std::chrono::milliseconds base, std::uint64_t size) {
  return base + std::chrono::milliseconds(size / (50 * 1000));
}

}  // namespace occhat::detail

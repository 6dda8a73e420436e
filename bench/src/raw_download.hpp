#pragma once
// Raw-protocol pieces of the files benchmark: what the SDK cannot show (the server's chunk size)
// or would add its own cost to (a download whose bytes go nowhere).

#include <cstdint>
#include <string>

#include "occhat/proto/sha256.hpp"

namespace occhat::bench {

struct RawTarget {
  std::uint16_t port = 0;
  std::string token;
};

// Begins an upload (which the SDK then resumes: same recipient, size and SHA-256) and returns
// the server's chunk size.
std::uint32_t raw_begin_upload(const RawTarget& target, std::uint32_t to, const std::string& name, std::uint64_t size,
                               const proto::Sha256Digest& sha256);

// Reads the whole file with `window` ReadFile requests of `chunk` bytes in flight, discarding
// the data. Returns the seconds from GetFile to the last byte (login excluded).
double raw_download_null(const RawTarget& target, std::uint64_t file_id, std::uint32_t chunk, std::size_t window);

}  // namespace occhat::bench

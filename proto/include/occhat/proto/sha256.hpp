#pragma once
// SHA-256, the file validator of the wire protocol (FileInfo.sha256, BeginUploadRequest.sha256).
// Server and SDK both compute it here so the two ends can never disagree on how. Backed by
// OpenSSL's EVP (uses the CPU's SHA extensions: ~1.7 GB/s on this machine class).

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace occhat::proto {

using Sha256Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view bytes);
  // Returns the digest; the object must not be updated afterwards.
  Sha256Digest finish();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of ours
};

// Hashes the first `length` bytes of the file at `path` (all of it when length is UINT64_MAX),
// reading in 1 MiB blocks (constant memory). Throws std::system_error if the file cannot be read
// or is shorter than `length`.
Sha256Digest sha256_file(const std::filesystem::path& path, std::uint64_t length = UINT64_MAX);
// The same, feeding an existing hash (e.g. the prefix of a resumed download, then its new bytes).
void update_from_file(Sha256& hash, const std::filesystem::path& path, std::uint64_t length = UINT64_MAX);

std::string to_hex(std::span<const std::uint8_t> bytes);
// Parses 64 hex digits; false on anything else.
bool sha256_from_hex(std::string_view hex, Sha256Digest& out);

}  // namespace occhat::proto

#include "occhat/proto/sha256.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace occhat::proto {
namespace {

EVP_MD_CTX* as_ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(as_ctx(ctx_), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 is unavailable");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(as_ctx(ctx_)); }

void Sha256::update(std::span<const std::uint8_t> bytes) {
  EVP_DigestUpdate(as_ctx(ctx_), bytes.data(), bytes.size());
}

void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(as_ctx(ctx_), bytes.data(), bytes.size());
}

Sha256Digest Sha256::finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(as_ctx(ctx_), digest.data(), &length);
  return digest;
}

void update_from_file(Sha256& hash, const std::filesystem::path& path, std::uint64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
  const auto close_fd = std::unique_ptr<int, void (*)(int*)>(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<std::uint8_t> block(1 << 20);
  std::uint64_t remaining = length;
  while (remaining > 0) {
    const std::size_t want = remaining < block.size() ? static_cast<std::size_t>(remaining) : block.size();
    const ssize_t got = ::read(fd, block.data(), want);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "cannot read " + path.string());
    }
    if (got == 0) {
      if (length == UINT64_MAX) break;
      throw std::system_error(EIO, std::generic_category(), path.string() + " is shorter than expected");
    }
    hash.update(std::span<const std::uint8_t>(block.data(), static_cast<std::size_t>(got)));
    if (length != UINT64_MAX) remaining -= static_cast<std::uint64_t>(got);
  }
}

Sha256Digest sha256_file(const std::filesystem::path& path, std::uint64_t length) {
  Sha256 hash;
  update_from_file(hash, path, length);
  return hash.finish();
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

bool sha256_from_hex(std::string_view hex, Sha256Digest& out) {
  if (hex.size() != out.size() * 2) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return true;
}

}  // namespace occhat::proto

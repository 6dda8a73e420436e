#include "credentials.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <optional>
#include <string>

#include "request_error.hpp"

namespace occhat::server {

void init_crypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string hash_password(std::string_view password) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw RequestError(ErrorCode::internal, "cannot hash password (server out of memory)");
  }
  return std::string(out.data());
}

namespace {

bool verify_argon2(std::string_view hash, std::string_view password) {
  // crypto_pwhash_str_verify wants a NUL-terminated string of bounded length.
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

// The lower-case hex MD5 of `password`, what PyChat stored (and its clients sent) as the password.
// Nullopt if OpenSSL cannot compute it (MD5 disabled by a FIPS-only configuration).
std::optional<std::string> md5_hex(std::string_view password) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(password.data(), password.size(), digest.data(), &length, EVP_md5(), nullptr) != 1 || length != 16) {
    return std::nullopt;
  }
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), length);
  sodium_memzero(digest.data(), digest.size());
  std::string result(hex.data(), 32);
  sodium_memzero(hex.data(), hex.size());
  return result;
}

}  // namespace

bool needs_rehash(std::string_view hash) { return hash.substr(0, kLegacyMd5Marker.size()) == kLegacyMd5Marker; }

bool verify_password(std::string_view hash, std::string_view password) {
  if (!needs_rehash(hash)) return verify_argon2(hash, password);
  auto md5 = md5_hex(password);
  if (!md5) return false;
  const bool verified = verify_argon2(hash.substr(kLegacyMd5Marker.size()), *md5);
  sodium_memzero(md5->data(), md5->size());
  return verified;
}

std::string new_token() {
  std::array<unsigned char, 32> raw{};
  randombytes_buf(raw.data(), raw.size());
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  sodium_memzero(raw.data(), raw.size());
  std::string token(hex.data(), 64);
  sodium_memzero(hex.data(), hex.size());
  return token;
}

std::optional<store::TokenHash> token_hash(std::string_view token) {
  if (token.size() != 64) return std::nullopt;
  std::array<unsigned char, 32> raw{};
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(raw.data(), raw.size(), token.data(), token.size(), nullptr, &length, &end) != 0 ||
      length != raw.size() || end != token.data() + token.size()) {
    return std::nullopt;
  }
  store::TokenHash hash{};
  crypto_hash_sha256(hash.data(), raw.data(), raw.size());
  sodium_memzero(raw.data(), raw.size());
  return hash;
}

}  // namespace occhat::server

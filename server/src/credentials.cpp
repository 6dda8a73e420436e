#include "credentials.hpp"

#include <sodium.h>

#include <array>
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

bool verify_password(std::string_view hash, std::string_view password) {
  // crypto_pwhash_str_verify wants a NUL-terminated string of bounded length.
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
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

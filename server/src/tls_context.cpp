#include "tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "occhat/proto/openssl_reason.hpp"

namespace occhat::server {
namespace {

void require_readable(const char* flag, const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw std::runtime_error(fmt::format("{} {}: is a directory", flag, file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno != 0 ? errno : ENOENT;
    throw std::runtime_error(fmt::format("{} {}: cannot read: {}", flag, file.string(), std::strerror(err)));
  }
}

// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD ciphers only. TLS 1.3 uses
// OpenSSL's default suites (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

std::unique_ptr<asio::ssl::context> make_tls_server_context(const std::filesystem::path& cert_file,
                                                            const std::filesystem::path& key_file) {
  require_readable("--tls-cert", cert_file);
  require_readable("--tls-key", key_file);
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ::ERR_clear_error();
  if (::SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      ::SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    throw std::runtime_error("cannot set up TLS: " + proto::openssl_reason());
  }
  ::SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
  // An idle connection keeps no TLS record buffers inside OpenSSL.
  ::SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // An encrypted key must fail with a message, not prompt for a passphrase on the terminal.
  ::SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });
  if (::SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    throw std::runtime_error(fmt::format("--tls-cert {}: not a usable PEM certificate chain: {}", cert_file.string(),
                                         proto::openssl_reason()));
  }
  if (::SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const std::string reason = proto::openssl_reason();
    if (reason.find("mismatch") != std::string::npos) {
      throw std::runtime_error(fmt::format("--tls-key {} does not match the certificate in --tls-cert {}",
                                           key_file.string(), cert_file.string()));
    }
    throw std::runtime_error(
        fmt::format("--tls-key {}: not a usable PEM private key (unencrypted): {}", key_file.string(), reason));
  }
  if (::SSL_CTX_check_private_key(ctx) != 1) {
    ::ERR_clear_error();
    throw std::runtime_error(fmt::format("--tls-key {} does not match the certificate in --tls-cert {}",
                                         key_file.string(), cert_file.string()));
  }
  return context;
}

std::string tls_error_text(const std::error_code& ec) {
  std::string text = ec.message();
  // Asio appends the OpenSSL library name: "wrong version number (SSL routines)".
  for (const std::string_view suffix : {" (SSL routines)", " (STORE routines)", " (system library)"}) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) text.resize(text.size() - suffix.size());
  }
  return text;
}

}  // namespace occhat::server

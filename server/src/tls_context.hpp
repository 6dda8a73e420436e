#pragma once
// The server's TLS configuration (occhat-server --tls-cert FILE --tls-key FILE), loaded once at
// start-up: TLS 1.2 minimum (1.3 preferred, with OpenSSL's default 1.3 suites), forward-secret
// AEAD suites only for 1.2, no renegotiation, no compression, buffers released while idle.

#include <asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace occhat::server {

// Loads the certificate chain (PEM, leaf first, e.g. Let's Encrypt's fullchain.pem) and its
// private key (PEM, unencrypted). Throws std::runtime_error naming the flag and the file when
// a file is missing or unreadable, is not PEM of the right kind, or the key does not belong to
// the certificate.
std::unique_ptr<asio::ssl::context> make_tls_server_context(const std::filesystem::path& cert_file,
                                                            const std::filesystem::path& key_file);

// Text for a failed TLS operation, e.g. "wrong version number" or "http request".
std::string tls_error_text(const std::error_code& ec);

}  // namespace occhat::server

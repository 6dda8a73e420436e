#pragma once
// TLS for the SDK's connection (Client::Options::tls): the client context and the per-connection
// set-up (SNI, hostname or IP verification), and readable reasons for a failed handshake.

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

#include <memory>
#include <string>
#include <system_error>

namespace occhat::detail {

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket&>;

// TLS 1.2 minimum, the server's certificate verified against `ca_file` (PEM; may hold several
// certificates) or, when it is empty, the system's default trust store. Throws
// Error(invalid_argument) "cannot use CA file F: <why>" when the file cannot be loaded.
std::shared_ptr<asio::ssl::context> make_client_tls_context(const std::string& ca_file);

// Sets SNI (for a DNS name; IP literals are not sent, as RFC 6066 asks) and makes the handshake
// fail unless the certificate is valid for `name` (a DNS name, or an IPv4/IPv6 literal matched
// against the certificate's IP address entries).
void prepare_tls_client(TlsStream& stream, const std::string& name);

// Why the handshake failed: "certificate verification failed: <X509 reason>" when the
// certificate was rejected, else OpenSSL's reason ("wrong version number", ...).
std::string tls_handshake_failure(TlsStream& stream, const std::error_code& ec);

// True if `bytes` begin like a TLS record (handshake or alert): a plaintext client got an
// answer from a TLS server.
bool looks_like_tls_record(const unsigned char* bytes, std::size_t size);

}  // namespace occhat::detail

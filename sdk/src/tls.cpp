#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <asio/ip/address.hpp>
#include <asio/ssl/error.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "occhat/error.hpp"
#include "occhat/proto/openssl_reason.hpp"

namespace occhat::detail {

std::shared_ptr<asio::ssl::context> make_client_tls_context(const std::string& ca_file) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  ::ERR_clear_error();
  ::SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  ::SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  ::SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (ca_file.empty()) {
    if (::SSL_CTX_set_default_verify_paths(ctx) != 1) {
      throw Error(ErrorCode::unavailable, "cannot load the system's trusted certificates: " + proto::openssl_reason());
    }
    return context;
  }
  {
    std::ifstream in(ca_file, std::ios::binary);
    if (!in) {
      const int err = errno != 0 ? errno : ENOENT;
      throw Error(ErrorCode::invalid_argument, "cannot use CA file " + ca_file + ": " + std::strerror(err));
    }
  }
  if (::SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    throw Error(ErrorCode::invalid_argument,
                "cannot use CA file " + ca_file + ": no PEM certificate in it (" + proto::openssl_reason() + ")");
  }
  return context;
}

void prepare_tls_client(TlsStream& stream, const std::string& name) {
  SSL* ssl = stream.native_handle();
  asio::error_code ec;
  asio::ip::make_address(name, ec);
  if (!ec) {
    // An IP literal: matched against the certificate's IP address entries, and no SNI.
    X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl);
    if (::X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
      throw Error(ErrorCode::invalid_argument, "cannot verify TLS for address " + name);
    }
  } else {
    ::SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (::SSL_set1_host(ssl, name.c_str()) != 1 || ::SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
      throw Error(ErrorCode::invalid_argument, "cannot verify TLS for host name " + name);
    }
  }
  ::SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
}

std::string tls_handshake_failure(TlsStream& stream, const std::error_code& ec) {
  const long verify = ::SSL_get_verify_result(stream.native_handle());
  if (verify != X509_V_OK) {
    return std::string("certificate verification failed: ") + ::X509_verify_cert_error_string(verify);
  }
  if (ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::ssl::error::stream_truncated) {
    return "the server closed the connection (does it use TLS?)";
  }
  std::string text = ec.message();
  for (const std::string_view suffix : {" (SSL routines)", " (system library)"}) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) text.resize(text.size() - suffix.size());
  }
  if (text.find("wrong version number") != std::string::npos ||
      text.find("packet length too long") != std::string::npos || text.find("record layer failure") != std::string::npos) {
    text += " (does the server use TLS?)";
  }
  return text;
}

bool looks_like_tls_record(const unsigned char* bytes, std::size_t size) {
  // content type 21 (alert) or 22 (handshake), then protocol version major 3.
  return size >= 2 && (bytes[0] == 21 || bytes[0] == 22) && bytes[1] == 3;
}

}  // namespace occhat::detail

#pragma once
// The accept loop: one Session per accepted connection, until the acceptor is closed.
//
// With TLS, each accepted connection first completes the TLS handshake within
// `tls_handshake_timeout` (a client that connects and says nothing is closed then; so is a
// plaintext client, whose first bytes fail the handshake); only then does it become a Session
// and count against the connection limits. Handshakes in progress are capped at
// limits.max_unauthenticated; beyond it new connections are closed at once.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>

#include <chrono>

namespace occhat::server {

struct ServerContext;

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, ServerContext& server,
                                  asio::ssl::context* tls = nullptr,
                                  std::chrono::steady_clock::duration tls_handshake_timeout = std::chrono::seconds(10));

}  // namespace occhat::server

#pragma once
// The accept loop: one Session per accepted connection, until the acceptor is closed.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

namespace occhat::server {

struct ServerContext;

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, ServerContext& server);

}  // namespace occhat::server

#include "listener.hpp"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>

#include "log.hpp"
#include "server_context.hpp"
#include "session.hpp"

namespace occhat::server {

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, ServerContext& server) {
  std::uint64_t next_id = 1;
  asio::steady_timer backoff(acceptor.get_executor());
  while (acceptor.is_open() && !server.stopping) {
    asio::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || server.stopping) break;
    if (ec) {
      // Typically out of file descriptors: back off instead of spinning on the error.
      log_event("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    try {
      auto session = std::make_shared<Session>(std::move(socket), server, next_id++);
      log_event("conn {} accepted from {}", session->id(), session->peer_address());
      session->start();
    } catch (const std::exception& e) {
      log_event("cannot start session: {}", e.what());
    }
  }
}

}  // namespace occhat::server

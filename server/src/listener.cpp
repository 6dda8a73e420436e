#include "listener.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "log.hpp"
#include "occhat/proto/error_code.hpp"
#include "occhat/proto/frame.hpp"
#include "push_bus.hpp"
#include "server_context.hpp"
#include "session.hpp"
#include "tls_context.hpp"
#include "transport.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

// How long a plaintext client on the TLS port has to read our error frame.
constexpr std::chrono::seconds kPlaintextGrace{2};

// TLS connections whose handshake is in progress, so a shutdown can end them at once.
struct Handshakes {
  std::unordered_map<std::uint64_t, Transport*> open;
};

// A TLS handshake in progress holds a login slot of its address, as a connection that has not
// logged in does (it is one, a step earlier): otherwise one address could hold every handshake
// slot and lock out TLS clients from everywhere else. Released before the session takes its own.
class HandshakeSlot {
 public:
  HandshakeSlot(ServerContext& server, std::string address) : server_(server), address_(std::move(address)) {
    ++server_.unauthenticated;
    ++server_.unauthenticated_by_address[address_];
  }
  ~HandshakeSlot() { release(); }
  HandshakeSlot(const HandshakeSlot&) = delete;
  HandshakeSlot& operator=(const HandshakeSlot&) = delete;

  void release() {
    if (released_) return;
    released_ = true;
    --server_.unauthenticated;
    const auto it = server_.unauthenticated_by_address.find(address_);
    if (it != server_.unauthenticated_by_address.end() && --it->second == 0) {
      server_.unauthenticated_by_address.erase(it);
    }
  }

 private:
  ServerContext& server_;
  std::string address_;
  bool released_ = false;
};

std::size_t login_slots_of(const ServerContext& server, const std::string& address) {
  const auto it = server.unauthenticated_by_address.find(address);
  return it == server.unauthenticated_by_address.end() ? 0 : it->second;
}

std::string peer_of(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string("unknown") : endpoint.address().to_string();
}

asio::awaitable<void> start_tls_session(std::shared_ptr<Handshakes> handshakes, std::unique_ptr<Transport> transport,
                                        ServerContext& server, std::uint64_t id, std::string address,
                                        std::chrono::steady_clock::duration timeout) {
  handshakes->open[id] = transport.get();
  HandshakeSlot slot(server, std::move(address));
  std::string failure;
  bool plaintext = false;
  try {
    plaintext = !co_await transport->handshake(timeout);
  } catch (const asio::system_error& e) {
    if (e.code() == asio::error::timed_out) {
      failure = "no TLS handshake within the time limit";
    } else if (e.code() == asio::error::eof) {
      failure = "TLS handshake failed: the client closed the connection";
    } else if (e.code() == asio::error::operation_aborted || server.stopping) {
      failure = "shutting down";
    } else {
      // A plaintext client ends here ("wrong version number", "http request", ...).
      failure = "TLS handshake failed: " + tls_error_text(e.code());
    }
  }
  if (plaintext && !server.stopping) {
    // Our own clients without --tls read this as a normal final error (UNAVAILABLE, exit 2).
    log_event("conn {} closed: TLS handshake failed: plaintext client on the TLS port", id);
    if (const SharedFrame frame = encode_push(error_body(ErrorCode::unavailable, "this server requires TLS"))) {
      co_await transport->refuse_plaintext(*frame, kPlaintextGrace);
    }
    handshakes->open.erase(id);
    co_return;
  }
  handshakes->open.erase(id);
  if (failure.empty() && server.stopping) failure = "shutting down";
  if (!failure.empty()) {
    log_event("conn {} closed: {}", id, failure);
    co_return;  // the transport (and its socket) goes with this frame
  }
  slot.release();
  try {
    start_session(std::move(transport), server, id);
  } catch (const std::exception& e) {
    log_event("cannot start session: {}", e.what());
  }
}

}  // namespace

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, ServerContext& server, asio::ssl::context* tls,
                                  std::chrono::steady_clock::duration tls_handshake_timeout) {
  std::uint64_t next_id = 1;
  asio::steady_timer backoff(acceptor.get_executor());
  auto handshakes = std::make_shared<Handshakes>();
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
      if (tls != nullptr) {
        const std::uint64_t id = next_id++;
        std::string address = peer_of(socket);
        log_event("conn {} accepted from {} (TLS)", id, address);
        // Before the handshake no error frame can be sent: the socket just closes.
        if (server.unauthenticated >= server.limits.max_unauthenticated) {
          log_event("conn {} closed: server is busy: too many connections waiting to log in", id);
          continue;
        }
        if (login_slots_of(server, address) >= server.limits.max_unauthenticated_per_address) {
          log_event("conn {} closed: server is busy: too many connections from {} waiting to log in", id, address);
          continue;
        }
        auto transport = std::make_unique<Transport>(std::move(socket), *tls);
        asio::co_spawn(acceptor.get_executor(),
                       start_tls_session(handshakes, std::move(transport), server, id, std::move(address),
                                         tls_handshake_timeout),
                       asio::detached);
        continue;
      }
      const std::uint64_t id = next_id++;
      log_event("conn {} accepted from {}", id, peer_of(socket));
      start_session(std::make_unique<Transport>(std::move(socket)), server, id);
    } catch (const std::exception& e) {
      log_event("cannot start session: {}", e.what());
    }
  }
  // Shutting down: handshakes still in progress end now rather than at their timeout.
  for (auto& [id, transport] : handshakes->open) {
    asio::error_code ignored;
    transport->socket().close(ignored);
  }
}

}  // namespace occhat::server

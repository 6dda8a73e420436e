#include "transport.hpp"

#include <asio/redirect_error.hpp>
#include <asio/ssl/error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <span>

namespace occhat::server {
namespace {

// One TLS record's worth of plaintext per read.
constexpr std::size_t kTlsReadBuffer = 16 * 1024;
// Bursts of queued frames up to this size are copied into one buffer before encryption, so
// they become a few full TLS records (and writes) rather than one record per frame.
constexpr std::size_t kTlsCoalesceBytes = 64 * 1024;
constexpr std::uint8_t kTlsHandshakeRecord = 22;

}  // namespace

Transport::Transport(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

Transport::Transport(asio::ip::tcp::socket socket, asio::ssl::context& tls)
    : socket_(std::move(socket)), tls_(std::make_unique<TlsStream>(socket_, tls)) {}

Transport::~Transport() = default;

asio::awaitable<bool> Transport::handshake(std::chrono::steady_clock::duration timeout) {
  // A client that connects and says nothing must not hold the connection: the timer closes the
  // socket, which ends the handshake. `state` outlives this frame in the timer's handler.
  struct State {
    bool done = false;
    bool expired = false;
  };
  auto state = std::make_shared<State>();
  asio::steady_timer timer(socket_.get_executor());
  timer.expires_after(timeout);
  auto on_timeout = [this, state](asio::error_code ec) {
    if (ec || state->done) return;
    state->expired = true;
    asio::error_code ignored;
    socket_.close(ignored);
  };
  timer.async_wait(std::move(on_timeout));
  asio::error_code ec;
  // Every TLS client starts with a handshake record (content type 22); anything else is a
  // plaintext client, which gets a readable answer rather than silence.
  co_await socket_.async_wait(asio::socket_base::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  std::uint8_t first = 0;
  std::size_t peeked = 0;
  if (!ec) peeked = socket_.receive(asio::buffer(&first, 1), asio::socket_base::message_peek, ec);
  if (!ec && peeked == 0) ec = asio::error::eof;
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};  // the handshake waits again
  if (!ec && peeked == 1 && first != kTlsHandshakeRecord) {
    state->done = true;
    co_return false;
  }
  if (!ec) {
    co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  }
  state->done = true;
  timer.cancel();
  if (state->expired) throw asio::system_error(asio::error::timed_out);
  if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;
  if (ec) throw asio::system_error(ec);
  tls_read_buffer_.resize(kTlsReadBuffer);
  co_return true;
}

asio::awaitable<void> Transport::refuse_plaintext(const std::string& bytes, std::chrono::steady_clock::duration grace) {
  auto closed = std::make_shared<bool>(false);
  asio::steady_timer timer(socket_.get_executor());
  timer.expires_after(grace);
  auto on_grace = [this, closed](asio::error_code ec) {
    if (ec || *closed) return;
    asio::error_code ignored;
    socket_.close(ignored);
  };
  timer.async_wait(std::move(on_grace));
  asio::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  while (!ec && drained < 64 * 1024) {
    drained += co_await socket_.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
  }
  *closed = true;
  timer.cancel();
}

asio::awaitable<std::span<const std::uint8_t>> Transport::read_some(std::span<std::uint8_t> shared_slice) {
  if (!tls_) {
    co_await socket_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
    asio::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(shared_slice.data(), shared_slice.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) co_return std::span<const std::uint8_t>();
    if (ec) throw asio::system_error(ec);
    co_return std::span<const std::uint8_t>(shared_slice.data(), n);
  }
  asio::error_code ec;
  const std::size_t n =
      co_await tls_->async_read_some(asio::buffer(tls_read_buffer_), asio::redirect_error(asio::use_awaitable, ec));
  // Closing TCP without close_notify is harmless here: frames carry their own length.
  if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;
  if (ec) throw asio::system_error(ec);
  co_return std::span<const std::uint8_t>(tls_read_buffer_.data(), n);
}

asio::awaitable<void> Transport::write(const std::vector<asio::const_buffer>& buffers) {
  if (!tls_) {
    // A view, not the vector: async_write would copy a vector (an allocation per write).
    co_await asio::async_write(socket_, std::span<const asio::const_buffer>(buffers), asio::use_awaitable);
    co_return;
  }
  std::size_t total = 0;
  for (const auto& buffer : buffers) total += buffer.size();
  if (buffers.size() > 1 && total <= kTlsCoalesceBytes) {
    tls_write_buffer_.clear();
    for (const auto& buffer : buffers) tls_write_buffer_.append(static_cast<const char*>(buffer.data()), buffer.size());
    co_await asio::async_write(*tls_, asio::buffer(tls_write_buffer_), asio::use_awaitable);
    std::string().swap(tls_write_buffer_);  // an idle connection keeps no write buffer
    co_return;
  }
  co_await asio::async_write(*tls_, buffers, asio::use_awaitable);
}

asio::awaitable<void> Transport::shutdown_send() {
  asio::error_code ec;
  if (tls_) {
    // The SSL engine allows one read at a time: the session's pending read gives way (it ends
    // with operation_aborted, and the session reads no further frames once closing).
    socket_.cancel(ec);
    co_await tls_->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace occhat::server

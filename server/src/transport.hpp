#pragma once
// The byte stream under a Session: plain TCP, or TLS over TCP (asio::ssl) whose handshake the
// listener finished before the Session was made.
//
// Plaintext reads wait for readability, then read without blocking into a slice the caller
// shares between all sessions, so an idle plaintext connection holds no read buffer. TLS reads
// go through the SSL engine into a small per-connection buffer (a TLS connection keeps
// per-connection engine state anyway).
//
// Not movable: the TLS stream refers to the socket member. Lives on the network thread.

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace occhat::server {

class Transport {
 public:
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket&>;

  // Plain TCP.
  explicit Transport(asio::ip::tcp::socket socket);
  // TLS over `socket`; call handshake() before anything else.
  Transport(asio::ip::tcp::socket socket, asio::ssl::context& tls);
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport();

  // The TCP socket (options, addresses, the executor, shutdown and close).
  asio::ip::tcp::socket& socket() noexcept { return socket_; }
  bool is_tls() const noexcept { return tls_ != nullptr; }

  // The server side of the TLS handshake (TLS only), within `timeout` (else throws
  // asio::system_error timed_out). Returns false, consuming nothing, when the peer's first byte
  // is not a TLS handshake record: a plaintext client (see refuse_plaintext()). Throws
  // asio::system_error when the handshake fails.
  asio::awaitable<bool> handshake(std::chrono::steady_clock::duration timeout);

  // For a plaintext peer on a TLS port: sends `bytes` in the clear (an occhat error frame the
  // peer can read), half-closes, and drains what the peer sent for at most `grace`, so the
  // kernel does not reset the connection before the peer read the frame.
  asio::awaitable<void> refuse_plaintext(const std::string& bytes, std::chrono::steady_clock::duration grace);

  // Waits for input and returns what arrived: in `shared_slice` for plain TCP (to be consumed
  // before the caller next suspends), in this connection's buffer for TLS. Empty when nothing
  // was there after all (call again). Throws asio::system_error: eof at the end of the stream
  // (a TLS peer that closes without close_notify counts as eof too).
  asio::awaitable<std::span<const std::uint8_t>> read_some(std::span<std::uint8_t> shared_slice);

  // Writes every buffer, in order.
  asio::awaitable<void> write(const std::vector<asio::const_buffer>& buffers);

  // After our last frame: stops a TLS read in progress (the caller reads no more frames), sends
  // TLS close_notify (waiting for the peer's until it answers, closes or the socket is closed),
  // then half-closes TCP. Errors are ignored: the connection is ending anyway.
  asio::awaitable<void> shutdown_send();

 private:
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsStream> tls_;
  std::vector<std::uint8_t> tls_read_buffer_;  // allocated once the handshake is done
  std::string tls_write_buffer_;               // small frames of one burst, coalesced
};

}  // namespace occhat::server

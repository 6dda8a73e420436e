#pragma once
// One TCP connection to an occhat-server: framing, a reader coroutine that routes answers to
// their pending calls and pushes to a callback, and an in-order writer.
//
// Threading: all socket work happens on the io_context's thread (the Client runs exactly one).
// The members marked thread-safe may be called from any thread; they post to that thread.
// Lifetime: owned by shared_ptr; every pending Asio operation holds a reference, so the object
// outlives its handlers. close() makes every operation finish, after which io_context::run()
// returns.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "occhat/error.hpp"
#include "occhat/proto/occhat.pb.h"
#include "pending_calls.hpp"
#include "tls.hpp"

namespace occhat::detail {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Called on the I/O thread for each frame with request id 0.
  using PushHandler = std::function<void(wire::Envelope&&)>;
  // Called on the I/O thread once, when the connection ends for a reason other than close()
  // with notify=false (i.e. the server went away or misbehaved).
  using LostHandler = std::function<void(const Error&)>;
  // Called on the I/O thread with nullopt on success.
  using OpenHandler = std::function<void(std::optional<Error>)>;

  Connection(asio::io_context& io, std::string server_label, PushHandler on_push, LostHandler on_lost);

  // Makes open() do a TLS handshake after connecting, verifying the certificate for
  // `server_name`. Call before open().
  void use_tls(std::shared_ptr<asio::ssl::context> context, std::string server_name);

  // Resolves host and connects within `timeout` (with TLS: and completes the handshake), then
  // starts reading. Call before the I/O
  // thread runs, or from it. `done` gets Error(unavailable) when the server cannot be reached and
  // Error(timeout) when the deadline passes first.
  void open(std::string host, std::string port, std::chrono::milliseconds timeout, OpenHandler done);

  // Thread-safe. Queues an encoded frame; frames go out in the order of send() calls. Dropped
  // silently once closed (the pending table has already failed its call).
  void send(std::string frame);
  // Thread-safe. From now on, whenever `interval` (> 0) passes without a frame sent, sends the
  // frame `make_ping()` returns (a ping with a fresh request id; its pong, answering no pending
  // call, is dropped by the reader). The server drops connections it has not heard from for a
  // while, so an idle client stays connected. A server that is gone is noticed by the failed
  // write; one that hangs or is cut off accepts the write (the kernel buffers it), so with
  // `timeout` > 0 the connection is lost (unavailable, the same path as a reset) when nothing at
  // all arrives within `timeout` of a ping.
  void start_keepalive(std::chrono::milliseconds interval, std::chrono::milliseconds timeout,
                       std::function<std::string()> make_ping);
  // Thread-safe. Ends the connection: fails every pending call with `reason` right away, then
  // closes the socket on the I/O thread. notify=false for a close the application asked for.
  void close(const Error& reason, bool notify);

  bool is_open() const noexcept { return open_.load(); }
  PendingCalls& pending() noexcept { return pending_; }
  // "HOST:PORT" as the user gave it, for messages.
  const std::string& label() const noexcept { return label_; }

 private:
  asio::awaitable<void> connect(std::string host, std::string port);
  asio::awaitable<void> tls_handshake();
  asio::awaitable<void> read_loop();
  void enqueue(std::string frame);  // I/O thread only
  void write_next();
  void arm_keepalive(std::chrono::steady_clock::time_point at);
  void send_ping();  // the keepalive ping, and the deadline for a sign of life after it
  void close_now(const Error& reason, bool notify);  // I/O thread only

  asio::io_context& io_;
  asio::ip::tcp::socket socket_;
  // TLS (use_tls()): the stream over socket_, made once TCP is connected.
  std::shared_ptr<asio::ssl::context> tls_context_;
  std::string tls_name_;
  std::unique_ptr<TlsStream> tls_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  asio::steady_timer keepalive_timer_;
  asio::steady_timer pong_timer_;
  std::string label_;
  PushHandler on_push_;
  LostHandler on_lost_;
  PendingCalls pending_;
  std::atomic<bool> open_{false};
  // I/O thread only:
  std::deque<std::string> outbox_;
  std::chrono::steady_clock::time_point last_sent_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_received_ = std::chrono::steady_clock::now();
  std::chrono::milliseconds keepalive_interval_{0};
  std::chrono::milliseconds keepalive_timeout_{0};
  // A ping went out and nothing has arrived since: pong_timer_ runs until its deadline.
  bool awaiting_pong_ = false;
  std::function<std::string()> make_ping_;
  bool connecting_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
};

}  // namespace occhat::detail

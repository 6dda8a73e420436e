#pragma once
// One client connection: a reader coroutine that decodes frames and handles requests one at a
// time (so answers keep request order), and a writer coroutine that drains a bounded queue of
// encoded frames. Anything that goes wrong ends this session only.
//
// Lives on the network thread; all members are touched only from there.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "occhat/proto/frame.hpp"
#include "occhat/store/store.hpp"

namespace occhat::server {

struct ServerContext;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, ServerContext& server, std::uint64_t id);
  ~Session();

  // Spawns the reader and the writer.
  void start();
  // Closes the connection now, dropping unsent frames. Idempotent.
  void stop();

  // Queues a server push (request id 0) without waiting. Returns false when the queue is full
  // or the session is closing: the caller keeps the item pending and retries later.
  bool try_push(const wire::Envelope& body);

  std::uint64_t id() const noexcept { return id_; }
  // The peer's IP address (no port), used for per-address throttling and logs.
  const std::string& peer_address() const noexcept { return peer_address_; }

  bool hello_done() const noexcept { return hello_done_; }
  void set_hello_done() noexcept { hello_done_ = true; }

  // The logged-in user and the hash of the token this connection used, if any.
  std::optional<std::uint32_t> user_id() const noexcept { return user_id_; }
  const std::optional<store::TokenHash>& token_hash() const noexcept { return token_hash_; }
  bool announce_presence() const noexcept { return announce_presence_; }
  // Marks the session as logged in (registering it with the router) or logged out.
  void log_in(std::uint32_t user_id, const store::TokenHash& token_hash, bool announce_presence);
  void log_out();

 private:
  asio::awaitable<void> reader();
  asio::awaitable<void> writer();
  asio::awaitable<void> handle(const proto::Frame& frame);
  // Queues an answer, waiting while the queue is full (back-pressure on this client's requests).
  asio::awaitable<void> send(std::uint32_t request_id, const wire::Envelope& body);
  bool enqueue(std::uint32_t request_id, const wire::Envelope& body);
  // Sends PROTOCOL_ERROR and closes once it is flushed.
  asio::awaitable<void> protocol_error(std::uint32_t request_id, proto::DecodeError error);
  // Stop reading requests; the writer flushes what is queued, then closes.
  void close_after_flush();
  // After our last frame: half-close and drain the peer's input for a moment, so unread input
  // does not make the kernel reset the connection before the peer reads our error frame.
  asio::awaitable<void> linger();

  asio::ip::tcp::socket socket_;
  ServerContext& server_;
  const std::uint64_t id_;
  std::string peer_address_;
  std::deque<std::string> outbound_;
  asio::steady_timer wake_writer_;
  asio::steady_timer queue_space_;
  asio::steady_timer close_deadline_;
  bool closing_ = false;
  bool stopped_ = false;
  bool hello_done_ = false;
  std::optional<std::uint32_t> user_id_;
  std::optional<store::TokenHash> token_hash_;
  bool announce_presence_ = false;
};

}  // namespace occhat::server

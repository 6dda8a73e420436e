#pragma once
// One client connection: a reader coroutine that decodes frames and handles requests in order,
// and a writer coroutine that drains a bounded queue of encoded frames. Consecutive
// send_message requests are pipelined (up to kMaxPipelinedSends in flight, so they share group
// commits); every other request waits until those are answered, then runs alone. Anything that goes wrong ends this session only. A watchdog closes the
// connection when no frame arrived for the idle timeout while the session waited for one.
//
// Inbox subscription: pushes are bounded too. An item goes out directly only when it is the next
// seq after `pushed_seq` and the queue has room; otherwise a catch-up coroutine reads from the
// store where the pushes left off, once the writer made room. So a connection never sees a seq
// skipped, reordered or twice, and a slow reader never grows server memory.
//
// Lives on the network thread; all members are touched only from there.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "occhat/proto/error_code.hpp"
#include "occhat/proto/frame.hpp"
#include "occhat/store/store.hpp"
#include "transport.hpp"

namespace occhat::server {

struct ServerContext;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, ServerContext& server, std::uint64_t id);
  // Over a transport the listener prepared (TLS: handshake already done).
  Session(std::unique_ptr<Transport> transport, ServerContext& server, std::uint64_t id);
  ~Session();

  // Spawns the reader and the writer; refuses the connection (RESOURCE_EXHAUSTED) when the
  // server is at its connection limits.
  void start();
  // Closes the connection now, dropping unsent frames. Idempotent.
  void stop();

  // Queues a server push (request id 0) without waiting. Returns false when the queue has no
  // room for pushes (some is always kept for answers) or the session is closing: the caller
  // keeps the item pending and retries later.
  bool try_push(const wire::Envelope& body);

  // Runs `action` once the answer to the request being handled is queued (also after an error
  // answer, or when the connection closed meanwhile). Handlers use it for work that must follow
  // their answer: pushes to other users after a commit, starting a subscription.
  void after_reply(std::function<void()> action);

  // Starts the inbox subscription of the logged-in user: every item with seq > max(after_seq,
  // acked seq) is pushed in order, then each new one. Subscribing again only moves the start
  // forward (a seq is never pushed twice on one connection).
  void subscribe(std::uint64_t after_seq);
  bool subscribed() const noexcept { return subscription_.has_value(); }
  // A newly committed item of this session's user (no-op unless subscribed).
  void deliver(const store::InboxItem& item);
  // This connection acknowledged up to `acked_seq`: items up to it need no push any more.
  void acknowledged(std::uint64_t acked_seq);
  // A friend's presence changed (no-op unless subscribed). When the queue is full the latest
  // state per friend is kept and sent once there is room.
  void push_presence(const wire::PresenceEvent& event);

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
  // The token this connection logged in with was revoked (logout on another connection): log
  // out, tell the client with a final UNAUTHENTICATED push, and close.
  void revoke();

 private:
  asio::awaitable<void> reader();
  // Sends `why` as a final error push and closes once it is flushed.
  void refuse(ErrorCode code, std::string_view why);
  // Counts this connection as not logged in (starting its login deadline), or stops counting it.
  void set_unauthenticated(bool counted);
  asio::awaitable<void> writer();
  // One frame taken off the wire, or the reason it cannot be handled.
  struct Incoming {
    proto::Frame frame;
    proto::DecodeError error = proto::DecodeError::none;
    proto::FrameHeader header;
    bool bad_payload = false;           // the header was fine, the payload is not
    std::vector<std::uint8_t> payload;  // kept only when the payload failed to decode
  };
  // Splits `bytes` (plus any partial frame kept from before) into whole frames; keeps the rest.
  // Parsing stops after the first frame whose header is invalid.
  std::vector<Incoming> take_frames(std::span<const std::uint8_t> bytes);
  // Handles one incoming frame in order; returns false when the connection must stop reading.
  asio::awaitable<bool> handle_incoming(Incoming& incoming);
  asio::awaitable<void> handle(const proto::Frame& frame);
  asio::awaitable<void> handle_pipelined(std::shared_ptr<Session> keep_alive, proto::Frame frame);
  asio::awaitable<void> wait_for_pipeline(std::size_t at_most);
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
  // Closes the connection when the reader waited longer than the idle timeout for a frame.
  asio::awaitable<void> watchdog();
  bool push_room() const noexcept;
  void start_catch_up();
  asio::awaitable<void> catch_up(std::uint64_t generation);
  bool subscription_is(std::uint64_t generation) const noexcept;
  void flush_pending_presence();

  struct Subscription {
    std::uint32_t user_id = 0;
    std::uint64_t generation = 0;  // tells a stale catch-up coroutine that it is no longer wanted
    std::uint64_t pushed_seq = 0;  // every item up to here was queued on this connection
    bool catching_up = false;
    bool dirty = false;  // items arrived while catching up: read the store once more
    bool fell_behind = false;  // logged once: the queue was full and pushes came from the store
  };

  std::unique_ptr<Transport> transport_;  // plain TCP or TLS; reads and writes go through it
  asio::ip::tcp::socket& socket_;         // transport_'s TCP socket
  ServerContext& server_;
  const std::uint64_t id_;
  std::string peer_address_;
  // Bytes of a frame that has not fully arrived yet (empty, and holding no memory, between
  // frames: idle connections cost no read buffer).
  std::string partial_;
  std::size_t pipelined_ = 0;  // pipelined sends not yet answered
  std::deque<std::string> outbound_;
  std::size_t outbound_bytes_ = 0;
  asio::steady_timer wake_writer_;
  asio::steady_timer queue_space_;
  asio::steady_timer close_deadline_;
  asio::steady_timer idle_timer_;
  asio::steady_timer pipeline_done_;  // cancelled whenever a pipelined send was answered
  std::chrono::steady_clock::time_point waiting_since_;
  bool waiting_for_input_ = false;
  std::vector<std::function<void()>> after_reply_;
  std::optional<Subscription> subscription_;
  std::uint64_t subscription_generation_ = 0;
  std::map<std::uint32_t, wire::PresenceEvent> pending_presence_;
  bool closing_ = false;
  bool stopped_ = false;
  bool hello_done_ = false;
  bool counted_unauthenticated_ = false;
  std::chrono::steady_clock::time_point login_clock_;  // when it last became unauthenticated
  std::optional<std::uint32_t> user_id_;
  std::optional<store::TokenHash> token_hash_;
  bool announce_presence_ = false;
};

}  // namespace occhat::server

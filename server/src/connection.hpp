#pragma once
// One client connection as bytes: the transport, the incremental frame decoder, a bounded queue
// of encoded frames with its writer coroutine, the idle and login watchdog, the connection
// limits, and an orderly close. What the frames mean is its ConnectionHandler's business (the
// Session): the reader hands it each decoded frame in order and waits while it handles one.
//
// Outbound frames are shared bytes (SharedFrame): a push encoded once for many recipients is
// queued on each of their connections without a copy.
//
// Lives on the network thread; all members are touched only from there. Owned by shared_ptr:
// its coroutines (and whatever its handler spawns) keep it alive until it stopped.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "occhat/proto/error_code.hpp"
#include "occhat/proto/frame.hpp"
#include "push_bus.hpp"
#include "push_outbox.hpp"
#include "transport.hpp"

namespace occhat::server {

struct ServerContext;

// One frame taken off the wire, or the reason it cannot be handled.
struct Incoming {
  proto::Frame frame;
  proto::DecodeError error = proto::DecodeError::none;
  proto::FrameHeader header;
  bool bad_payload = false;           // the header was fine, the payload is not
  std::vector<std::uint8_t> payload;  // kept only when the payload failed to decode
  std::chrono::steady_clock::time_point read_at;  // decoded (set only with server_.time_stages)
};

// The logic on top of a connection.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // The next frame off the wire (or its decode error). Returns false when the connection must
  // stop reading (it is closing).
  virtual asio::awaitable<bool> on_frame(Incoming incoming) = 0;
  // No more input will come: finish what is in flight.
  virtual asio::awaitable<void> on_input_end() = 0;
  // The writer flushed frames: there is room in the queue again.
  virtual void on_room() = 0;
  // The connection stops for good (called once, before the socket closes).
  virtual void on_stop() = 0;
};

class Connection final : public PushOutbox, public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::unique_ptr<Transport> transport, ServerContext& server, std::uint64_t id);
  ~Connection() override;

  // Spawns the reader, the writer and the watchdog with `handler` on top; refuses the
  // connection (RESOURCE_EXHAUSTED) when the server is at its connection limits.
  void start(std::unique_ptr<ConnectionHandler> handler);
  // Closes the connection now, dropping unsent frames. Idempotent.
  void stop();
  // Sends `why` as a final error push and closes once it is flushed.
  void refuse(ErrorCode code, std::string_view why);
  // Stops reading requests; the writer flushes what is queued, then closes.
  void close_after_flush();

  // Queues an answer, waiting while the queue is full (back-pressure on this client's requests).
  asio::awaitable<void> send(std::uint32_t request_id, const wire::Envelope& body);
  // send() when it would not wait: false (nothing queued) while the queue is full or other
  // answers wait for room.
  bool try_send(std::uint32_t request_id, const wire::Envelope& body);

  // PushOutbox: server pushes, bounded below the answer limits.
  bool try_push(const SharedFrame& frame) override;
  bool has_push_room() const noexcept override;
  asio::awaitable<void> room() override;
  bool closing() const noexcept override { return closing_; }
  bool stopped() const noexcept { return stopped_; }

  // Counts this connection as not logged in (its login deadline running, frames limited to
  // the small ones of hello/register/login/resume) or as logged in.
  void set_authenticated(bool authenticated);

  std::uint64_t id() const noexcept { return id_; }
  // The peer's IP address (no port), used for per-address throttling and logs.
  const std::string& peer_address() const noexcept { return peer_address_; }
  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  asio::awaitable<void> reader();
  asio::awaitable<void> writer();
  // Closes the connection when the reader waited longer than the idle timeout for a frame, or
  // it stayed unauthenticated past the login deadline.
  asio::awaitable<void> watchdog();
  // After our last frame: half-close and drain the peer's input for a moment, so unread input
  // does not make the kernel reset the connection before the peer reads our error frame.
  asio::awaitable<void> linger();
  // The next whole frame (or its decode error) from what arrived; false when more is needed.
  bool next_frame(Incoming& incoming);
  // Completes once this connection may handle another request: its queue is under its bound,
  // and, while every connection together holds more than limits.max_queued_bytes, empty.
  asio::awaitable<void> room_for_request();
  bool queue_full() const noexcept;
  // An answer given now would queue behind others (full queue, or answers already waiting).
  bool answer_must_wait() const;
  // A connection holds a login slot (server.unauthenticated, per address) while it is open,
  // not logged in and not closing.
  void update_login_slot();
  // At stop: the queued bytes no longer count towards limits.max_queued_bytes.
  void release_queue_accounting() noexcept;
  void enqueue(SharedFrame frame);
  void enqueue(std::uint32_t request_id, const wire::Envelope& body);

  std::unique_ptr<Transport> transport_;  // plain TCP or TLS; reads and writes go through it
  asio::ip::tcp::socket& socket_;         // transport_'s TCP socket
  ServerContext& server_;
  const std::uint64_t id_;
  std::string peer_address_;
  std::unique_ptr<ConnectionHandler> handler_;
  proto::FrameDecoder decoder_;
  struct Outbound {
    SharedFrame frame;
    std::chrono::steady_clock::time_point queued_at;  // set only with server_.time_stages
    std::chrono::steady_clock::time_point send_read_at;  // a timed send's push (TimedPush): its read
  };
  std::deque<Outbound> outbound_;
  std::size_t outbound_bytes_ = 0;
  asio::steady_timer wake_writer_;
  asio::steady_timer queue_space_;
  // Answers waiting for queue space, served in arrival order (send()).
  std::size_t answers_waiting_ = 0;
  std::uint64_t next_answer_ticket_ = 0;
  std::uint64_t answer_ticket_served_ = 0;
  asio::steady_timer close_deadline_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point waiting_since_;
  bool waiting_for_input_ = false;
  bool writing_ = false;  // a write is in progress since write_started_
  std::chrono::steady_clock::time_point write_started_;
  std::chrono::steady_clock::time_point watchdog_wake_;
  bool closing_ = false;
  bool stopped_ = false;
  bool authenticated_ = false;
  bool counted_unauthenticated_ = false;
  std::chrono::steady_clock::time_point login_clock_;  // when it last became unauthenticated
  std::chrono::seconds login_limit_{0};                // its deadline from login_clock_
};

}  // namespace occhat::server

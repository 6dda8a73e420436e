#include "connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>

#include "log.hpp"
#include "send_stages.hpp"
#include "server_context.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

// Frames waiting for a slow reader. Answers beyond this make the connection stop reading that
// client's requests; pushes beyond it stay pending in the store (the subscription's job).
constexpr std::size_t kMaxQueuedFrames = 256;
// Answers may be 1 MiB file chunks: the queue is bounded in bytes too, so a client pipelining
// reads it does not drain costs at most this much (plus one frame) of server memory.
constexpr std::size_t kMaxQueuedBytes = 8 * 1024 * 1024;
// Pushes may fill the queue only this far, so answers always find room and a client that reads
// nothing costs at most about a megabyte of server memory; the rest waits in the store.
constexpr std::size_t kMaxQueuedPushFrames = 192;
constexpr std::size_t kMaxQueuedPushBytes = 1024 * 1024;
// How long a closing connection may take to flush its last frames and drain the peer's input.
constexpr std::chrono::seconds kCloseGrace{3};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
// Input is read in slices of this size into one buffer shared by every connection (all live on
// the network thread and decode a slice before they next suspend).
constexpr std::size_t kReadSlice = 64 * 1024;
// A partial-frame buffer that grew beyond this (an upload chunk) is freed once it is empty:
// idle connections cost no read buffer.
constexpr std::size_t kKeepPartialCapacity = 4096;
// Until login only hello, register, login and resume make sense; the largest (register) is
// under 2 KiB. A connection that has not logged in cannot make the server hold a 1 MiB frame.
constexpr std::size_t kMaxPayloadBeforeLogin = 4096;
// Under pressure (over half the unauthenticated slots taken), a new connection must log in
// within this long (or the configured timeout, if shorter).
constexpr std::chrono::seconds kLoginTimeoutUnderPressure{10};
// One write carries at most this much (but always a whole frame), so a slow but steady reader
// shows progress to the write-stall check.
constexpr std::size_t kWriteSlice = 256 * 1024;

std::span<std::uint8_t> read_slice() {
  static thread_local std::array<std::uint8_t, kReadSlice> slice;
  return slice;
}

}  // namespace

Connection::Connection(std::unique_ptr<Transport> transport, ServerContext& server, std::uint64_t id)
    : transport_(std::move(transport)),
      socket_(transport_->socket()),
      server_(server),
      id_(id),
      decoder_(kKeepPartialCapacity),
      wake_writer_(socket_.get_executor()),
      queue_space_(socket_.get_executor()),
      close_deadline_(socket_.get_executor()),
      idle_timer_(socket_.get_executor()) {
  asio::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  peer_address_ = ec ? std::string("unknown") : endpoint.address().to_string();
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
  queue_space_.expires_at(asio::steady_timer::time_point::max());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  // The reader waits for readability and then reads whatever is there without blocking.
  socket_.non_blocking(true, ec);
}

Connection::~Connection() = default;

void Connection::start(std::unique_ptr<ConnectionHandler> handler) {
  handler_ = std::move(handler);
  server_.connections[id_] = weak_from_this();
  set_authenticated(false);
  asio::co_spawn(executor(), [self = shared_from_this()] { return self->reader(); }, asio::detached);
  asio::co_spawn(executor(), [self = shared_from_this()] { return self->writer(); }, asio::detached);
  asio::co_spawn(executor(), [self = shared_from_this()] { return self->watchdog(); }, asio::detached);
  // Refused after the coroutines started: the writer delivers the reason, then closes.
  const bool full = server_.connections.size() > server_.limits.max_connections ||
                    server_.unauthenticated_by_address[peer_address_] > server_.limits.max_unauthenticated_per_address ||
                    server_.unauthenticated > server_.limits.max_unauthenticated;
  if (full) server_.metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
  if (server_.connections.size() > server_.limits.max_connections) {
    refuse(ErrorCode::resource_exhausted, "server is full: too many connections; try again later");
  } else if (server_.unauthenticated_by_address[peer_address_] > server_.limits.max_unauthenticated_per_address) {
    refuse(ErrorCode::resource_exhausted,
           "server is busy: too many connections from your address waiting to log in; try again later");
  } else if (server_.unauthenticated > server_.limits.max_unauthenticated) {
    refuse(ErrorCode::resource_exhausted, "server is busy: too many connections waiting to log in; try again later");
  }
}

void Connection::refuse(ErrorCode code, std::string_view why) {
  if (closing_) return;
  log_event("conn {} closed: {}", id_, why);
  enqueue(proto::kPushRequestId, error_body(code, why));
  close_after_flush();
}

void Connection::set_authenticated(bool authenticated) {
  authenticated_ = authenticated;
  decoder_.limit_payload(authenticated ? SIZE_MAX : kMaxPayloadBeforeLogin);
  update_login_slot();
}

void Connection::update_login_slot() {
  const bool counted = !authenticated_ && !closing_;
  if (counted == counted_unauthenticated_) return;
  counted_unauthenticated_ = counted;
  if (counted) {
    ++server_.unauthenticated;
    ++server_.unauthenticated_by_address[peer_address_];
    login_clock_ = std::chrono::steady_clock::now();
    const bool under_pressure = server_.unauthenticated > server_.limits.max_unauthenticated / 2;
    login_limit_ = under_pressure ? std::min(server_.limits.login_timeout, kLoginTimeoutUnderPressure)
                                  : server_.limits.login_timeout;
    idle_timer_.cancel();  // the watchdog re-arms with the login deadline
  } else {
    --server_.unauthenticated;
    const auto it = server_.unauthenticated_by_address.find(peer_address_);
    if (it != server_.unauthenticated_by_address.end() && --it->second == 0) {
      server_.unauthenticated_by_address.erase(it);
    }
  }
}

void Connection::stop() {
  if (stopped_) return;
  closing_ = true;
  // The handler logs out first (and may still look at the connection); then it is gone.
  if (handler_) handler_->on_stop();
  stopped_ = true;
  update_login_slot();
  server_.connections.erase(id_);
  release_queue_accounting();
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  wake_writer_.cancel();
  queue_space_.cancel();
  close_deadline_.cancel();
  idle_timer_.cancel();
  log_event("conn {} closed", id_);
}

void Connection::release_queue_accounting() noexcept {
  // The frames themselves stay until the connection is destroyed: a write in progress may still
  // point at them. Only the server-wide count lets go of them now.
  server_.queued_bytes -= outbound_bytes_;
  outbound_bytes_ = 0;
}

void Connection::enqueue(SharedFrame frame) {
  outbound_bytes_ += frame->size();
  server_.queued_bytes += frame->size();
  const auto queued_at = server_.time_stages ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  outbound_.push_back(Outbound{std::move(frame), queued_at, server_.timed_push_read_at});
  wake_writer_.cancel_one();
}

void Connection::enqueue(std::uint32_t request_id, const wire::Envelope& body) {
  auto frame = std::make_shared<std::string>();
  if (!proto::encode_frame(request_id, body, *frame)) {
    // Our own bug (an answer over the cap): tell the client something rather than nothing.
    log_event("conn {} cannot encode answer of type {}", id_, static_cast<int>(body.body_case()));
    if (!proto::encode_frame(request_id, error_body(ErrorCode::internal, "answer too large"), *frame)) return;
  }
  enqueue(SharedFrame(std::move(frame)));
}

bool Connection::has_push_room() const noexcept {
  return !closing_ && outbound_.size() < kMaxQueuedPushFrames && outbound_bytes_ < kMaxQueuedPushBytes;
}

bool Connection::try_push(const SharedFrame& frame) {
  if (!has_push_room()) return false;
  enqueue(frame);
  return true;
}

asio::awaitable<void> Connection::room() {
  if (closing_) co_return;
  asio::error_code ec;
  co_await queue_space_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

bool Connection::queue_full() const noexcept {
  return outbound_.size() >= kMaxQueuedFrames || outbound_bytes_ >= kMaxQueuedBytes;
}

asio::awaitable<void> Connection::room_for_request() {
  while (!closing_ &&
         (queue_full() || (server_.queued_bytes > server_.limits.max_queued_bytes && !outbound_.empty()))) {
    asio::error_code ec;
    co_await queue_space_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> Connection::send(std::uint32_t request_id, const wire::Envelope& body) {
  // Answers leave in the order they were given: one that finds room while earlier ones still
  // wait for it (woken, but not yet run) queues behind them, or pipelined answers would overtake
  // each other (the client pairs answers with requests in order).
  if (answer_must_wait()) {
    const std::uint64_t ticket = next_answer_ticket_++;
    ++answers_waiting_;
    while (!closing_ && (queue_full() || ticket != answer_ticket_served_)) {
      asio::error_code ec;
      co_await queue_space_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    --answers_waiting_;
    ++answer_ticket_served_;
    // The next in line may fit too; it was woken with us and may have gone back to sleep.
    if (answers_waiting_ > 0) queue_space_.cancel();
  }
  if (!stopped_) enqueue(request_id, body);
}

bool Connection::answer_must_wait() const { return !closing_ && (queue_full() || answers_waiting_ > 0); }

bool Connection::try_send(std::uint32_t request_id, const wire::Envelope& body) {
  // Behind answers already waiting too, or this one would overtake them.
  if (answer_must_wait()) return false;
  if (!stopped_) enqueue(request_id, body);
  return true;
}

void Connection::close_after_flush() {
  if (closing_) return;
  closing_ = true;
  update_login_slot();  // a closing connection waits for nothing: its slot is free
  // Whatever the peer does, the connection is gone after the grace period.
  close_deadline_.expires_after(kCloseGrace);
  close_deadline_.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (!ec) self->stop();
  });
  wake_writer_.cancel_one();
  queue_space_.cancel();
}

bool Connection::next_frame(Incoming& incoming) {
  const auto status = decoder_.next(incoming.frame);
  if (status == proto::FrameDecoder::Status::need_more) return false;
  incoming.header = decoder_.header();
  incoming.frame.request_id = incoming.header.request_id;
  if (status != proto::FrameDecoder::Status::frame) {
    incoming.error = decoder_.error();
    incoming.bad_payload = status == proto::FrameDecoder::Status::bad_frame;
    const auto payload = decoder_.bad_payload();
    incoming.payload.assign(payload.begin(), payload.end());
  }
  return true;
}

asio::awaitable<void> Connection::reader() {
  try {
    bool handled = true;
    while (!closing_) {
      // The idle clock runs only while we wait for the peer, not while we handle its request;
      // a frame trickling in keeps the time its first byte was awaited.
      if (handled || decoder_.buffered() == 0) waiting_since_ = std::chrono::steady_clock::now();
      handled = false;
      waiting_for_input_ = true;
      // Plain TCP: waits for readability, then reads without blocking into the shared slice.
      const auto bytes = co_await transport_->read_some(read_slice());
      if (bytes.empty()) continue;  // woken, but nothing was there after all
      decoder_.feed_borrowed(bytes);
      for (Incoming incoming; !closing_ && next_frame(incoming); incoming = Incoming{}) {
        // Before anything suspends: the shared slice is reused by the next connection's read.
        decoder_.keep_borrowed();
        if (server_.time_stages) incoming.read_at = std::chrono::steady_clock::now();
        handled = true;
        waiting_for_input_ = false;
        // Back-pressure: a client that does not read its answers gets no more handled.
        co_await room_for_request();
        if (closing_ || !co_await handler_->on_frame(std::move(incoming))) break;
      }
    }
    co_await handler_->on_input_end();
  } catch (const asio::system_error& e) {
    // EOF (also mid-frame), reset or our own close: the peer is gone or we are shutting down.
    if (e.code() != asio::error::eof && e.code() != asio::error::operation_aborted) {
      log_event("conn {} read failed: {}", id_, e.code().message());
    }
  } catch (const std::exception& e) {
    log_event("conn {} reader failed: {}", id_, e.what());
  }
  // Answers already queued still go out (a client may half-close after its last request).
  close_after_flush();
}

asio::awaitable<void> Connection::watchdog() {
  auto self = shared_from_this();
  const auto limit = server_.idle_timeout;
  const auto stall_limit = server_.limits.write_stall_timeout;
  while (!closing_) {
    const auto now = std::chrono::steady_clock::now();
    if (waiting_for_input_ && now - waiting_since_ >= limit) {
      log_event("conn {} idle for {} s: closing", id_, limit.count());
      stop();
      break;
    }
    if (writing_ && now - write_started_ >= stall_limit) {
      // The client reads nothing: what we queued for it would stay in memory for good.
      log_event("conn {} could not be written to for {} s: closing", id_, stall_limit.count());
      stop();
      break;
    }
    if (counted_unauthenticated_ && now - login_clock_ >= login_limit_) {
      refuse(ErrorCode::unauthenticated, fmt::format("not logged in within {} s", login_limit_.count()));
      break;
    }
    auto wake = waiting_for_input_ ? waiting_since_ + limit : now + limit;
    if (writing_) wake = std::min(wake, write_started_ + stall_limit);
    if (counted_unauthenticated_) wake = std::min(wake, login_clock_ + login_limit_);
    watchdog_wake_ = wake;
    idle_timer_.expires_at(wake);
    asio::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> Connection::writer() {
  auto self = shared_from_this();  // keeps the connection alive while it flushes
  try {
    std::vector<asio::const_buffer> buffers;
    while (!stopped_) {
      if (outbound_.empty()) {
        if (closing_) break;
        asio::error_code ec;
        co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      // What is queued goes out in one write (one syscall for a burst of answers), up to a slice.
      buffers.clear();
      std::size_t count = 0;
      std::size_t bytes = 0;
      for (const auto& queued : outbound_) {
        const auto& frame = queued.frame;
        if (count > 0 && bytes + frame->size() > kWriteSlice) break;
        buffers.push_back(asio::buffer(*frame));
        bytes += frame->size();
        ++count;
      }
      writing_ = true;
      write_started_ = std::chrono::steady_clock::now();
      // The watchdog sleeps until its next deadline; wake it if the stall check comes sooner.
      if (watchdog_wake_ > write_started_ + server_.limits.write_stall_timeout) idle_timer_.cancel();
      co_await transport_->write(buffers);
      writing_ = false;
      if (stopped_) break;  // stop() released the queue's accounting meanwhile
      outbound_bytes_ -= bytes;
      server_.queued_bytes -= bytes;
      if (server_.time_stages) {
        const auto written = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < count; ++i) {
          const auto& sent = outbound_[i];
          server_.metrics.socket_write.observe(written - sent.queued_at);
          if (sent.send_read_at != std::chrono::steady_clock::time_point{}) {
            record_send_written(server_.metrics.send_stages, sent.send_read_at, sent.queued_at, written);
          }
        }
      }
      outbound_.erase(outbound_.begin(), outbound_.begin() + static_cast<std::ptrdiff_t>(count));
      if (handler_ && !stopped_) handler_->on_room();
      queue_space_.cancel();  // wakes answers waiting for room and a waiting catch-up
    }
    if (!stopped_) co_await linger();
  } catch (const asio::system_error& e) {
    if (e.code() != asio::error::operation_aborted && e.code() != asio::error::broken_pipe &&
        e.code() != asio::error::connection_reset) {
      log_event("conn {} write failed: {}", id_, e.code().message());
    }
  } catch (const std::exception& e) {
    log_event("conn {} writer failed: {}", id_, e.what());
  }
  stop();
}

asio::awaitable<void> Connection::linger() {
  asio::error_code ec;
  co_await transport_->shutdown_send();  // TLS: close_notify first
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  // Ends on the peer's EOF, an error, the byte cap, or close_deadline_ closing the socket.
  while (!ec && drained < kMaxLingerBytes) {
    drained += co_await socket_.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace occhat::server

#include "session.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <vector>

#include "dispatcher.hpp"
#include "log.hpp"
#include "server_context.hpp"
#include "utf8_fields.hpp"

namespace occhat::server {
namespace {

// Frames waiting for a slow reader. Answers beyond this make the session stop reading that
// client's requests; pushes beyond it stay pending in the store (the caller's job).
constexpr std::size_t kMaxQueuedFrames = 256;
// How long a closing connection may take to flush its last frames and drain the peer's input.
constexpr std::chrono::seconds kCloseGrace{3};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;

wire::Envelope error_body(ErrorCode code, std::string_view message) {
  wire::Envelope body;
  auto* error = body.mutable_error();
  error->set_code(static_cast<wire::ErrorCode>(code));
  error->set_message(std::string(message));
  return body;
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, ServerContext& server, std::uint64_t id)
    : socket_(std::move(socket)),
      server_(server),
      id_(id),
      wake_writer_(socket_.get_executor()),
      queue_space_(socket_.get_executor()),
      close_deadline_(socket_.get_executor()) {
  asio::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  peer_address_ = ec ? std::string("unknown") : endpoint.address().to_string();
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
  queue_space_.expires_at(asio::steady_timer::time_point::max());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Session::~Session() = default;

void Session::start() {
  server_.connections[id_] = weak_from_this();
  asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->reader(); }, asio::detached);
  asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->writer(); }, asio::detached);
}

void Session::stop() {
  if (stopped_) return;
  stopped_ = true;
  closing_ = true;
  log_out();
  server_.connections.erase(id_);
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  wake_writer_.cancel();
  queue_space_.cancel();
  close_deadline_.cancel();
  log_event("conn {} closed", id_);
}

void Session::log_in(std::uint32_t user_id, const store::TokenHash& token_hash, bool announce_presence) {
  if (user_id_ && *user_id_ != user_id) server_.router.detach(*user_id_, this);
  user_id_ = user_id;
  token_hash_ = token_hash;
  announce_presence_ = announce_presence;
  server_.router.attach(user_id, shared_from_this());
}

void Session::log_out() {
  if (user_id_) server_.router.detach(*user_id_, this);
  user_id_.reset();
  token_hash_.reset();
  announce_presence_ = false;
}

bool Session::enqueue(std::uint32_t request_id, const wire::Envelope& body) {
  std::string frame;
  if (!proto::encode_frame(request_id, body, frame)) {
    // Our own bug (an answer over the cap): tell the client something rather than nothing.
    log_event("conn {} cannot encode answer of type {}", id_, static_cast<int>(body.body_case()));
    if (!proto::encode_frame(request_id, error_body(ErrorCode::internal, "answer too large"), frame)) return false;
  }
  outbound_.push_back(std::move(frame));
  wake_writer_.cancel_one();
  return true;
}

bool Session::try_push(const wire::Envelope& body) {
  if (closing_ || outbound_.size() >= kMaxQueuedFrames) return false;
  return enqueue(proto::kPushRequestId, body);
}

asio::awaitable<void> Session::send(std::uint32_t request_id, const wire::Envelope& body) {
  while (!closing_ && outbound_.size() >= kMaxQueuedFrames) {
    asio::error_code ec;
    co_await queue_space_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!stopped_) enqueue(request_id, body);
}

void Session::close_after_flush() {
  if (closing_) return;
  closing_ = true;
  // Whatever the peer does, the connection is gone after the grace period.
  close_deadline_.expires_after(kCloseGrace);
  close_deadline_.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (!ec) self->stop();
  });
  wake_writer_.cancel_one();
  queue_space_.cancel();
}

asio::awaitable<void> Session::protocol_error(std::uint32_t request_id, proto::DecodeError error) {
  log_event("conn {} protocol error: {}", id_, proto::decode_error_text(error));
  const auto body = error_body(ErrorCode::protocol_error, proto::decode_error_text(error));
  co_await send(request_id, body);
  close_after_flush();
}

asio::awaitable<void> Session::reader() {
  try {
    std::array<std::uint8_t, proto::kHeaderSize> header_bytes{};
    std::vector<std::uint8_t> payload;
    while (!closing_) {
      co_await asio::async_read(socket_, asio::buffer(header_bytes), asio::use_awaitable);
      proto::FrameHeader header;
      // The header is validated (type, flags, size cap) before a byte of payload is allocated.
      if (auto error = proto::decode_header(header_bytes, header); error != proto::DecodeError::none) {
        co_await protocol_error(header.request_id, error);
        break;
      }
      payload.resize(header.payload_size);
      if (!payload.empty()) co_await asio::async_read(socket_, asio::buffer(payload), asio::use_awaitable);
      proto::Frame frame;
      frame.request_id = header.request_id;
      if (auto error = proto::decode_payload(header, payload, frame.body); error != proto::DecodeError::none) {
        if (auto field = hello_done_ ? invalid_utf8_field(header, payload) : std::nullopt) {
          const auto body = error_body(ErrorCode::invalid_argument, *field + " must be valid UTF-8");
          co_await send(header.request_id, body);
          continue;
        }
        co_await protocol_error(header.request_id, error);
        break;
      }
      co_await handle(frame);
      // Give back memory a large frame needed instead of keeping it for the connection's life.
      if (payload.capacity() > proto::kMaxControlPayload) std::vector<std::uint8_t>().swap(payload);
    }
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

asio::awaitable<void> Session::handle(const proto::Frame& frame) {
  Reply reply = co_await dispatch(server_, *this, frame.body);
  co_await send(frame.request_id, reply.body);
  if (reply.close) close_after_flush();
}

asio::awaitable<void> Session::writer() {
  auto self = shared_from_this();  // keeps the session alive while it flushes
  try {
    std::vector<asio::const_buffer> buffers;
    while (!stopped_) {
      if (outbound_.empty()) {
        if (closing_) break;
        asio::error_code ec;
        co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      // Everything queued goes out in one write (one syscall for a burst of answers).
      buffers.clear();
      const std::size_t count = outbound_.size();
      for (const auto& frame : outbound_) buffers.push_back(asio::buffer(frame));
      co_await asio::async_write(socket_, buffers, asio::use_awaitable);
      outbound_.erase(outbound_.begin(), outbound_.begin() + static_cast<std::ptrdiff_t>(count));
      queue_space_.cancel();
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

asio::awaitable<void> Session::linger() {
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  // Ends on the peer's EOF, an error, the byte cap, or close_deadline_ closing the socket.
  while (!ec && drained < kMaxLingerBytes) {
    drained += co_await socket_.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace occhat::server

#include "session.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <vector>

#include "delivery.hpp"
#include "dispatcher.hpp"
#include "log.hpp"
#include "server_context.hpp"
#include "utf8_fields.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

// Frames waiting for a slow reader. Answers beyond this make the session stop reading that
// client's requests; pushes beyond it stay pending in the store (the caller's job).
constexpr std::size_t kMaxQueuedFrames = 256;
// Answers may be 1 MiB file chunks: the queue is bounded in bytes too, so a client pipelining
// reads it does not drain costs at most this much (plus one frame) of server memory.
constexpr std::size_t kMaxQueuedBytes = 8 * 1024 * 1024;
// Pushes may fill the queue only this far, so answers always find room and a client that reads
// nothing costs at most about a megabyte of server memory; the rest waits in the store.
constexpr std::size_t kMaxQueuedPushFrames = 192;
constexpr std::size_t kMaxQueuedPushBytes = 1024 * 1024;
// A catch-up reads this many items per store call and pushes them in frames of at most
// kMaxPushItems items / kMaxPushPayload bytes.
constexpr std::uint32_t kCatchUpBatch = 256;
constexpr std::size_t kMaxPushItems = 256;
constexpr std::size_t kMaxPushPayload = 48 * 1024;
// How long a closing connection may take to flush its last frames and drain the peer's input.
constexpr std::chrono::seconds kCloseGrace{3};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
// Sends of one connection in flight at once: enough to fill a group commit from one busy
// client, few enough that one client cannot monopolise the store thread.
constexpr std::size_t kMaxPipelinedSends = 64;
// Input is read in slices of this size into one buffer shared by every session (all live on
// the network thread and parse a slice before they next suspend).
constexpr std::size_t kReadSlice = 64 * 1024;
// A partial-frame buffer that grew beyond this (an upload chunk) is freed once it is empty.
constexpr std::size_t kKeepPartialCapacity = 4096;

std::span<std::uint8_t> read_slice() {
  static thread_local std::array<std::uint8_t, kReadSlice> slice;
  return slice;
}

wire::Envelope error_body(ErrorCode code, std::string_view message) {
  wire::Envelope body;
  auto* error = body.mutable_error();
  error->set_code(static_cast<wire::ErrorCode>(code));
  error->set_message(std::string(message));
  return body;
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, ServerContext& server, std::uint64_t id)
    : Session(std::make_unique<Transport>(std::move(socket)), server, id) {}

Session::Session(std::unique_ptr<Transport> transport, ServerContext& server, std::uint64_t id)
    : transport_(std::move(transport)),
      socket_(transport_->socket()),
      server_(server),
      id_(id),
      wake_writer_(socket_.get_executor()),
      queue_space_(socket_.get_executor()),
      close_deadline_(socket_.get_executor()),
      idle_timer_(socket_.get_executor()),
      pipeline_done_(socket_.get_executor()) {
  asio::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  peer_address_ = ec ? std::string("unknown") : endpoint.address().to_string();
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
  queue_space_.expires_at(asio::steady_timer::time_point::max());
  pipeline_done_.expires_at(asio::steady_timer::time_point::max());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  // The reader waits for readability and then reads whatever is there without blocking.
  socket_.non_blocking(true, ec);
}

Session::~Session() = default;

void Session::start() {
  server_.connections[id_] = weak_from_this();
  set_unauthenticated(true);
  asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->reader(); }, asio::detached);
  asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->writer(); }, asio::detached);
  asio::co_spawn(socket_.get_executor(), [self = shared_from_this()] { return self->watchdog(); }, asio::detached);
  // Refused after the coroutines started: the writer delivers the reason, then closes.
  if (server_.connections.size() > server_.limits.max_connections) {
    refuse(ErrorCode::resource_exhausted, "server is full: too many connections; try again later");
  } else if (server_.unauthenticated > server_.limits.max_unauthenticated) {
    refuse(ErrorCode::resource_exhausted, "server is busy: too many connections waiting to log in; try again later");
  }
}

void Session::refuse(ErrorCode code, std::string_view why) {
  if (closing_) return;
  log_event("conn {} closed: {}", id_, why);
  enqueue(proto::kPushRequestId, error_body(code, why));
  close_after_flush();
}

void Session::set_unauthenticated(bool counted) {
  if (counted == counted_unauthenticated_) return;
  counted_unauthenticated_ = counted;
  if (counted) {
    ++server_.unauthenticated;
    login_clock_ = std::chrono::steady_clock::now();
    idle_timer_.cancel();  // the watchdog re-arms with the login deadline
  } else {
    --server_.unauthenticated;
  }
}

void Session::stop() {
  if (stopped_) return;
  stopped_ = true;
  closing_ = true;
  log_out();
  set_unauthenticated(false);
  server_.connections.erase(id_);
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  wake_writer_.cancel();
  queue_space_.cancel();
  close_deadline_.cancel();
  idle_timer_.cancel();
  pipeline_done_.cancel();
  log_event("conn {} closed", id_);
}

void Session::log_in(std::uint32_t user_id, const store::TokenHash& token_hash, bool announce_presence) {
  if (user_id_ && *user_id_ != user_id) log_out();
  const bool was_announcing = user_id_ && announce_presence_;
  user_id_ = user_id;
  token_hash_ = token_hash;
  announce_presence_ = announce_presence;
  set_unauthenticated(false);
  server_.router.attach(user_id, shared_from_this());
  // Logging in again as the same user only changes presence if the announce flag changed.
  if (announce_presence && !was_announcing && server_.router.add_presence(user_id)) {
    publish_presence(server_, user_id, true);
  } else if (!announce_presence && was_announcing && server_.router.remove_presence(user_id)) {
    publish_presence(server_, user_id, false);
  }
}

void Session::log_out() {
  if (!user_id_) return;
  const auto user_id = *user_id_;
  server_.router.detach(user_id, this);
  const bool was_announcing = announce_presence_;
  user_id_.reset();
  token_hash_.reset();
  announce_presence_ = false;
  // Logged out but still connected: it is an unauthenticated connection again, with a new
  // deadline to log in.
  if (!stopped_) set_unauthenticated(true);
  // Pushes belong to the user: the subscription ends with the login.
  subscription_.reset();
  pending_presence_.clear();
  if (was_announcing && server_.router.remove_presence(user_id)) publish_presence(server_, user_id, false);
}

void Session::revoke() {
  log_out();
  refuse(ErrorCode::unauthenticated, "session revoked: logged out elsewhere");
}

bool Session::enqueue(std::uint32_t request_id, const wire::Envelope& body) {
  std::string frame;
  if (!proto::encode_frame(request_id, body, frame)) {
    // Our own bug (an answer over the cap): tell the client something rather than nothing.
    log_event("conn {} cannot encode answer of type {}", id_, static_cast<int>(body.body_case()));
    if (!proto::encode_frame(request_id, error_body(ErrorCode::internal, "answer too large"), frame)) return false;
  }
  outbound_bytes_ += frame.size();
  outbound_.push_back(std::move(frame));
  wake_writer_.cancel_one();
  return true;
}

bool Session::push_room() const noexcept {
  return !closing_ && outbound_.size() < kMaxQueuedPushFrames && outbound_bytes_ < kMaxQueuedPushBytes;
}

bool Session::try_push(const wire::Envelope& body) {
  if (!push_room()) return false;
  return enqueue(proto::kPushRequestId, body);
}

void Session::after_reply(std::function<void()> action) { after_reply_.push_back(std::move(action)); }

void Session::subscribe(std::uint64_t after_seq) {
  if (closing_ || !user_id_) return;
  if (subscription_ && subscription_->user_id == *user_id_) {
    subscription_->pushed_seq = std::max(subscription_->pushed_seq, after_seq);
  } else {
    subscription_ = Subscription{};
    subscription_->user_id = *user_id_;
    subscription_->generation = ++subscription_generation_;
    subscription_->pushed_seq = after_seq;
  }
  if (subscription_->catching_up) {
    subscription_->dirty = true;
  } else {
    start_catch_up();
  }
}

void Session::deliver(const store::InboxItem& item) {
  if (!subscription_ || closing_ || item.user_id != subscription_->user_id) return;
  auto& subscription = *subscription_;
  if (item.seq <= subscription.pushed_seq) return;  // a catch-up already pushed it
  if (subscription.catching_up) {
    subscription.dirty = true;
    return;
  }
  if (item.seq == subscription.pushed_seq + 1) {
    wire::Envelope body;
    fill_inbox_item(*body.mutable_inbox_items()->add_items(), item);
    if (try_push(body)) {
      subscription.pushed_seq = item.seq;
      return;
    }
    if (!subscription.fell_behind) {
      subscription.fell_behind = true;
      log_event("conn {} reads slowly: pushes wait in the store until it catches up", id_);
    }
  }
  // Out of order or no room: the store has everything; read it from where we left off.
  start_catch_up();
}

void Session::acknowledged(std::uint64_t acked_seq) {
  if (subscription_ && acked_seq > subscription_->pushed_seq) subscription_->pushed_seq = acked_seq;
}

void Session::push_presence(const wire::PresenceEvent& event) {
  if (!subscription_ || closing_) return;
  if (pending_presence_.empty()) {
    wire::Envelope body;
    *body.mutable_presence_event() = event;
    if (try_push(body)) return;
  }
  // Only the latest state per friend matters; this stays bounded by the friend count.
  pending_presence_[event.user_id()] = event;
}

void Session::flush_pending_presence() {
  while (!pending_presence_.empty() && subscription_) {
    wire::Envelope body;
    *body.mutable_presence_event() = pending_presence_.begin()->second;
    if (!try_push(body)) return;
    pending_presence_.erase(pending_presence_.begin());
  }
}

void Session::start_catch_up() {
  subscription_->catching_up = true;
  subscription_->dirty = false;
  asio::co_spawn(
      socket_.get_executor(),
      [self = shared_from_this(), generation = subscription_->generation] { return self->catch_up(generation); },
      asio::detached);
}

bool Session::subscription_is(std::uint64_t generation) const noexcept {
  return subscription_ && subscription_->generation == generation;
}

asio::awaitable<void> Session::catch_up(std::uint64_t generation) {
  try {
    while (subscription_is(generation) && !closing_) {
      while (subscription_is(generation) && !closing_ && !push_room()) {
        asio::error_code ec;
        co_await queue_space_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!subscription_is(generation) || closing_) break;
      subscription_->dirty = false;
      const std::uint32_t user_id = subscription_->user_id;
      const std::uint64_t after = subscription_->pushed_seq;
      auto fetch_job = [user_id, after](store::Store& store) { return store.fetch_inbox(user_id, after, kCatchUpBatch); };
      const store::InboxPage page = co_await server_.store.run(std::move(fetch_job));
      if (!subscription_is(generation) || closing_) break;
      auto& subscription = *subscription_;
      // An ack on this connection may have moved pushed_seq past some of these meanwhile.
      std::size_t next = 0;
      while (next < page.items.size() && page.items[next].seq <= subscription.pushed_seq) ++next;
      bool full = false;
      while (next < page.items.size()) {
        wire::Envelope body;
        const auto end = pack_inbox_items(page.items, next, kMaxPushItems, kMaxPushPayload, *body.mutable_inbox_items());
        if (!try_push(body)) {
          full = true;
          break;
        }
        subscription.pushed_seq = page.items[end - 1].seq;
        next = end;
      }
      if (full && !subscription.fell_behind) {
        subscription.fell_behind = true;
        log_event("conn {} reads slowly: pushes wait in the store until it catches up", id_);
      }
      if (!full && !page.more && !subscription.dirty) break;
    }
  } catch (const std::exception& e) {
    // The next delivered item starts a new catch-up from pushed_seq.
    log_event("conn {} inbox catch-up failed: {}", id_, e.what());
  }
  if (subscription_is(generation)) subscription_->catching_up = false;
}

asio::awaitable<void> Session::send(std::uint32_t request_id, const wire::Envelope& body) {
  while (!closing_ && (outbound_.size() >= kMaxQueuedFrames || outbound_bytes_ >= kMaxQueuedBytes)) {
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

std::vector<Session::Incoming> Session::take_frames(std::span<const std::uint8_t> bytes) {
  std::vector<Incoming> frames;
  std::span<const std::uint8_t> data = bytes;
  if (!partial_.empty()) {
    partial_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    data = {reinterpret_cast<const std::uint8_t*>(partial_.data()), partial_.size()};
  }
  std::size_t used = 0;
  while (data.size() - used >= proto::kHeaderSize) {
    Incoming incoming;
    // The header is validated (type, flags, size cap) before a byte of payload is kept.
    incoming.error = proto::decode_header(data.subspan(used).first<proto::kHeaderSize>(), incoming.header);
    incoming.frame.request_id = incoming.header.request_id;
    if (incoming.error != proto::DecodeError::none) {
      frames.push_back(std::move(incoming));
      used = data.size();  // the stream cannot be resynchronised
      break;
    }
    if (data.size() - used - proto::kHeaderSize < incoming.header.payload_size) break;
    const auto payload = data.subspan(used + proto::kHeaderSize, incoming.header.payload_size);
    incoming.error = proto::decode_payload(incoming.header, payload, incoming.frame.body);
    if (incoming.error != proto::DecodeError::none) {
      incoming.bad_payload = true;
      incoming.payload.assign(payload.begin(), payload.end());
    }
    used += proto::kHeaderSize + incoming.header.payload_size;
    frames.push_back(std::move(incoming));
  }
  if (partial_.empty()) {
    partial_.assign(reinterpret_cast<const char*>(data.data()) + used, data.size() - used);
  } else {
    partial_.erase(0, used);
  }
  if (partial_.empty() && partial_.capacity() > kKeepPartialCapacity) std::string().swap(partial_);
  return frames;
}

asio::awaitable<void> Session::reader() {
  try {
    bool handled = true;
    while (!closing_) {
      // The idle clock runs only while we wait for the peer, not while we handle its request;
      // a frame trickling in keeps the time its first byte was awaited.
      if (handled || partial_.empty()) waiting_since_ = std::chrono::steady_clock::now();
      handled = false;
      waiting_for_input_ = true;
      // Plain TCP: waits for readability, then reads without blocking into the shared slice.
      const auto bytes = co_await transport_->read_some(read_slice());
      if (bytes.empty()) continue;  // woken, but nothing was there after all
      auto frames = take_frames(bytes);
      if (frames.empty()) continue;
      handled = true;
      waiting_for_input_ = false;
      for (auto& incoming : frames) {
        if (closing_ || !co_await handle_incoming(incoming)) break;
      }
    }
    co_await wait_for_pipeline(0);
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

asio::awaitable<bool> Session::handle_incoming(Incoming& incoming) {
  const std::uint32_t request_id = incoming.frame.request_id;
  if (incoming.error != proto::DecodeError::none) {
    co_await wait_for_pipeline(0);
    // A frame that is well-formed except for non-UTF-8 text is a bad argument, not a broken stream.
    const auto field = incoming.bad_payload && hello_done_ ? invalid_utf8_field(incoming.header, incoming.payload)
                                                           : std::nullopt;
    if (field) {
      const auto body = error_body(ErrorCode::invalid_argument, *field + " must be valid UTF-8");
      co_await send(request_id, body);
      co_return true;
    }
    co_await protocol_error(request_id, incoming.error);
    co_return false;
  }
  if (incoming.frame.body.has_send_message_request() && hello_done_ && user_id_) {
    co_await wait_for_pipeline(kMaxPipelinedSends - 1);
    ++pipelined_;
    asio::co_spawn(
        socket_.get_executor(),
        [self = shared_from_this(), frame = std::move(incoming.frame)]() mutable {
          return self->handle_pipelined(self, std::move(frame));
        },
        asio::detached);
    co_return true;
  }
  co_await wait_for_pipeline(0);
  co_await handle(incoming.frame);
  co_return true;
}

asio::awaitable<void> Session::handle_pipelined(std::shared_ptr<Session> keep_alive, proto::Frame frame) {
  (void)keep_alive;  // the parameter lives in the coroutine frame: the session outlives the call
  co_await handle(frame);
  --pipelined_;
  pipeline_done_.cancel();
}

asio::awaitable<void> Session::wait_for_pipeline(std::size_t at_most) {
  while (pipelined_ > at_most && !stopped_) {
    asio::error_code ec;
    co_await pipeline_done_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> Session::handle(const proto::Frame& frame) {
  Reply reply = co_await dispatch(server_, *this, frame.body);
  co_await send(frame.request_id, reply.body);
  if (reply.close) close_after_flush();
  auto actions = std::move(after_reply_);
  after_reply_.clear();
  for (auto& action : actions) action();
}

asio::awaitable<void> Session::watchdog() {
  auto self = shared_from_this();
  const auto limit = server_.idle_timeout;
  const auto login_limit = server_.limits.login_timeout;
  while (!closing_) {
    const auto now = std::chrono::steady_clock::now();
    if (waiting_for_input_ && now - waiting_since_ >= limit) {
      log_event("conn {} idle for {} s: closing", id_, limit.count());
      stop();
      break;
    }
    if (counted_unauthenticated_ && now - login_clock_ >= login_limit) {
      refuse(ErrorCode::unauthenticated, fmt::format("not logged in within {} s", login_limit.count()));
      break;
    }
    auto wake = waiting_for_input_ ? waiting_since_ + limit : now + limit;
    if (counted_unauthenticated_) wake = std::min(wake, login_clock_ + login_limit);
    idle_timer_.expires_at(wake);
    asio::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
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
      co_await transport_->write(buffers);
      for (std::size_t i = 0; i < count; ++i) outbound_bytes_ -= outbound_[i].size();
      outbound_.erase(outbound_.begin(), outbound_.begin() + static_cast<std::ptrdiff_t>(count));
      flush_pending_presence();
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

asio::awaitable<void> Session::linger() {
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

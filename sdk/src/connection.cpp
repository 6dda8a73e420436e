#include "connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <system_error>

#include "convert.hpp"
#include "occhat/proto/frame.hpp"

namespace occhat::detail {

Connection::Connection(asio::io_context& io, std::string server_label, PushHandler on_push, LostHandler on_lost)
    : io_(io),
      socket_(io),
      resolver_(io),
      connect_timer_(io),
      keepalive_timer_(io),
      pong_timer_(io),
      label_(std::move(server_label)),
      on_push_(std::move(on_push)),
      on_lost_(std::move(on_lost)) {}

void Connection::use_tls(std::shared_ptr<asio::ssl::context> context, std::string server_name) {
  tls_context_ = std::move(context);
  tls_name_ = std::move(server_name);
}

void Connection::open(std::string host, std::string port, std::chrono::milliseconds timeout, OpenHandler done) {
  auto self = shared_from_this();
  connecting_ = true;
  connect_timer_.expires_after(timeout);
  connect_timer_.async_wait([self](std::error_code ec) {
    // `connecting_` guards the race where the timer fired just as the connect succeeded.
    if (ec || !self->connecting_) return;
    self->timed_out_ = true;
    self->resolver_.cancel();
    std::error_code ignored;
    self->socket_.close(ignored);
  });
  asio::co_spawn(io_, connect(std::move(host), std::move(port)),
                 [self, done = std::move(done)](std::exception_ptr failure) {
                   self->connecting_ = false;
                   self->connect_timer_.cancel();
                   if (!failure && !self->timed_out_ && !self->closed_) {
                     self->open_ = true;
                     asio::co_spawn(self->io_, self->read_loop(), asio::detached);
                     done(std::nullopt);
                     return;
                   }
                   Error error(ErrorCode::unavailable, "cannot reach server " + self->label_);
                   if (self->timed_out_) {
                     error = Error(ErrorCode::timeout, "timed out connecting to " + self->label_);
                   } else if (self->closed_) {
                     error = Error(ErrorCode::unavailable, "connection to " + self->label_ + " closed");
                   } else {
                     try {
                       std::rethrow_exception(failure);
                     } catch (const Error& e) {
                       error = e;  // already says what failed (TLS)
                     } catch (const std::system_error& e) {
                       error = Error(ErrorCode::unavailable,
                                     "cannot reach server " + self->label_ + ": " + e.code().message());
                     } catch (const std::exception& e) {
                       error = Error(ErrorCode::unavailable, "cannot reach server " + self->label_ + ": " + e.what());
                     }
                   }
                   self->close_now(error, false);
                   done(std::move(error));
                 });
}

asio::awaitable<void> Connection::connect(std::string host, std::string port) {
  auto endpoints = co_await resolver_.async_resolve(host, port, asio::use_awaitable);
  // Try each address in turn (e.g. ::1 then 127.0.0.1 for "localhost"); the last error wins.
  std::error_code last_error = asio::error::host_not_found;
  for (const auto& entry : endpoints) {
    if (timed_out_ || closed_) break;
    std::error_code ignored;
    socket_.close(ignored);
    try {
      co_await socket_.async_connect(entry.endpoint(), asio::use_awaitable);
      // Requests are small and latency-bound: do not let Nagle hold them back.
      socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
      if (tls_context_) co_await tls_handshake();
      co_return;
    } catch (const std::system_error& e) {
      last_error = e.code();
    }
  }
  throw std::system_error(last_error);
}

asio::awaitable<void> Connection::tls_handshake() {
  tls_ = std::make_unique<TlsStream>(socket_, *tls_context_);
  prepare_tls_client(*tls_, tls_name_);
  std::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_return;
  // The connect timer closing the socket also lands here; open() reports that as a timeout.
  throw Error(ErrorCode::unavailable, "TLS handshake with " + label_ + " failed: " + tls_handshake_failure(*tls_, ec));
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  proto::FrameDecoder decoder;
  std::array<std::uint8_t, 16 * 1024> buffer;
  proto::Frame frame;
  bool first_read = true;
  try {
    for (;;) {
      std::size_t n = 0;
      if (tls_) {
        n = co_await tls_->async_read_some(asio::buffer(buffer), asio::use_awaitable);
      } else {
        n = co_await socket_.async_read_some(asio::buffer(buffer), asio::use_awaitable);
      }
      if (first_read && !tls_ && looks_like_tls_record(buffer.data(), n)) {
        close_now(Error(ErrorCode::unavailable, "server " + label_ + " requires TLS"), true);
        co_return;
      }
      first_read = false;
      // Any byte is a sign of life (a pong, an answer, a push, part of a large frame).
      last_received_ = std::chrono::steady_clock::now();
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        pong_timer_.cancel();
      }
      decoder.feed(std::span<const std::uint8_t>(buffer.data(), n));
      for (;;) {
        const auto status = decoder.next(frame);
        if (status == proto::FrameDecoder::Status::need_more) break;
        if (status == proto::FrameDecoder::Status::error || status == proto::FrameDecoder::Status::bad_frame) {
          close_now(Error(ErrorCode::protocol_error, "server " + label_ + " sent a malformed frame: " +
                                                         std::string(proto::decode_error_text(decoder.error()))),
                    true);
          co_return;
        }
        if (!frame.is_push()) {
          // An unknown id is an answer that arrived after its call timed out: drop it.
          pending_.complete(frame.request_id, std::move(frame.body));
        } else if (frame.body.has_error()) {
          // A push error is the server's last word before it closes the connection.
          close_now(from_wire(frame.body.error()), true);
          co_return;
        } else if (on_push_) {
          on_push_(std::move(frame.body));
        }
        if (closed_) co_return;
      }
    }
  } catch (...) {
    // EOF, reset, our own close(), or a failure while routing a frame: the connection is over
    // either way, and nothing may escape into the I/O thread's run().
  }
  close_now(Error(ErrorCode::unavailable, "connection to " + label_ + " lost"), true);
}

void Connection::send(std::string frame) {
  asio::post(io_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    if (self->closed_) return;
    self->enqueue(std::move(frame));
  });
}

void Connection::enqueue(std::string frame) {
  last_sent_ = std::chrono::steady_clock::now();
  outbox_.push_back(std::move(frame));
  if (outbox_.size() == 1) write_next();
}

void Connection::start_keepalive(std::chrono::milliseconds interval, std::chrono::milliseconds timeout,
                                 std::function<std::string()> make_ping) {
  if (interval.count() <= 0) return;
  asio::post(io_, [self = shared_from_this(), interval, timeout, make_ping = std::move(make_ping)]() mutable {
    if (self->closed_) return;
    self->keepalive_interval_ = interval;
    self->keepalive_timeout_ = timeout;
    self->make_ping_ = std::move(make_ping);
    self->arm_keepalive(self->last_sent_ + interval);
  });
}

void Connection::arm_keepalive(std::chrono::steady_clock::time_point at) {
  keepalive_timer_.expires_at(at);
  keepalive_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec || self->closed_) return;
    const auto now = std::chrono::steady_clock::now();
    // Traffic since the timer was armed pushes the next ping back.
    auto next = self->last_sent_ + self->keepalive_interval_;
    if (now >= next) {
      if (self->outbox_.empty()) {
        self->send_ping();
        next = self->last_sent_ + self->keepalive_interval_;
      } else {
        // A write still in flight means the socket is stalled, not idle: another ping would
        // only queue up behind it.
        next = now + self->keepalive_interval_;
      }
    }
    self->arm_keepalive(next);
  });
}

void Connection::send_ping() {
  enqueue(make_ping_());
  // A later ping while one is unanswered keeps the first one's deadline.
  if (keepalive_timeout_.count() <= 0 || awaiting_pong_) return;
  awaiting_pong_ = true;
  const auto sent = last_sent_;
  pong_timer_.expires_at(sent + keepalive_timeout_);
  pong_timer_.async_wait([self = shared_from_this(), sent](std::error_code ec) {
    // last_received_ also covers a wait that had completed just before the reader cancelled it.
    if (ec || self->closed_ || !self->awaiting_pong_ || self->last_received_ >= sent) return;
    self->close_now(Error(ErrorCode::unavailable, "connection to " + self->label_ + " lost: no answer within " +
                                                      std::to_string(self->keepalive_timeout_.count()) +
                                                      " ms of a keepalive ping"),
                    true);
  });
}

void Connection::write_next() {
  auto on_written = [self = shared_from_this()](std::error_code ec, std::size_t) {
    if (self->closed_) return;
    if (ec) {
      self->close_now(Error(ErrorCode::unavailable, "connection to " + self->label_ + " lost"), true);
      return;
    }
    self->outbox_.pop_front();
    if (!self->outbox_.empty()) self->write_next();
  };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(outbox_.front()), std::move(on_written));
  } else {
    asio::async_write(socket_, asio::buffer(outbox_.front()), std::move(on_written));
  }
}

void Connection::close(const Error& reason, bool notify) {
  // Wake the callers now rather than after the I/O thread gets round to it.
  pending_.fail_all(reason);
  asio::post(io_, [self = shared_from_this(), reason, notify] { self->close_now(reason, notify); });
}

void Connection::close_now(const Error& reason, bool notify) {
  if (closed_) return;
  closed_ = true;
  const bool was_open = open_.exchange(false);
  pending_.fail_all(reason);
  std::error_code ignored;
  connect_timer_.cancel();
  keepalive_timer_.cancel();
  pong_timer_.cancel();
  resolver_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  // outbox_ is left alone: an aborted async_write may still refer to its front.
  if (notify && was_open && on_lost_) on_lost_(reason);
}

}  // namespace occhat::detail

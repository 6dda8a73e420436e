#include "raw_connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <system_error>

#include "bench_error.hpp"

namespace occhat::bench {

RawConnection::RawConnection(asio::io_context& io) : socket_(io), wake_writer_(io) {
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
}

RawConnection::~RawConnection() = default;

asio::awaitable<void> RawConnection::connect(asio::ip::tcp::endpoint server, std::optional<asio::ip::address> source) {
  socket_.open(server.protocol());
  if (source) socket_.bind(asio::ip::tcp::endpoint(*source, 0));
  co_await socket_.async_connect(server, asio::use_awaitable);
  socket_.set_option(asio::ip::tcp::no_delay(true));
  open_ = true;
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), [self]() { return self->read_loop(); }, asio::detached);
  asio::co_spawn(socket_.get_executor(), [self]() { return self->write_loop(); }, asio::detached);
}

void RawConnection::send(const wire::Envelope& body, AnswerHandler on_answer) {
  if (!open_) {
    if (on_answer) on_answer(nullptr);
    return;
  }
  const std::uint32_t id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;  // 0 is the push id
  if (!proto::encode_frame(id, body, queued_)) throw BenchError("cannot encode a request (too large?)");
  pending_.push_back(Pending{id, std::move(on_answer)});
  if (writer_idle_) wake_writer_.cancel();
}

asio::awaitable<wire::Envelope> RawConnection::call(const wire::Envelope& body) {
  struct Result {
    bool done = false;
    bool closed = false;
    wire::Envelope answer;
  };
  auto result = std::make_shared<Result>();
  // Shared: the callback may outlive this coroutine frame if the io_context stops first.
  auto signal = std::make_shared<asio::steady_timer>(socket_.get_executor());
  signal->expires_at(asio::steady_timer::time_point::max());
  send(body, [result, signal](const wire::Envelope* answer) {
    result->done = true;
    if (answer) {
      result->answer = *answer;
    } else {
      result->closed = true;
    }
    signal->cancel();
  });
  // The callback runs before or while we wait; a cancelled wait is the wake-up.
  if (!result->done) {
    std::error_code ec;
    co_await signal->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (result->closed) throw BenchError("connection closed while waiting for an answer");
  if (result->answer.has_error()) {
    throw BenchError("server answered with error " + std::to_string(result->answer.error().code()) + ": " +
                     result->answer.error().message());
  }
  co_return std::move(result->answer);
}

asio::awaitable<void> RawConnection::read_loop() {
  auto self = shared_from_this();
  std::string buffer(256 * 1024, '\0');
  proto::Frame frame;
  try {
    for (;;) {
      const std::size_t n = co_await socket_.async_read_some(asio::buffer(buffer), asio::use_awaitable);
      decoder_.feed(std::string_view(buffer.data(), n));
      for (;;) {
        const auto status = decoder_.next(frame);
        if (status == proto::FrameDecoder::Status::need_more) break;
        if (status == proto::FrameDecoder::Status::error || status == proto::FrameDecoder::Status::bad_frame) {
          fail("bad frame from server: " + std::string(proto::decode_error_text(decoder_.error())));
          co_return;
        }
        if (!open_) co_return;  // a handler closed us
        if (frame.is_push()) {
          if (on_push_) on_push_(frame.body);
          continue;
        }
        if (pending_.empty() || pending_.front().id != frame.request_id) {
          fail("answer to unexpected request id " + std::to_string(frame.request_id));
          co_return;
        }
        AnswerHandler handler = std::move(pending_.front().handler);
        pending_.pop_front();
        if (handler) handler(&frame.body);
      }
    }
  } catch (const std::system_error& e) {
    fail(e.code() == asio::error::eof ? std::string("server closed the connection") : e.code().message());
  }
}

asio::awaitable<void> RawConnection::write_loop() {
  auto self = shared_from_this();
  std::string writing;
  try {
    while (open_) {
      if (queued_.empty()) {
        writer_idle_ = true;
        std::error_code ec;
        co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        writer_idle_ = false;
        continue;
      }
      writing.swap(queued_);
      queued_.clear();
      co_await asio::async_write(socket_, asio::buffer(writing), asio::use_awaitable);
      writing.clear();
    }
  } catch (const std::system_error& e) {
    fail(e.code().message());
  }
}

void RawConnection::fail(const std::string& why) {
  if (!open_) return;
  close();
  if (on_lost_) on_lost_(why);
}

void RawConnection::close() {
  if (!open_) return;
  open_ = false;
  std::error_code ec;
  socket_.close(ec);
  wake_writer_.cancel();
  // Fail every waiting request; handlers may send (and be refused) meanwhile.
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& p : pending) {
    if (p.handler) p.handler(nullptr);
  }
}

}  // namespace occhat::bench

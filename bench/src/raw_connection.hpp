#pragma once
// One raw protocol connection on an Asio io_context, for load generation: requests carry
// callbacks (no futures, no threads), answers are matched in order (the server answers one
// connection's requests in the order they were sent), pushes go to a handler, and writes are
// coalesced (everything queued while a write is in progress goes out in the next one).
//
// Threading: every member must be called on the io_context's thread (the bench runs one
// io_context per thread and gives each connection to exactly one).

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "occhat/proto/frame.hpp"
#include "occhat/proto/requests.hpp"

namespace occhat::bench {

namespace wire = occhat::wire;
namespace rq = occhat::proto::requests;  // the request builders

class RawConnection : public std::enable_shared_from_this<RawConnection> {
 public:
  // The answer to a request, or nullptr if the connection closed first.
  using AnswerHandler = std::function<void(const wire::Envelope*)>;
  using PushHandler = std::function<void(const wire::Envelope&)>;
  // Once, when the connection ends for any reason other than close().
  using LostHandler = std::function<void(const std::string& why)>;

  explicit RawConnection(asio::io_context& io);
  ~RawConnection();

  // Connects (binding to `source` first if given) and starts the reader and writer.
  // Throws std::system_error on failure.
  asio::awaitable<void> connect(asio::ip::tcp::endpoint server, std::optional<asio::ip::address> source = {});

  void set_push_handler(PushHandler handler) { on_push_ = std::move(handler); }
  void set_lost_handler(LostHandler handler) { on_lost_ = std::move(handler); }

  // Queues a request; `on_answer` runs on the io thread when its answer arrives.
  void send(const wire::Envelope& body, AnswerHandler on_answer);
  // One request, awaited. Throws BenchError on a closed connection or an Error answer.
  asio::awaitable<wire::Envelope> call(const wire::Envelope& body);

  void close();
  bool is_open() const { return open_; }
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::uint32_t id;
    AnswerHandler handler;
  };

  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  void fail(const std::string& why);

  asio::ip::tcp::socket socket_;
  asio::steady_timer wake_writer_;
  proto::FrameDecoder decoder_;
  std::string queued_;  // encoded frames waiting for the writer
  std::deque<Pending> pending_;
  std::uint32_t next_id_ = 1;
  bool open_ = false;
  bool writer_idle_ = false;
  PushHandler on_push_;
  LostHandler on_lost_;
};

}  // namespace occhat::bench

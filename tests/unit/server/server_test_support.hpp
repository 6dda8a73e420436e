#pragma once
// Helpers for the server unit tests: a PushOutbox the test drains by hand, and decoding what
// was pushed. No server process, no sockets: the units run on an io_context in the test thread.

#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "occhat/proto/frame.hpp"
#include "push_outbox.hpp"

namespace occhat::server::testing {

// An outbound queue with room for `capacity` frames; the test plays the client reading it.
class TestOutbox final : public PushOutbox {
 public:
  TestOutbox(asio::io_context& io, std::size_t capacity) : room_(io), capacity_(capacity) {
    room_.expires_at(asio::steady_timer::time_point::max());
  }

  bool try_push(const SharedFrame& frame) override {
    if (!has_push_room()) return false;
    queued.push_back(frame);
    return true;
  }
  bool has_push_room() const noexcept override { return !closing_ && queued.size() < capacity_; }
  asio::awaitable<void> room() override {
    asio::error_code ignored;
    co_await room_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  bool closing() const noexcept override { return closing_; }

  // The client read everything queued: returns it and wakes whoever waits for room.
  std::vector<SharedFrame> read_all() {
    std::vector<SharedFrame> out(queued.begin(), queued.end());
    queued.clear();
    room_.cancel();
    return out;
  }
  void close() {
    closing_ = true;
    room_.cancel();
  }

  std::deque<SharedFrame> queued;

 private:
  asio::steady_timer room_;
  std::size_t capacity_;
  bool closing_ = false;
};

inline wire::Envelope decode(const SharedFrame& frame) {
  proto::FrameDecoder decoder;
  decoder.feed(*frame);
  proto::Frame out;
  if (decoder.next(out) != proto::FrameDecoder::Status::frame) return {};
  return out.body;
}

// The inbox seqs carried by `frames`, in order.
inline std::vector<std::uint64_t> seqs_of(const std::vector<SharedFrame>& frames) {
  std::vector<std::uint64_t> seqs;
  for (const auto& frame : frames) {
    const auto body = decode(frame);
    for (const auto& item : body.inbox_items().items()) seqs.push_back(item.seq());
  }
  return seqs;
}

}  // namespace occhat::server::testing

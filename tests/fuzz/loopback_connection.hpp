#pragma once
// One TCP connection to the fuzzed server on 127.0.0.1 (harness::FrameSocket), used two ways:
// request/answer calls to set up accounts, and exchange(): write a fuzz input, half-close, and
// read until the server closes. Everything the server sends is decoded; a frame the codec
// rejects is a server bug.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "frame_socket.hpp"
#include "occhat/proto/frame.hpp"

namespace occhat::fuzz {

class LoopbackConnection {
 public:
  explicit LoopbackConnection(std::uint16_t port) : socket_(port) {}  // throws std::runtime_error

  // Sends one request and returns its answer (pushes are skipped). Throws std::runtime_error
  // when the server closes, answers garbage or does not answer within `timeout`.
  wire::Envelope call(const wire::Envelope& request, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  enum class Outcome { closed_by_server, server_sent_bad_frame, deadline_passed };
  // Writes `bytes`, half-closes, and reads (decoding frames) until the server closes the
  // connection or `deadline` passes. Bytes the server no longer reads are dropped.
  Outcome exchange(std::span<const std::uint8_t> bytes, std::chrono::steady_clock::time_point deadline);

 private:
  harness::FrameSocket socket_;
  std::uint32_t next_request_id_ = 1;
};

}  // namespace occhat::fuzz

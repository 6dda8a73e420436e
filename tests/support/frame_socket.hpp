#pragma once
// A blocking TCP connection to 127.0.0.1:port that speaks frames: requests go out encoded by the
// proto codec, answers and pushes come back through proto::FrameDecoder, and every read has a
// deadline, so a misbehaving server fails a test instead of hanging it. gtest-free (library
// occhat_harness): the tests' RawClient and the session fuzz target's LoopbackConnection build on it.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "occhat/proto/frame.hpp"

namespace occhat::harness {

class FrameSocket {
 public:
  using Clock = std::chrono::steady_clock;

  // receive_buffer > 0 shrinks the socket's receive buffer (set before connecting, so the TCP
  // window stays small). `source_address` (e.g. "127.0.0.2": all of 127/8 is local on Linux)
  // makes the connection come from another client address. Throws std::runtime_error.
  explicit FrameSocket(std::uint16_t port, int receive_buffer = 0, const char* source_address = nullptr);
  ~FrameSocket();
  FrameSocket(const FrameSocket&) = delete;
  FrameSocket& operator=(const FrameSocket&) = delete;

  void close();
  int fd() const { return fd_; }

  // Returns false if the peer is gone.
  bool send_bytes(std::string_view bytes);
  bool send(std::uint32_t request_id, const wire::Envelope& body);

  enum class Read { frame, closed, timeout, bad_frame };
  // The next frame (answer or push), read until `deadline`.
  Read read_frame(proto::Frame& frame, Clock::time_point deadline);
  // Reads and drops whatever comes until the peer closes (true) or `deadline` passes (false).
  bool wait_closed(Clock::time_point deadline);

  // What was read but not yet taken out as frames.
  proto::FrameDecoder& decoder() { return decoder_; }

 private:
  // One recv() into the decoder once the socket is readable before `deadline`.
  Read receive(Clock::time_point deadline);

  int fd_ = -1;
  proto::FrameDecoder decoder_;
};

// Milliseconds left until `deadline` for poll(), 0 once it has passed.
int poll_timeout(FrameSocket::Clock::time_point deadline);

}  // namespace occhat::harness

#pragma once
// Raw-frame test client: one POSIX TCP connection spoken to with hand-built frames through the
// proto codec (no SDK); requests are built with occhat::proto::requests (alias rq). Shared by the
// raw_*_test.cpp suites.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "loopback_socket.hpp"
#include "occhat/proto/error_code.hpp"
#include "occhat/proto/frame.hpp"
#include "occhat/proto/requests.hpp"
#include "server_process.hpp"

namespace occhat::test {

namespace proto = occhat::proto;
namespace wire = occhat::wire;
namespace rq = occhat::proto::requests;

inline constexpr auto kTimeout = std::chrono::seconds(10);
inline const std::string kPassword = "S3cret-Pa55word-xyz";
inline constexpr std::string_view kClientName = "raw-test";

// One raw TCP connection. Every read has a deadline, so a misbehaving server fails a test
// instead of hanging it.
class RawClient {
 public:
  // receive_buffer > 0 shrinks the socket's receive buffer (set before connecting, so the TCP
  // window stays small): lets a test make a client that reads nothing back-pressure the server.
  explicit RawClient(std::uint16_t port, int receive_buffer = 0, const char* source_address = nullptr)
      : fd_(connect_loopback(port, receive_buffer, source_address)) {}
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Returns false if the peer is gone.
  bool send_bytes(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  bool send(std::uint32_t request_id, const wire::Envelope& body) {
    return send_bytes(proto::encode_frame(request_id, body));
  }

  enum class Read { frame, closed, timeout };

  // Reads exactly `size` bytes (appended to `out`) before `deadline`.
  Read read_exact(std::size_t size, std::string& out, std::chrono::steady_clock::time_point deadline) {
    while (size > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Read::timeout;
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready == 0) return Read::timeout;
      if (ready < 0) return Read::closed;
      char buf[4096];
      const auto n = ::recv(fd_, buf, std::min(size, sizeof buf), 0);
      if (n <= 0) return Read::closed;  // EOF or reset
      out.append(buf, static_cast<std::size_t>(n));
      size -= static_cast<std::size_t>(n);
    }
    return Read::frame;
  }

  Read read_frame(proto::Frame& frame, std::chrono::milliseconds timeout = kTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string bytes;
    if (auto r = read_exact(proto::kHeaderSize, bytes, deadline); r != Read::frame) return r;
    proto::FrameHeader header;
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const auto error = proto::decode_header(std::span<const std::uint8_t, proto::kHeaderSize>(data, proto::kHeaderSize), header);
    if (error != proto::DecodeError::none) throw std::runtime_error("server sent a bad header");
    bytes.clear();
    if (auto r = read_exact(header.payload_size, bytes, deadline); r != Read::frame) return r;
    frame.request_id = header.request_id;
    const auto* payload = reinterpret_cast<const std::uint8_t*>(bytes.data());
    if (proto::decode_payload(header, {payload, bytes.size()}, frame.body) != proto::DecodeError::none) {
      throw std::runtime_error("server sent a bad payload");
    }
    return Read::frame;
  }

  // Sends a request and returns the answer; fails the test on close or timeout.
  wire::Envelope call(std::uint32_t request_id, const wire::Envelope& body) {
    EXPECT_TRUE(send(request_id, body));
    proto::Frame frame;
    const auto r = read_frame(frame);
    EXPECT_EQ(r, Read::frame) << "no answer to request " << request_id;
    EXPECT_EQ(frame.request_id, request_id);
    return frame.body;
  }

  // True if the server closes the connection within the timeout (after any frames, which go
  // to `frames_seen`).
  bool closed_by_server(std::chrono::milliseconds timeout = kTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::string sink;
      const auto r = read_exact(1, sink, deadline);
      if (r == Read::closed) return true;
      if (r == Read::timeout) return false;
    }
  }

 private:
  int fd_ = -1;
};

inline occhat::ErrorCode code_of(const wire::Envelope& e) {
  return e.has_error() ? occhat::error_code_from_wire(e.error().code()) : occhat::ErrorCode::ok;
}

// A connected client that has completed the hello handshake.
inline std::unique_ptr<RawClient> greeted(const ServerProcess& server, int receive_buffer = 0) {
  auto client = std::make_unique<RawClient>(server.port(), receive_buffer);
  const auto answer = client->call(1, rq::hello(kClientName));
  EXPECT_TRUE(answer.has_hello_ok()) << answer.DebugString();
  return client;
}

inline std::uint32_t register_user(RawClient& client, const std::string& nick, const std::string& password = kPassword) {
  const auto answer = client.call(2, rq::register_user(nick + "@example.org", nick, password));
  EXPECT_TRUE(answer.has_register_response()) << answer.DebugString();
  return answer.register_response().user_id();
}

}  // namespace occhat::test

#pragma once
// Raw-frame test client: one POSIX TCP connection spoken to with hand-built frames through the
// proto codec (no SDK); requests are built with occhat::proto::requests (alias rq). Shared by the
// raw_*_test.cpp suites.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "frame_socket.hpp"
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

// One raw TCP connection (harness::FrameSocket) with the tests' defaults: a 10 s timeout, and
// a bad frame from the server is an exception.
class RawClient {
 public:
  // receive_buffer > 0 shrinks the socket's receive buffer (set before connecting, so the TCP
  // window stays small): lets a test make a client that reads nothing back-pressure the server.
  explicit RawClient(std::uint16_t port, int receive_buffer = 0, const char* source_address = nullptr)
      : socket_(port, receive_buffer, source_address) {}

  void close() { socket_.close(); }

  // Returns false if the peer is gone.
  bool send_bytes(std::string_view bytes) { return socket_.send_bytes(bytes); }
  bool send(std::uint32_t request_id, const wire::Envelope& body) { return socket_.send(request_id, body); }

  using Read = harness::FrameSocket::Read;  // never bad_frame here: that throws

  Read read_frame(proto::Frame& frame, std::chrono::milliseconds timeout = kTimeout) {
    const Read r = socket_.read_frame(frame, std::chrono::steady_clock::now() + timeout);
    if (r == Read::bad_frame) throw std::runtime_error("server sent a bad frame");
    return r;
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

  // True if the server closes the connection within the timeout (any frames before are dropped).
  bool closed_by_server(std::chrono::milliseconds timeout = kTimeout) {
    return socket_.wait_closed(std::chrono::steady_clock::now() + timeout);
  }

 private:
  harness::FrameSocket socket_;
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

// The same from another local client address (e.g. "127.0.0.2"), for limits kept per address.
inline std::unique_ptr<RawClient> greeted_from(const ServerProcess& server, const char* source_address) {
  auto client = std::make_unique<RawClient>(server.port(), 0, source_address);
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

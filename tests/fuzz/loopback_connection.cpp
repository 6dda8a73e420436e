#include "loopback_connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <stdexcept>

namespace occhat::fuzz {

wire::Envelope LoopbackConnection::call(const wire::Envelope& request, std::chrono::milliseconds timeout) {
  const std::uint32_t request_id = next_request_id_++;
  if (!socket_.send(request_id, request)) throw std::runtime_error("cannot send a set-up request");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  proto::Frame answer;
  for (;;) {
    switch (socket_.read_frame(answer, deadline)) {
      case harness::FrameSocket::Read::frame:
        if (answer.request_id == request_id) return answer.body;
        continue;  // a push
      case harness::FrameSocket::Read::bad_frame:
        throw std::runtime_error("the server sent a malformed frame");
      case harness::FrameSocket::Read::timeout:
        throw std::runtime_error("no answer to a set-up request");
      case harness::FrameSocket::Read::closed:
        throw std::runtime_error("the server closed the connection during set-up");
    }
  }
}

LoopbackConnection::Outcome LoopbackConnection::exchange(std::span<const std::uint8_t> bytes,
                                                         std::chrono::steady_clock::time_point deadline) {
  bool write_open = true;
  const int fd = socket_.fd();
  proto::FrameDecoder& decoder = socket_.decoder();
  auto finish_writing = [&] {
    ::shutdown(fd, SHUT_WR);
    write_open = false;
  };
  if (bytes.empty()) finish_writing();
  std::array<std::uint8_t, 65536> buffer{};
  proto::Frame frame;
  for (;;) {
    pollfd ready{fd, static_cast<short>(POLLIN | (write_open ? POLLOUT : 0)), 0};
    const int timeout = harness::poll_timeout(deadline);
    if (timeout == 0 || ::poll(&ready, 1, timeout) == 0) return Outcome::deadline_passed;
    if (ready.revents & (POLLIN | POLLHUP | POLLERR)) {
      const auto n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n == 0) return Outcome::closed_by_server;
      if (n < 0 && errno != EAGAIN && errno != EINTR) return Outcome::closed_by_server;  // reset
      if (n > 0) {
        decoder.feed(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
        proto::FrameDecoder::Status status;
        while ((status = decoder.next(frame)) == proto::FrameDecoder::Status::frame) {
        }
        if (status == proto::FrameDecoder::Status::error || status == proto::FrameDecoder::Status::bad_frame) {
          return Outcome::server_sent_bad_frame;
        }
      }
    }
    if (write_open && (ready.revents & POLLOUT)) {
      const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        bytes = bytes.subspan(static_cast<std::size_t>(n));
        if (bytes.empty()) finish_writing();
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        write_open = false;  // the server stopped reading and closed; read what it sent
      }
    }
  }
}

}  // namespace occhat::fuzz

#include "loopback_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>

#include "loopback_socket.hpp"

namespace occhat::fuzz {
namespace {

int milliseconds_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

LoopbackConnection::LoopbackConnection(std::uint16_t port) : fd_(test::connect_loopback(port)) {}

LoopbackConnection::~LoopbackConnection() { ::close(fd_); }

bool LoopbackConnection::receive(std::chrono::steady_clock::time_point deadline) {
  pollfd ready{fd_, POLLIN, 0};
  if (::poll(&ready, 1, milliseconds_until(deadline)) <= 0) return true;  // nothing yet
  std::array<std::uint8_t, 65536> buffer{};
  const auto n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n > 0) {
    decoder_.feed(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
    return true;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

wire::Envelope LoopbackConnection::call(const wire::Envelope& request, std::chrono::milliseconds timeout) {
  const std::uint32_t request_id = next_request_id_++;
  const std::string frame = proto::encode_frame(request_id, request);
  if (frame.empty() || ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) {
    throw std::runtime_error("cannot send a set-up request");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  proto::Frame answer;
  for (;;) {
    switch (decoder_.next(answer)) {
      case proto::FrameDecoder::Status::frame:
        if (answer.request_id == request_id) return answer.body;
        continue;  // a push
      case proto::FrameDecoder::Status::error:
      case proto::FrameDecoder::Status::bad_frame:
        throw std::runtime_error("the server sent a malformed frame");
      case proto::FrameDecoder::Status::need_more:
        break;
    }
    if (std::chrono::steady_clock::now() >= deadline) throw std::runtime_error("no answer to a set-up request");
    if (!receive(deadline)) throw std::runtime_error("the server closed the connection during set-up");
  }
}

LoopbackConnection::Outcome LoopbackConnection::exchange(std::span<const std::uint8_t> bytes,
                                                         std::chrono::steady_clock::time_point deadline) {
  bool write_open = true;
  auto finish_writing = [&] {
    ::shutdown(fd_, SHUT_WR);
    write_open = false;
  };
  if (bytes.empty()) finish_writing();
  std::array<std::uint8_t, 65536> buffer{};
  proto::Frame frame;
  for (;;) {
    pollfd ready{fd_, static_cast<short>(POLLIN | (write_open ? POLLOUT : 0)), 0};
    const int timeout = milliseconds_until(deadline);
    if (timeout == 0 || ::poll(&ready, 1, timeout) == 0) return Outcome::deadline_passed;
    if (ready.revents & (POLLIN | POLLHUP | POLLERR)) {
      const auto n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n == 0) return Outcome::closed_by_server;
      if (n < 0 && errno != EAGAIN && errno != EINTR) return Outcome::closed_by_server;  // reset
      if (n > 0) {
        decoder_.feed(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
        proto::FrameDecoder::Status status;
        while ((status = decoder_.next(frame)) == proto::FrameDecoder::Status::frame) {
        }
        if (status == proto::FrameDecoder::Status::error || status == proto::FrameDecoder::Status::bad_frame) {
          return Outcome::server_sent_bad_frame;
        }
      }
    }
    if (write_open && (ready.revents & POLLOUT)) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
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

#include "frame_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <string>

namespace occhat::harness {
namespace {

// The connected socket's fd, Nagle off. receive_buffer > 0 shrinks the receive buffer first;
// source_address binds the client end to that address first.
int connect_loopback(std::uint16_t port, int receive_buffer, const char* source_address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  if (receive_buffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  if (source_address != nullptr) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source_address, &source.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0) {
      ::close(fd);
      throw std::runtime_error(std::string("cannot bind to ") + source_address);
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

int poll_timeout(FrameSocket::Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - FrameSocket::Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

FrameSocket::FrameSocket(std::uint16_t port, int receive_buffer, const char* source_address)
    : fd_(connect_loopback(port, receive_buffer, source_address)) {}

FrameSocket::~FrameSocket() { close(); }

void FrameSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool FrameSocket::send_bytes(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool FrameSocket::send(std::uint32_t request_id, const wire::Envelope& body) {
  const std::string frame = proto::encode_frame(request_id, body);
  return !frame.empty() && send_bytes(frame);
}

FrameSocket::Read FrameSocket::receive(Clock::time_point deadline) {
  const int timeout = poll_timeout(deadline);
  if (timeout == 0) return Read::timeout;
  pollfd ready{fd_, POLLIN, 0};
  const int n_ready = ::poll(&ready, 1, timeout);
  if (n_ready == 0) return Read::timeout;
  if (n_ready < 0) return errno == EINTR ? Read::frame : Read::closed;
  std::array<std::uint8_t, 65536> buffer;
  const auto n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n > 0) {
    decoder_.feed(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
    return Read::frame;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return Read::frame;  // nothing after all; try again
  return Read::closed;  // EOF or reset
}

FrameSocket::Read FrameSocket::read_frame(proto::Frame& frame, Clock::time_point deadline) {
  for (;;) {
    switch (decoder_.next(frame)) {
      case proto::FrameDecoder::Status::frame:
        return Read::frame;
      case proto::FrameDecoder::Status::error:
      case proto::FrameDecoder::Status::bad_frame:
        return Read::bad_frame;
      case proto::FrameDecoder::Status::need_more:
        break;
    }
    if (const Read r = receive(deadline); r != Read::frame) return r;
  }
}

bool FrameSocket::wait_closed(Clock::time_point deadline) {
  for (;;) {
    const Read r = receive(deadline);
    if (r == Read::closed) return true;
    if (r == Read::timeout) return false;
  }
}

}  // namespace occhat::harness

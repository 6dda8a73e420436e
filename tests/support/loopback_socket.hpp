#pragma once
// A blocking TCP connection to 127.0.0.1:port with Nagle off, for test clients that speak raw
// frames (tests/support/raw_client.hpp, the session fuzz target). Free of gtest so the fuzz
// build can use it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace occhat::test {

// The connected socket's fd (the caller closes it). receive_buffer > 0 shrinks the socket's
// receive buffer before connecting, so the TCP window stays small. `source_address` (e.g.
// "127.0.0.2", any of 127/8 works on Linux) makes the connection come from another client
// address. Throws std::runtime_error.
inline int connect_loopback(std::uint16_t port, int receive_buffer = 0, const char* source_address = nullptr) {
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

}  // namespace occhat::test

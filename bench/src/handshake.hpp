#pragma once
// Connect + Hello + Resume (+ Subscribe): how every load-generating client starts.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "raw_connection.hpp"

namespace occhat::bench {

// The client name of the bench's hellos.
inline constexpr std::string_view kClientName = "occhat-bench/0.1.0";

struct HandshakeOptions {
  bool announce_presence = true;
  bool subscribe = false;  // Subscribe(after_seq 0) after the login
  std::optional<asio::ip::address> source;
  // Runs before Subscribe is sent: pushes may follow its answer in the same read, so the push
  // handler must be in place first.
  std::function<void(const std::shared_ptr<RawConnection>&)> before_subscribe;
};

// Throws (BenchError, std::system_error) on any failure; the caller bounds the time.
asio::awaitable<std::shared_ptr<RawConnection>> open_session(asio::io_context& io, asio::ip::tcp::endpoint server,
                                                               const std::string& token, HandshakeOptions options);

}  // namespace occhat::bench

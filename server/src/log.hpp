#pragma once
// Server logging: one line per event on stderr, prefixed with an ISO-8601 UTC timestamp (or as
// one JSON object per line: LogFormat).
// Never pass a password or a token. Text that came from a peer goes through sanitize() so it
// cannot forge log lines.

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "occhat/server/server.hpp"

namespace occhat::server {

void write_log_line(std::string_view message);

// debug adds a line per message and per subscription (at thousands of messages a second those
// lines cost more than the messages).
void set_log_level(LogLevel level) noexcept;
bool debug_logging() noexcept;
void set_log_format(LogFormat format, bool timestamps) noexcept;

template <typename... Args>
void log_event(fmt::format_string<Args...> format, Args&&... args) {
  write_log_line(fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void log_debug(fmt::format_string<Args...> format, Args&&... args) {
  if (debug_logging()) write_log_line(fmt::format(format, std::forward<Args>(args)...));
}

// Peer-supplied text made safe for one log line: control bytes become '?', length is capped.
std::string sanitize(std::string_view text, std::size_t max_bytes = 64);

}  // namespace occhat::server

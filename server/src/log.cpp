#include "log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>

#include "occhat/proto/utf8.hpp"

namespace occhat::server {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<LogFormat> g_format{LogFormat::text};
std::atomic<bool> g_timestamps{true};

// The message as a JSON string: invalid UTF-8 (peer text is only sanitize()d) becomes U+FFFD,
// quotes, backslashes and control bytes are escaped.
std::string json_string(std::string_view raw) {
  const std::string text = proto::clean_utf8(raw, "\xef\xbf\xbd", raw.size() * 3, [](char32_t) { return false; });
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\u{:04x}", byte);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::optional<LogLevel> log_level_named(std::string_view name) noexcept {
  if (name == "quiet") return LogLevel::quiet;
  if (name == "info") return LogLevel::info;
  if (name == "debug") return LogLevel::debug;
  return std::nullopt;
}

void set_log_level(LogLevel level) noexcept { g_level.store(level, std::memory_order_relaxed); }

bool debug_logging() noexcept { return g_level.load(std::memory_order_relaxed) == LogLevel::debug; }

void set_log_format(LogFormat format, bool timestamps) noexcept {
  g_format.store(format, std::memory_order_relaxed);
  g_timestamps.store(timestamps, std::memory_order_relaxed);
}

void write_log_line(std::string_view message) {
  if (g_level.load(std::memory_order_relaxed) == LogLevel::quiet) return;
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  // One fmt::print call per line so concurrent threads never interleave within a line. A log
  // that cannot be written (its disk is full) loses the line; it never fails the caller (which
  // may be answering a request, or handling an error).
  try {
    if (g_format.load(std::memory_order_relaxed) == LogFormat::json) {
      fmt::print(stderr, "{{\"time\":\"{}.{:03}Z\",\"message\":{}}}\n", stamp, millis, json_string(message));
    } else if (g_timestamps.load(std::memory_order_relaxed)) {
      fmt::print(stderr, "{}.{:03}Z {}\n", stamp, millis, message);
    } else {
      fmt::print(stderr, "{}\n", message);
    }
  } catch (const std::exception&) {
    std::clearerr(stderr);
  }
  std::fflush(stderr);
}

std::string sanitize(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (char c : text.substr(0, max_bytes)) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7f ? '?' : c);
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

}  // namespace occhat::server

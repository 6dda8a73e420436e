#include "log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>

namespace occhat::server {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};

}  // namespace

std::optional<LogLevel> log_level_named(std::string_view name) noexcept {
  if (name == "quiet") return LogLevel::quiet;
  if (name == "info") return LogLevel::info;
  if (name == "debug") return LogLevel::debug;
  return std::nullopt;
}

void set_log_level(LogLevel level) noexcept { g_level.store(level, std::memory_order_relaxed); }

bool debug_logging() noexcept { return g_level.load(std::memory_order_relaxed) == LogLevel::debug; }

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
    fmt::print(stderr, "{}.{:03}Z {}\n", stamp, millis, message);
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

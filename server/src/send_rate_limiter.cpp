#include "send_rate_limiter.hpp"

#include <cmath>

namespace occhat::server {
namespace {

constexpr std::chrono::seconds kSweepInterval{60};

}  // namespace

std::optional<std::chrono::milliseconds> SendRateLimiter::take(std::uint32_t user_id, Clock::time_point now) {
  if (rate_ <= 0) return std::nullopt;
  if (now - last_sweep_ >= kSweepInterval) forget_full_buckets(now);
  auto [it, created] = buckets_.try_emplace(user_id, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!created) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait_ms = std::ceil((1.0 - bucket.tokens) / rate_ * 1000.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(wait_ms < 1 ? 1 : wait_ms));
}

void SendRateLimiter::forget_full_buckets(Clock::time_point now) {
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& entry) {
    const double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
    return entry.second.tokens + elapsed * rate_ >= burst_;
  });
}

}  // namespace occhat::server

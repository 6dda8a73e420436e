#pragma once
// Messages per second per user: a token bucket per sender (all of a user's connections share
// it). Refill `rate` tokens per second up to `burst`; a send takes one. When the bucket is empty
// the caller answers RATE_LIMITED with the time until the next token. Network thread only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace occhat::server {

class SendRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // rate == 0 disables the limit.
  SendRateLimiter(double rate, double burst) : rate_(rate), burst_(burst < 1.0 ? 1.0 : burst) {}

  // Takes a token for `user_id`; nullopt if allowed, else how long until one is available.
  std::optional<std::chrono::milliseconds> take(std::uint32_t user_id, Clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  // Buckets that are full again carry no state: dropped so memory tracks active senders only.
  void forget_full_buckets(Clock::time_point now);

  double rate_;
  double burst_;
  std::unordered_map<std::uint32_t, Bucket> buckets_;
  Clock::time_point last_sweep_{};
};

}  // namespace occhat::server

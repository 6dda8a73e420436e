#pragma once
// Token buckets, one per key: messages per user (message_handlers.cpp), registrations per client
// address and across the server (account_handlers.cpp; the global limit is a limiter with a
// single key, std::monostate). Each bucket refills `rate` tokens per second up to `burst`; an
// action takes one. When the bucket is empty the caller answers RATE_LIMITED with the time until
// the next token. Network thread only.
//
// In a cluster each node keeps its own buckets and takes from them what the other nodes took as
// well (consume, fed by server/cluster/cluster_limits.*), so a user's rate is the cluster's, not
// each node's.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

namespace occhat::server {

template <typename Key>
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // rate <= 0 disables the limit.
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst < 1.0 ? 1.0 : burst) {}

  // Takes a token for `key`; nullopt if allowed, else how long until one is available.
  std::optional<std::chrono::milliseconds> take(const Key& key, Clock::time_point now) {
    if (rate_ <= 0) return std::nullopt;
    if (now - last_sweep_ >= kSweepInterval) forget_full_buckets(now);
    Bucket& bucket = refilled(key, now);
    if (bucket.tokens >= 1.0) {
      bucket.tokens -= 1.0;
      return std::nullopt;
    }
    return until_token(bucket.tokens);
  }

  // Takes `count` tokens that were spent elsewhere (another node). They were spent already, so
  // the bucket may go below zero: the user then waits until the debt is refilled. The debt is
  // capped at a minute of refill (or one burst, if more), so a burst of sends that raced on
  // several nodes is paid back, but no report can make a user wait longer.
  void consume(const Key& key, double count, Clock::time_point now) {
    if (rate_ <= 0 || !(count > 0)) return;
    Bucket& bucket = refilled(key, now);
    bucket.tokens = std::max(bucket.tokens - count, -std::max(burst_, rate_ * kMaxDebtSeconds));
  }

  // How long until `key` has a token (zero: it has one now). Takes none and stores nothing, so
  // refused attempts leave no state behind.
  std::chrono::milliseconds wait(const Key& key, Clock::time_point now) const {
    if (rate_ <= 0) return std::chrono::milliseconds{0};
    const auto it = buckets_.find(key);
    if (it == buckets_.end()) return std::chrono::milliseconds{0};
    const double tokens = tokens_at(it->second, now);
    return tokens >= 1.0 ? std::chrono::milliseconds{0} : until_token(tokens);
  }

 private:
  static constexpr std::chrono::seconds kSweepInterval{60};
  static constexpr double kMaxDebtSeconds = 60;

  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };

  // `key`'s bucket as of `now` (created full).
  Bucket& refilled(const Key& key, Clock::time_point now) {
    auto [it, created] = buckets_.try_emplace(key, Bucket{burst_, now});
    Bucket& bucket = it->second;
    if (!created) {
      bucket.tokens = tokens_at(bucket, now);
      bucket.updated = now;
    }
    return bucket;
  }

  double tokens_at(const Bucket& bucket, Clock::time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    return std::min(burst_, bucket.tokens + elapsed * rate_);
  }

  std::chrono::milliseconds until_token(double tokens) const {
    const double wait_ms = std::ceil((1.0 - tokens) / rate_ * 1000.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(wait_ms < 1 ? 1 : wait_ms));
  }

  // Buckets that are full again carry no state: dropped so memory tracks active keys only.
  void forget_full_buckets(Clock::time_point now) {
    last_sweep_ = now;
    std::erase_if(buckets_, [&](const auto& entry) { return tokens_at(entry.second, now) >= burst_; });
  }

  double rate_;
  double burst_;
  std::unordered_map<Key, Bucket> buckets_;
  Clock::time_point last_sweep_{};
};

// Messages per second per user: all of a user's connections share one bucket.
using SendRateLimiter = RateLimiter<std::uint32_t>;
// Per client address (the peer address as text).
using AddressRateLimiter = RateLimiter<std::string>;
// One bucket for the whole server.
using GlobalRateLimiter = RateLimiter<std::monostate>;

}  // namespace occhat::server

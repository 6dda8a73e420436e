#include "login_throttle.hpp"

#include <algorithm>
#include <functional>

namespace occhat::server {
namespace {

constexpr std::chrono::seconds kMaxDelay{15 * 60};
// A record quiet for this long is forgotten (its delay doubling starts over).
constexpr std::chrono::seconds kForgetAfter{2 * 15 * 60};
// What a caller is told while the threshold is taken up by attempts still being checked.
constexpr std::chrono::milliseconds kBusyRetry{1000};

template <typename Map, typename Key>
auto* find(Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

std::size_t LoginThrottle::PairHash::operator()(const PairKey& key) const noexcept {
  return std::hash<std::string>{}(key.address) ^ (std::hash<std::uint32_t>{}(key.user_id) * 0x9e3779b97f4a7c15ull);
}

LoginThrottle::LoginThrottle(LoginLimits limits) : limits_(limits) {
  limits_.per_account_address = std::max(1, limits_.per_account_address);
  limits_.per_account = std::max(1, limits_.per_account);
  limits_.per_address = std::max(1, limits_.per_address);
  limits_.delay = std::max(std::chrono::seconds{1}, limits_.delay);
}

std::chrono::milliseconds LoginThrottle::remaining(const Record* record, int threshold, Clock::time_point now) const {
  if (!record) return std::chrono::milliseconds{0};
  if (record->delayed_until > now) return std::chrono::ceil<std::chrono::milliseconds>(record->delayed_until - now);
  if (record->failures + record->in_flight >= threshold) return kBusyRetry;
  return std::chrono::milliseconds{0};
}

std::chrono::milliseconds LoginThrottle::retry_after(std::uint32_t user_id, const std::string& address,
                                                     Clock::time_point now) {
  return std::max({remaining(find(by_pair_, PairKey{user_id, address}), limits_.per_account_address, now),
                   remaining(find(by_id_, user_id), limits_.per_account, now),
                   remaining(find(by_address_, address), limits_.per_address, now)});
}

void LoginThrottle::fail(Record& record, int threshold, Clock::time_point now) const {
  record.last_failure = now;
  if (++record.failures < threshold) return;
  record.failures = 0;
  ++record.delays;
  auto duration = limits_.delay;
  for (int i = 1; i < record.delays && duration < kMaxDelay; ++i) duration *= 2;
  record.delayed_until = now + std::min(duration, kMaxDelay);
}

void LoginThrottle::prune(Clock::time_point now) {
  if (now < next_prune_) return;
  next_prune_ = now + std::chrono::minutes{1};
  const auto stale = [&](const auto& entry) {
    const Record& r = entry.second;
    return r.in_flight == 0 && r.delayed_until <= now && now - r.last_failure > kForgetAfter;
  };
  std::erase_if(by_pair_, stale);
  std::erase_if(by_id_, stale);
  std::erase_if(by_address_, stale);
}

LoginThrottle::Attempt::Attempt(LoginThrottle& throttle, std::uint32_t user_id, std::string address)
    : throttle_(throttle), user_id_(user_id), address_(std::move(address)) {
  throttle_.prune(Clock::now());
  ++throttle_.by_pair_[PairKey{user_id_, address_}].in_flight;
  ++throttle_.by_id_[user_id_].in_flight;
  ++throttle_.by_address_[address_].in_flight;
}

LoginThrottle::Attempt::~Attempt() {
  if (auto* r = find(throttle_.by_pair_, PairKey{user_id_, address_})) --r->in_flight;
  if (auto* r = find(throttle_.by_id_, user_id_)) --r->in_flight;
  if (auto* r = find(throttle_.by_address_, address_)) --r->in_flight;
}

void LoginThrottle::Attempt::failed(Clock::time_point now) {
  const auto& limits = throttle_.limits_;
  throttle_.fail(throttle_.by_pair_[PairKey{user_id_, address_}], limits.per_account_address, now);
  throttle_.fail(throttle_.by_id_[user_id_], limits.per_account, now);
  throttle_.fail(throttle_.by_address_[address_], limits.per_address, now);
}

void LoginThrottle::Attempt::succeeded() {
  // Keep the records while this attempt holds its in-flight slots; just forget the failures.
  for (Record* record : {&throttle_.by_pair_[PairKey{user_id_, address_}], &throttle_.by_id_[user_id_]}) {
    record->failures = 0;
    record->delays = 0;
    record->delayed_until = {};
  }
}

}  // namespace occhat::server

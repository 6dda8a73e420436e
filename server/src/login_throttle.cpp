#include "login_throttle.hpp"

#include <algorithm>
#include <limits>

namespace occhat::server {
namespace {

constexpr std::chrono::seconds kMaxLockout{15 * 60};
// A record quiet for this long is forgotten (its lockout doubling starts over).
constexpr std::chrono::seconds kForgetAfter{2 * 15 * 60};
constexpr int kAddressFactor = 4;
// What a caller is told while the threshold is taken up by attempts still being checked.
constexpr std::chrono::milliseconds kBusyRetry{1000};

template <typename Map, typename Key>
auto* find(Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

LoginThrottle::LoginThrottle(int max_failures, std::chrono::seconds lockout)
    : max_failures_(std::max(1, max_failures)),
      max_address_failures_(max_failures_ > std::numeric_limits<int>::max() / kAddressFactor
                                ? std::numeric_limits<int>::max()
                                : max_failures_ * kAddressFactor),
      lockout_(std::max(std::chrono::seconds{1}, lockout)) {}

std::chrono::milliseconds LoginThrottle::remaining(const Record* record, int threshold, Clock::time_point now) const {
  if (!record) return std::chrono::milliseconds{0};
  if (record->locked_until > now) return std::chrono::ceil<std::chrono::milliseconds>(record->locked_until - now);
  if (record->failures + record->in_flight >= threshold) return kBusyRetry;
  return std::chrono::milliseconds{0};
}

std::chrono::milliseconds LoginThrottle::retry_after(std::uint32_t user_id, const std::string& address,
                                                     Clock::time_point now) {
  return std::max(remaining(find(by_id_, user_id), max_failures_, now),
                  remaining(find(by_address_, address), max_address_failures_, now));
}

void LoginThrottle::fail(Record& record, int threshold, Clock::time_point now) const {
  record.last_failure = now;
  if (++record.failures < threshold) return;
  record.failures = 0;
  ++record.lockouts;
  auto duration = lockout_;
  for (int i = 1; i < record.lockouts && duration < kMaxLockout; ++i) duration *= 2;
  record.locked_until = now + std::min(duration, kMaxLockout);
}

void LoginThrottle::prune(Clock::time_point now) {
  if (now < next_prune_) return;
  next_prune_ = now + std::chrono::minutes{1};
  const auto stale = [&](const auto& entry) {
    const Record& r = entry.second;
    return r.in_flight == 0 && r.locked_until <= now && now - r.last_failure > kForgetAfter;
  };
  std::erase_if(by_id_, stale);
  std::erase_if(by_address_, stale);
}

LoginThrottle::Attempt::Attempt(LoginThrottle& throttle, std::uint32_t user_id, std::string address)
    : throttle_(throttle), user_id_(user_id), address_(std::move(address)) {
  throttle_.prune(Clock::now());
  ++throttle_.by_id_[user_id_].in_flight;
  ++throttle_.by_address_[address_].in_flight;
}

LoginThrottle::Attempt::~Attempt() {
  if (auto* r = find(throttle_.by_id_, user_id_)) --r->in_flight;
  if (auto* r = find(throttle_.by_address_, address_)) --r->in_flight;
}

void LoginThrottle::Attempt::failed(Clock::time_point now) {
  throttle_.fail(throttle_.by_id_[user_id_], throttle_.max_failures_, now);
  throttle_.fail(throttle_.by_address_[address_], throttle_.max_address_failures_, now);
}

void LoginThrottle::Attempt::succeeded() {
  // Keep the record while this attempt holds its in-flight slot; just forget the failures.
  auto& record = throttle_.by_id_[user_id_];
  record.failures = 0;
  record.lockouts = 0;
  record.locked_until = {};
}

}  // namespace occhat::server

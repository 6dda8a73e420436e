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
// Remote attempts in flight at most (all other nodes together); beyond, the oldest stop counting
// early. Far above what the other nodes' connection limits let through in kRemoteInFlightTimeout.
constexpr std::size_t kMaxRemoteInFlight = 100'000;

template <typename Map, typename Key>
auto* find(Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

std::size_t LoginThrottle::PairHash::operator()(const PairKey& key) const noexcept {
  return std::hash<std::string>{}(key.address) ^ (std::hash<std::uint32_t>{}(key.user_id) * 0x9e3779b97f4a7c15ull);
}

std::size_t LoginThrottle::RemoteHash::operator()(const RemoteAttemptId& id) const noexcept {
  return std::hash<std::uint64_t>{}(id.origin ^ (id.serial * 0x9e3779b97f4a7c15ull));
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
  if (!remote_deadlines_.empty()) expire_remote(now);
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

void LoginThrottle::take_slots(std::uint32_t user_id, const std::string& address) {
  ++by_pair_[PairKey{user_id, address}].in_flight;
  ++by_id_[user_id].in_flight;
  ++by_address_[address].in_flight;
}

void LoginThrottle::release_slots(std::uint32_t user_id, const std::string& address) {
  if (auto* r = find(by_pair_, PairKey{user_id, address})) --r->in_flight;
  if (auto* r = find(by_id_, user_id)) --r->in_flight;
  if (auto* r = find(by_address_, address)) --r->in_flight;
}

void LoginThrottle::fail_all(std::uint32_t user_id, const std::string& address, Clock::time_point now) {
  fail(by_pair_[PairKey{user_id, address}], limits_.per_account_address, now);
  fail(by_id_[user_id], limits_.per_account, now);
  fail(by_address_[address], limits_.per_address, now);
}

void LoginThrottle::clear_success(std::uint32_t user_id, const std::string& address) {
  // Keeps the records (an attempt may still hold their in-flight slots); forgets the failures.
  for (Record* record : {&by_pair_[PairKey{user_id, address}], &by_id_[user_id]}) {
    record->failures = 0;
    record->delays = 0;
    record->delayed_until = {};
  }
}

void LoginThrottle::remote_started(RemoteAttemptId id, std::uint32_t user_id, const std::string& address,
                                   Clock::time_point now) {
  expire_remote(now);
  prune(now);
  if (!remote_.try_emplace(id, RemoteSlot{user_id, address}).second) return;
  remote_deadlines_.emplace_back(now + kRemoteInFlightTimeout, id);
  take_slots(user_id, address);
  if (remote_.size() > kMaxRemoteInFlight) expire_remote(Clock::time_point::max());
}

void LoginThrottle::remote_ended(RemoteAttemptId id, std::uint32_t user_id, const std::string& address,
                                 AttemptOutcome outcome, Clock::time_point now) {
  expire_remote(now);
  if (const auto it = remote_.find(id); it != remote_.end()) {
    // The slots the start took, by the start's own keys.
    release_slots(it->second.user_id, it->second.address);
    remote_.erase(it);
  }
  if (outcome == AttemptOutcome::failed) fail_all(user_id, address, now);
  if (outcome == AttemptOutcome::succeeded) clear_success(user_id, address);
}

void LoginThrottle::expire_remote(Clock::time_point now) {
  // `now` = max(): only trims to kMaxRemoteInFlight (the oldest go first).
  const bool trimming = now == Clock::time_point::max();
  while (!remote_deadlines_.empty()) {
    if (trimming ? remote_.size() <= kMaxRemoteInFlight : remote_deadlines_.front().first > now) break;
    const auto it = remote_.find(remote_deadlines_.front().second);
    if (it != remote_.end()) {
      release_slots(it->second.user_id, it->second.address);
      remote_.erase(it);
    }
    remote_deadlines_.pop_front();
  }
}

LoginThrottle::Attempt::Attempt(LoginThrottle& throttle, std::uint32_t user_id, std::string address)
    : throttle_(throttle), user_id_(user_id), address_(std::move(address)) {
  throttle_.prune(Clock::now());
  throttle_.take_slots(user_id_, address_);
  if (throttle_.events_) serial_ = throttle_.events_->started(user_id_, address_);
}

LoginThrottle::Attempt::~Attempt() {
  throttle_.release_slots(user_id_, address_);
  tell_end(AttemptOutcome::abandoned);
}

void LoginThrottle::Attempt::failed(Clock::time_point now) {
  throttle_.fail_all(user_id_, address_, now);
  tell_end(AttemptOutcome::failed);
}

void LoginThrottle::Attempt::succeeded() {
  throttle_.clear_success(user_id_, address_);
  tell_end(AttemptOutcome::succeeded);
}

void LoginThrottle::Attempt::tell_end(AttemptOutcome outcome) noexcept {
  // events_ read now, not kept from the start: it may have been unset meanwhile (shutdown).
  if (serial_ == 0 || !throttle_.events_) return;
  throttle_.events_->ended(serial_, user_id_, address_, outcome);
  serial_ = 0;
}

}  // namespace occhat::server

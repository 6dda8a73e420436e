#include "cluster_limits.hpp"

#include <algorithm>
#include <optional>

#include "log.hpp"
#include "occhat/proto/cluster.pb.h"

namespace occhat::server {
namespace {

using occhat::cluster::LimitsEvent;
using WireOutcome = LimitsEvent::LoginEnded;

// Bounds on what one event may carry: client addresses are short text (an IPv6 address with a
// port is under 64 bytes), and a batch names each user once.
constexpr std::size_t kMaxAddressBytes = 256;
constexpr int kMaxUsersPerEvent = 4096;

LimitsEvent::LoginEnded::Outcome to_wire(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::failed: return WireOutcome::FAILED;
    case AttemptOutcome::succeeded: return WireOutcome::SUCCEEDED;
    case AttemptOutcome::abandoned: return WireOutcome::ABANDONED;
  }
  return WireOutcome::ABANDONED;
}

std::optional<AttemptOutcome> from_wire(int outcome) {
  switch (outcome) {
    case WireOutcome::FAILED: return AttemptOutcome::failed;
    case WireOutcome::SUCCEEDED: return AttemptOutcome::succeeded;
    case WireOutcome::ABANDONED: return AttemptOutcome::abandoned;
    default: return std::nullopt;
  }
}

}  // namespace

ClusterLimits::ClusterLimits(asio::any_io_executor network, LoginThrottle& throttle, SendRateLimiter& send_limiter)
    : throttle_(throttle), send_limiter_(send_limiter), flush_timer_(std::move(network)) {}

ClusterLimits::~ClusterLimits() {
  // The throttle may outlive this (attempts still unwinding): it must not call back here.
  throttle_.set_events(nullptr);
}

void ClusterLimits::connect(std::uint64_t incarnation, Publish publish) {
  incarnation_ = incarnation;
  publish_ = std::move(publish);
  pending_tokens_.clear();
  throttle_.set_events(publish_ ? this : nullptr);
}

std::uint64_t ClusterLimits::started(std::uint32_t user_id, const std::string& address) {
  const std::uint64_t serial = next_serial_++;
  LimitsEvent event;
  auto* start = event.mutable_login_started();
  start->set_serial(serial);
  start->set_user_id(user_id);
  start->set_address(address);
  send(event);
  return serial;
}

void ClusterLimits::ended(std::uint64_t serial, std::uint32_t user_id, const std::string& address,
                          AttemptOutcome outcome) noexcept {
  try {
    LimitsEvent event;
    auto* end = event.mutable_login_ended();
    end->set_serial(serial);
    end->set_user_id(user_id);
    end->set_address(address);
    end->set_outcome(to_wire(outcome));
    send(event);
  } catch (...) {
    // Out of memory building the event: as a lost bus message, the others time the slot out.
    ++counters_.publish_failed;
  }
}

void ClusterLimits::note_token(std::uint32_t user_id) {
  ++pending_tokens_[user_id];
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  flush_timer_.expires_after(kFlushInterval);
  flush_timer_.async_wait([this](const std::error_code& error) {
    if (error) return;  // cancelled: this object is going away
    flush_scheduled_ = false;
    flush();
  });
}

void ClusterLimits::flush() {
  if (pending_tokens_.empty() || !publish_) return;
  LimitsEvent event;
  auto* batch = event.mutable_message_tokens();
  for (const auto& [user_id, tokens] : pending_tokens_) {
    auto* user = batch->add_users();
    user->set_user_id(user_id);
    user->set_tokens(tokens);
    if (batch->users_size() == kMaxUsersPerEvent) {
      send(event);
      batch->clear_users();
    }
  }
  if (batch->users_size() > 0) send(event);
  pending_tokens_.clear();
}

void ClusterLimits::send(LimitsEvent& event) noexcept {
  try {
    event.set_origin(incarnation_);
    publish_(event.SerializeAsString());
    ++counters_.published;
  } catch (const std::exception& e) {
    if (counters_.publish_failed++ == 0) log_event("cluster limits: cannot publish an event: {}", e.what());
  }
}

void ClusterLimits::count_malformed() {
  // Logged on the 1st, 2nd, 4th, 8th, ...: visible, but a stream of them cannot flood the log.
  const std::uint64_t count = ++counters_.malformed;
  if ((count & (count - 1)) == 0) log_event("cluster limits: ignored a malformed event ({} so far)", count);
}

void ClusterLimits::apply_remote(std::string_view bytes, Clock::time_point now) {
  LimitsEvent event;
  if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || event.origin() == 0) {
    count_malformed();
    return;
  }
  if (event.origin() == incarnation_) {
    ++counters_.own_ignored;
    return;
  }
  switch (event.event_case()) {
    case LimitsEvent::kLoginStarted: {
      const auto& start = event.login_started();
      if (start.serial() == 0 || start.address().size() > kMaxAddressBytes) break;
      throttle_.remote_started({event.origin(), start.serial()}, start.user_id(), start.address(), now);
      ++counters_.applied;
      return;
    }
    case LimitsEvent::kLoginEnded: {
      const auto& end = event.login_ended();
      const auto outcome = from_wire(end.outcome());
      if (end.serial() == 0 || end.address().size() > kMaxAddressBytes || !outcome) break;
      throttle_.remote_ended({event.origin(), end.serial()}, end.user_id(), end.address(), *outcome, now);
      ++counters_.applied;
      return;
    }
    case LimitsEvent::kMessageTokens: {
      const auto& users = event.message_tokens().users();
      const bool valid = !users.empty() && users.size() <= kMaxUsersPerEvent &&
                         std::all_of(users.begin(), users.end(), [](const auto& user) { return user.tokens() > 0; });
      if (!valid) break;
      for (const auto& user : users) send_limiter_.consume(user.user_id(), user.tokens(), now);
      ++counters_.applied;
      return;
    }
    case LimitsEvent::EVENT_NOT_SET:
      break;
  }
  count_malformed();
}

}  // namespace occhat::server

#pragma once
// The login throttle and the per-user message rate across the nodes of a cluster (issue 17,
// "Cluster-wide limits"). Each node keeps its own LoginThrottle and SendRateLimiter; this tells
// the other nodes what this node counted (`publish`: the bytes of one occhat.cluster.LimitsEvent,
// proto/cluster.proto) and applies what they counted (apply_remote). It knows nothing of the
// transport: the server connects publish and apply_remote to the bus (subject occhat.limits).
//
// Login attempts are published at once, start and end: an attempt in flight on another node
// must count here within a bus round trip, long before the guesser's password check (argon2id,
// tens of ms) is done, so N nodes do not give N times the attempts. Message tokens are batched
// per user and published every kFlushInterval (a send costs a map increment, not a bus message).
//
// Until connect() (a single node, no bus) nothing is built or sent: a node without a bus behaves
// and costs as if this class did not exist.
//
// Network thread only, apply_remote included (the bus hands received messages to that thread).

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "login_throttle.hpp"
#include "rate_limiter.hpp"

namespace occhat::cluster {
class LimitsEvent;
}

namespace occhat::server {

// The bus subject of limit events; every node of a cluster publishes and subscribes to it.
inline constexpr std::string_view kLimitsSubject = "occhat.limits";

class ClusterLimits final : private LoginEvents {
 public:
  using Clock = std::chrono::steady_clock;
  // Sends the bytes of one LimitsEvent to every other node. May throw (counted, never passed on).
  using Publish = std::function<void(std::string)>;

  static constexpr std::chrono::milliseconds kFlushInterval{5};

  struct Counters {
    std::uint64_t published = 0;       // events sent
    std::uint64_t publish_failed = 0;  // publish threw; the event is lost (as a lost bus message)
    std::uint64_t applied = 0;         // other nodes' events applied here
    std::uint64_t own_ignored = 0;     // this node's own events, back from the bus
    std::uint64_t malformed = 0;       // unreadable or impossible events, ignored
  };

  // `network`: the network thread, where the batch timer runs.
  ClusterLimits(asio::any_io_executor network, LoginThrottle& throttle, SendRateLimiter& send_limiter);
  ~ClusterLimits();
  ClusterLimits(const ClusterLimits&) = delete;
  ClusterLimits& operator=(const ClusterLimits&) = delete;

  // The one place the server hooks this to the bus: from now on this node's events go to
  // `publish`, stamped with `incarnation` (this process's random node incarnation, non-zero), and
  // events carrying it are recognised as this node's own. An empty `publish` disconnects.
  void connect(std::uint64_t incarnation, Publish publish);
  bool connected() const { return static_cast<bool>(publish_); }

  // One message token taken from send_limiter for `user_id` (call after a successful take).
  void message_token_taken(std::uint32_t user_id) {
    if (publish_) note_token(user_id);
  }

  // Publishes the batched message tokens now (the batch timer calls this).
  void flush();

  // One event from the bus (another node's, or this node's own, which is ignored). Bytes that are
  // not a valid event are counted and ignored.
  void apply_remote(std::string_view bytes, Clock::time_point now = Clock::now());

  const Counters& counters() const { return counters_; }

 private:
  std::uint64_t started(std::uint32_t user_id, const std::string& address) override;
  void ended(std::uint64_t serial, std::uint32_t user_id, const std::string& address,
             AttemptOutcome outcome) noexcept override;

  void note_token(std::uint32_t user_id);
  void send(occhat::cluster::LimitsEvent& event) noexcept;
  void count_malformed();

  LoginThrottle& throttle_;
  SendRateLimiter& send_limiter_;
  Publish publish_;
  std::uint64_t incarnation_ = 0;
  std::uint64_t next_serial_ = 1;
  // Message tokens taken per user since the last flush.
  std::unordered_map<std::uint32_t, std::uint32_t> pending_tokens_;
  asio::steady_timer flush_timer_;
  bool flush_scheduled_ = false;
  Counters counters_;
};

}  // namespace occhat::server

#pragma once
// In-memory throttle of failed logins, kept at three levels (NIST SP 800-63B 5.2.2: rate-limit
// guessing without letting anyone lock the owner out):
//   - per (user id, client address): after `per_account_address` consecutive failures that pair
//     must wait `delay` before its next attempt. This is the level that stops a guesser, and it
//     only ever delays the guesser's own address: the owner elsewhere logs in as usual.
//   - per user id, from all addresses together: a much higher ceiling (`per_account`), the bound
//     on a guesser who spreads over many addresses.
//   - per client address, across all ids (`per_address`): one address guessing many accounts.
//     Higher than the per-pair limit, since one address (a NAT, an office) may hold many honest
//     users.
// Each wait doubles with each further round of failures at that level, capped at 15 min, so it is
// a growing delay (answered as RATE_LIMITED with retry_after), never a permanent lock. A success
// clears its pair's and its id's failures, but not its address's: logging in to one's own account
// must not reset a guesser's count against others.
//
// In a cluster every node keeps its own throttle and applies the other nodes' attempts to it
// (remote_started / remote_ended, fed by server/cluster/cluster_limits.*), so the thresholds count
// the attempts of the whole cluster; local attempts are told to `LoginEvents` for the others.
//
// Not thread-safe: used from the network thread only. Memory is bounded by pruning records that
// have been quiet for longer than the longest delay.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

namespace occhat::server {

// Consecutive failures allowed at each level before a delay (occhat-server --login-* flags).
struct LoginLimits {
  int per_account_address = 5;
  int per_account = 100;
  int per_address = 20;
  std::chrono::seconds delay{30};  // the first delay; doubles with each further one
};

// How an attempt ended. `abandoned`: neither outcome was known (the connection went, the store
// failed); it only frees its slot.
enum class AttemptOutcome { failed, succeeded, abandoned };

// Told of every local attempt, so other nodes can count it (ClusterLimits). started() returns a
// serial that names the attempt in its ended(), which comes exactly once, after the outcome.
class LoginEvents {
 public:
  virtual std::uint64_t started(std::uint32_t user_id, const std::string& address) = 0;
  virtual void ended(std::uint64_t serial, std::uint32_t user_id, const std::string& address,
                     AttemptOutcome outcome) noexcept = 0;

 protected:
  ~LoginEvents() = default;
};

// An attempt on another node: that node's incarnation and its serial for the attempt.
struct RemoteAttemptId {
  std::uint64_t origin = 0;
  std::uint64_t serial = 0;
  bool operator==(const RemoteAttemptId&) const = default;
};

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  // A remote attempt whose end was never heard (lost bus message, dead node) stops counting as
  // in flight after this long, so it cannot keep an account busy for ever.
  static constexpr std::chrono::seconds kRemoteInFlightTimeout{30};

  explicit LoginThrottle(LoginLimits limits);

  // nullptr (the default, a single node): nobody is told, and nothing is built for them.
  void set_events(LoginEvents* events) { events_ = events; }

  // One login attempt in progress. Attempts in flight count toward the thresholds, so parallel
  // connections cannot race many guesses past them while password checks are running. The
  // destructor releases the slots; call failed() or succeeded() once the outcome is known.
  class Attempt {
   public:
    Attempt(LoginThrottle& throttle, std::uint32_t user_id, std::string address);
    ~Attempt();
    Attempt(const Attempt&) = delete;
    Attempt& operator=(const Attempt&) = delete;
    void failed(Clock::time_point now = Clock::now());
    void succeeded();

   private:
    // Tells the throttle's LoginEvents how this attempt ended, once (if it was told of the start).
    void tell_end(AttemptOutcome outcome) noexcept;

    LoginThrottle& throttle_;
    std::uint32_t user_id_;
    std::string address_;
    std::uint64_t serial_ = 0;  // 0: LoginEvents was not told of this attempt (or already of its end)
  };

  // Time left until `user_id` may be tried from `address` again; zero when an attempt may start
  // now. Counts attempts in flight as if they failed.
  std::chrono::milliseconds retry_after(std::uint32_t user_id, const std::string& address,
                                        Clock::time_point now = Clock::now());

  // Another node's attempt, as Attempt does here: started holds in-flight slots until its end
  // (or kRemoteInFlightTimeout); ended frees them and counts a failure or clears as a success
  // does. An end whose start was never heard still counts its outcome. A repeated start is ignored.
  void remote_started(RemoteAttemptId id, std::uint32_t user_id, const std::string& address, Clock::time_point now);
  void remote_ended(RemoteAttemptId id, std::uint32_t user_id, const std::string& address, AttemptOutcome outcome,
                    Clock::time_point now);
  // Remote attempts holding slots right now (tests, metrics).
  std::size_t remote_in_flight() const { return remote_.size(); }

 private:
  struct Record {
    int failures = 0;
    int delays = 0;
    Clock::time_point delayed_until{};
    Clock::time_point last_failure{};
    int in_flight = 0;
  };

  struct PairKey {
    std::uint32_t user_id;
    std::string address;
    bool operator==(const PairKey&) const = default;
  };
  struct PairHash {
    std::size_t operator()(const PairKey& key) const noexcept;
  };

  struct RemoteHash {
    std::size_t operator()(const RemoteAttemptId& id) const noexcept;
  };
  struct RemoteSlot {
    std::uint32_t user_id;
    std::string address;
  };

  void take_slots(std::uint32_t user_id, const std::string& address);
  void release_slots(std::uint32_t user_id, const std::string& address);
  void fail_all(std::uint32_t user_id, const std::string& address, Clock::time_point now);
  void clear_success(std::uint32_t user_id, const std::string& address);
  void fail(Record& record, int threshold, Clock::time_point now) const;
  std::chrono::milliseconds remaining(const Record* record, int threshold, Clock::time_point now) const;
  void prune(Clock::time_point now);
  void expire_remote(Clock::time_point now);

  LoginLimits limits_;
  std::unordered_map<PairKey, Record, PairHash> by_pair_;
  std::unordered_map<std::uint32_t, Record> by_id_;
  std::unordered_map<std::string, Record> by_address_;
  Clock::time_point next_prune_{};
  LoginEvents* events_ = nullptr;
  // Remote attempts in flight, and their deadlines in arrival order (the timeout is the same for
  // all, so the front is always the next to expire; entries already ended are skipped there).
  std::unordered_map<RemoteAttemptId, RemoteSlot, RemoteHash> remote_;
  std::deque<std::pair<Clock::time_point, RemoteAttemptId>> remote_deadlines_;
};

}  // namespace occhat::server

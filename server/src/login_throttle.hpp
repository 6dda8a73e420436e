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
// Not thread-safe: used from the network thread only. Memory is bounded by pruning records that
// have been quiet for longer than the longest delay.

#include <chrono>
#include <cstdint>
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

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LoginThrottle(LoginLimits limits);

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
    LoginThrottle& throttle_;
    std::uint32_t user_id_;
    std::string address_;
  };

  // Time left until `user_id` may be tried from `address` again; zero when an attempt may start
  // now. Counts attempts in flight as if they failed.
  std::chrono::milliseconds retry_after(std::uint32_t user_id, const std::string& address,
                                        Clock::time_point now = Clock::now());

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

  void fail(Record& record, int threshold, Clock::time_point now) const;
  std::chrono::milliseconds remaining(const Record* record, int threshold, Clock::time_point now) const;
  void prune(Clock::time_point now);

  LoginLimits limits_;
  std::unordered_map<PairKey, Record, PairHash> by_pair_;
  std::unordered_map<std::uint32_t, Record> by_id_;
  std::unordered_map<std::string, Record> by_address_;
  Clock::time_point next_prune_{};
};

}  // namespace occhat::server

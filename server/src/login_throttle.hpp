#pragma once
// In-memory throttle of failed logins, per user id and per client address. After `max_failures`
// consecutive failures an id is locked for `lockout`; each further lockout doubles it (capped at
// 15 min). Addresses get 4x the threshold, since one address (a NAT, an office) may hold many
// honest users. A success clears the id's record.
//
// Not thread-safe: used from the network thread only. Memory is bounded by pruning records that
// have been quiet for longer than the longest lockout.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace occhat::server {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  LoginThrottle(int max_failures, std::chrono::seconds lockout);

  // One login attempt in progress. Attempts in flight count toward the threshold, so parallel
  // connections cannot race many guesses past it while password checks are running. The
  // destructor releases the slot; call failed() or succeeded() once the outcome is known.
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

  // Time left until `user_id` / `address` may try again; zero when an attempt may start now.
  // Counts attempts in flight as if they failed.
  std::chrono::milliseconds retry_after(std::uint32_t user_id, const std::string& address,
                                        Clock::time_point now = Clock::now());

 private:
  struct Record {
    int failures = 0;
    int lockouts = 0;
    Clock::time_point locked_until{};
    Clock::time_point last_failure{};
    int in_flight = 0;
  };

  void fail(Record& record, int threshold, Clock::time_point now) const;
  std::chrono::milliseconds remaining(const Record* record, int threshold, Clock::time_point now) const;
  void prune(Clock::time_point now);

  int max_failures_;
  int max_address_failures_;  // kAddressFactor times max_failures_, without overflowing
  std::chrono::seconds lockout_;
  std::unordered_map<std::uint32_t, Record> by_id_;
  std::unordered_map<std::string, Record> by_address_;
  Clock::time_point next_prune_{};
};

}  // namespace occhat::server

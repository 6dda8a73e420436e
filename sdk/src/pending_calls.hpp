#pragma once
// The request-id table of one connection: calls waiting for their answer.
//
// Thread safety: every member may be called from any thread. Once fail_all() has run, the table
// is closed for good: later add() calls get a future that already holds the failure, so a call
// racing with connection loss can never wait for an answer that will not come.

#include <cstdint>
#include <future>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <variant>

#include "occhat/error.hpp"
#include "occhat/proto/occhat.pb.h"

namespace occhat::detail {

// Either the server's answer (which may itself be a wire `error`) or a local failure.
using CallResult = std::variant<wire::Envelope, Error>;

class PendingCalls {
 public:
  std::future<CallResult> add(std::uint32_t request_id);
  // Delivers an answer; false if nobody waits for `request_id` (it timed out, or the server is
  // confused) so the caller can drop it.
  bool complete(std::uint32_t request_id, wire::Envelope&& answer);
  // Forgets a call after its timeout; its future then holds a broken promise. Returns false if
  // the call was no longer waiting: its result is (about to be) in the future already.
  bool remove(std::uint32_t request_id);
  // Fails every waiting call with `reason` and closes the table. Idempotent: the first reason wins.
  void fail_all(const Error& reason);

 private:
  std::mutex mutex_;
  std::unordered_map<std::uint32_t, std::promise<CallResult>> calls_;
  std::optional<Error> closed_;
};

}  // namespace occhat::detail

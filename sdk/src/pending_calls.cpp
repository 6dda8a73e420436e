#include "pending_calls.hpp"

namespace occhat::detail {

std::future<CallResult> PendingCalls::add(std::uint32_t request_id) {
  std::promise<CallResult> promise;
  auto future = promise.get_future();
  std::lock_guard lock(mutex_);
  if (closed_) {
    promise.set_value(*closed_);
    return future;
  }
  calls_.insert_or_assign(request_id, std::move(promise));
  return future;
}

bool PendingCalls::complete(std::uint32_t request_id, wire::Envelope&& answer) {
  std::promise<CallResult> promise;
  {
    std::lock_guard lock(mutex_);
    auto it = calls_.find(request_id);
    if (it == calls_.end()) return false;
    promise = std::move(it->second);
    calls_.erase(it);
  }
  // Outside the lock: setting the value wakes the caller, which may immediately add() again.
  promise.set_value(std::move(answer));
  return true;
}

bool PendingCalls::remove(std::uint32_t request_id) {
  std::lock_guard lock(mutex_);
  return calls_.erase(request_id) == 1;
}

void PendingCalls::fail_all(const Error& reason) {
  std::unordered_map<std::uint32_t, std::promise<CallResult>> calls;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = reason;
    calls.swap(calls_);
  }
  for (auto& [id, promise] : calls) promise.set_value(reason);
}

}  // namespace occhat::detail

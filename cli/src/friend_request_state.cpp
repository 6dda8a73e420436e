#include "friend_request_state.hpp"

namespace occhat::cli {

FriendRequestNow FriendRequestState::now(UserId from) {
  if (!pending_) {
    pending_.emplace();
    for (const auto& request : client_.friend_requests().incoming) pending_->insert(request.user.id);
    for (const auto& f : client_.friends()) friends_.insert(f.id);
  }
  if (pending_->contains(from)) return FriendRequestNow::pending;
  return friends_.contains(from) ? FriendRequestNow::friends : FriendRequestNow::gone;
}

}  // namespace occhat::cli

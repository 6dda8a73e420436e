#pragma once
// Inbox events are history: a friend request read later may have been accepted (or withdrawn)
// since. Before hinting "accept with: occhat add ID", `inbox` asks what the request is now.

#include <optional>
#include <set>

#include "event_format.hpp"
#include "occhat/client.hpp"

namespace occhat::cli {

class FriendRequestState {
 public:
  explicit FriendRequestState(Client& client) : client_(client) {}

  // What a request from `from` is now. The incoming requests and the friends are fetched once,
  // on the first call, so an inbox without friend requests costs no round trip.
  FriendRequestNow now(UserId from);

 private:
  Client& client_;
  std::optional<std::set<UserId>> pending_;
  std::set<UserId> friends_;
};

}  // namespace occhat::cli

#pragma once
// What a request wants to happen besides its answer. A handler returns a Reply: the answer and
// a list of effects. The session queues the answer first, then applies that request's effects
// in order, so nothing a request causes (a push to a friend, a subscription starting) runs
// before its own answer is queued, and effects never leak from one request to another, even
// when requests are pipelined.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "occhat/proto/frame.hpp"
#include "occhat/store/store.hpp"
#include "send_stages.hpp"

namespace occhat::server::effect {

// The versioned hello was accepted: the connection may make requests. client_name is what the
// hello said (shown in the user's session list).
struct HelloDone {
  std::string client_name;
};
// The connection is logged in as `user_id` (replacing any earlier login on it).
struct LogIn {
  std::uint32_t user_id = 0;
  store::TokenHash token_hash{};
  bool announce_presence = false;
};
// The connection is logged out; its subscription ends with the login.
struct LogOut {};
// Every other connection logged in with this token loses it (logout cuts off a leaked token).
struct RevokeToken {
  std::uint32_t user_id = 0;
  store::TokenHash token_hash{};
  std::string reason = "session revoked: logged out elsewhere";
};
// Every other connection of the user loses its login and is closed with `reason`, except those
// logged in with `keep` (a password change keeps the session that made it).
struct RevokeUserSessions {
  std::uint32_t user_id = 0;
  std::optional<store::TokenHash> keep;
  std::string reason;
};
// A committed inbox item, for every subscribed connection of its user.
struct Deliver {
  store::InboxItem item;
};
// Committed inbox items of many users at once (a room message or event: one per member), so a
// 1,000-member fan-out is one effect, not a thousand. Each goes to its own user's connections.
struct DeliverMany {
  std::vector<store::InboxItem> items;
  // A timed 1:1 send (--metrics-listen): items[0] is the recipient's, whose push is timed.
  std::optional<SendTiming> timing;
};
// Starts this connection's inbox subscription after `after_seq`, or moves it forward. A new
// subscription begins with a presence snapshot: those of `friends` online once it is registered.
struct Subscribe {
  std::uint64_t after_seq = 0;
  std::vector<store::Friend> friends;
};
// This connection's user acknowledged up to `acked_seq`: those items need no push any more.
struct Acknowledged {
  std::uint64_t acked_seq = 0;
};
// Two users just became friends: each who is online is shown to the other as online at once.
struct Befriended {
  std::uint32_t first = 0;
  std::string first_nick;
  std::uint32_t second = 0;
  std::string second_nick;
};

}  // namespace occhat::server::effect

namespace occhat::server {

using Effect = std::variant<effect::HelloDone, effect::LogIn, effect::LogOut, effect::RevokeToken,
                            effect::RevokeUserSessions, effect::Deliver,
                            effect::DeliverMany, effect::Subscribe, effect::Acknowledged, effect::Befriended>;

struct Reply {
  Reply() = default;
  // Most answers have no effects.
  Reply(wire::Envelope answer) : body(std::move(answer)) {}  // NOLINT(google-explicit-constructor)

  wire::Envelope body;
  std::vector<Effect> effects;  // applied in order once `body` is queued; an error answer has none
  bool close = false;           // close the connection once `body` is sent
};

}  // namespace occhat::server

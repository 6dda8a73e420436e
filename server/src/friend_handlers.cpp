#include "friend_handlers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "log.hpp"
#include "request_error.hpp"
#include "server_context.hpp"

namespace occhat::server {
namespace {

// Store jobs are named locals, never temporaries inside the co_await expression (g++ 12; see
// run_on.hpp).

void fill_pending(wire::PendingRequest& out, const store::PendingRequest& request) {
  out.mutable_user()->set_id(request.user_id);
  out.mutable_user()->set_nick(request.nick);
  out.set_time_ms(request.time_ms);
}

// "45 s", "2 min": rounded up, so the user never retries too early.
std::string wait_text(std::chrono::milliseconds wait) {
  const auto seconds = (wait.count() + 999) / 1000;
  if (seconds < 60) return fmt::format("{} s", seconds < 1 ? 1 : seconds);
  return fmt::format("{} min", (seconds + 59) / 60);
}

}  // namespace

asio::awaitable<Reply> handle_add_friend(ServerContext& server, const RequestContext& context,
                                         const wire::AddFriendRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t other = request.user_id();
  if (other == me) throw RequestError(ErrorCode::invalid_argument, "you cannot add yourself as a friend");
  // Only an add that would store a new request takes a token: accepting, asking again while
  // pending and "already friends" stay free. Checked before storing anything. (Not atomic with
  // the add: the other side may change their state in between, which only they can exploit.)
  auto link_job = [me, other](store::Store& store) { return store.friend_link(me, other); };
  const store::FriendLink link = co_await server.store.run(std::move(link_job));
  if (link == store::FriendLink::none) {
    if (auto wait = server.friend_request_limiter.take(me, SendRateLimiter::Clock::now())) {
      throw RequestError(ErrorCode::rate_limited, fmt::format("too many friend requests; retry in {}", wait_text(*wait)),
                         *wait);
    }
  }
  auto add_job = [me, other](store::Store& store) { return store.add_friend(me, other); };
  const store::AddFriendResult result = co_await server.store.run(std::move(add_job));

  Reply reply;
  auto* out = reply.body.mutable_add_friend_result();
  out->mutable_user()->set_id(result.other.id);
  out->mutable_user()->set_nick(result.other.nick);
  switch (result.state) {
    case store::AddFriendState::requested:
      out->set_state(wire::AddFriendResult::REQUESTED);
      if (result.notice) log_event("user {} sent a friend request to user {}", me, other);
      if (result.coalesced) {
        log_debug("user {} asked user {} again; the earlier notice is still unacknowledged, none added", me, other);
      }
      break;
    case store::AddFriendState::now_friends:
      out->set_state(wire::AddFriendResult::NOW_FRIENDS);
      log_event("users {} and {} are now friends", other, me);
      break;
    case store::AddFriendState::already_friends:
      out->set_state(wire::AddFriendResult::ALREADY_FRIENDS);
      break;
  }
  if (result.notice) {
    const store::InboxItem& notice = *result.notice;  // in the asker's inbox
    reply.effects.emplace_back(effect::Deliver{notice});
    if (result.state == store::AddFriendState::now_friends) {
      // notice.other_user is the one who accepted (me), result.other the asker.
      reply.effects.emplace_back(
          effect::Befriended{notice.user_id, result.other.nick, notice.other_user, notice.other_nick});
    }
  }
  co_return reply;
}

asio::awaitable<Reply> handle_remove_friend(ServerContext& server, const RequestContext& context,
                                            const wire::RemoveFriendRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t other = request.user_id();
  auto remove_job = [me, other](store::Store& store) { return store.remove_friend(me, other); };
  const bool removed = co_await server.store.run(std::move(remove_job));
  if (!removed) {
    throw RequestError(ErrorCode::not_found, fmt::format("{} is not your friend and no request is pending", other));
  }
  log_event("user {} removed user {} (friendship or request)", me, other);
  wire::Envelope answer;
  answer.mutable_ok();
  co_return answer;
}

asio::awaitable<Reply> handle_list_friends(ServerContext& server, const RequestContext& context) {
  const std::uint32_t me = context.user_id.value();
  auto list_job = [me](store::Store& store) {
    std::vector<store::Friend> friends = store.friends(me);
    for (auto& f : friends) f.unread = store.unread_count(me, f.id);
    return friends;
  };
  const std::vector<store::Friend> friends = co_await server.store.run(std::move(list_job));
  // The store sorts by nick, then id; online first keeps that order within each group.
  std::vector<std::pair<bool, const store::Friend*>> sorted;
  sorted.reserve(friends.size());
  for (const auto& f : friends) sorted.emplace_back(server.bus->online(f.id), &f);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  wire::Envelope answer;
  auto* list = answer.mutable_friend_list();
  for (const auto& [online, f] : sorted) {
    auto* out = list->add_friends();
    out->set_id(f->id);
    out->set_nick(f->nick);
    out->set_online(online);
    out->set_unread(f->unread);
  }
  co_return answer;
}

asio::awaitable<Reply> handle_list_friend_requests(ServerContext& server, const RequestContext& context) {
  const std::uint32_t me = context.user_id.value();
  auto list_job = [me](store::Store& store) { return store.friend_requests(me); };
  const store::FriendRequests requests = co_await server.store.run(std::move(list_job));
  wire::Envelope answer;
  auto* list = answer.mutable_friend_request_list();
  for (const auto& r : requests.incoming) fill_pending(*list->add_incoming(), r);
  for (const auto& r : requests.outgoing) fill_pending(*list->add_outgoing(), r);
  co_return answer;
}

}  // namespace occhat::server

// Friend-request spam (issue 12 item 7), on a real occhat-server process with hand-built frames:
// a stranger who adds and removes the same user over and over must not fill that user's inbox,
// and new friend requests are rate-limited per user (--friend-request-rate/-burst).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"
#include "raw_peer.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace occhat::test;
using occhat::ErrorCode;
namespace wire = occhat::wire;

// Friend-request notices (not acceptances) among inbox items.
std::vector<wire::InboxItem> request_notices(const wire::Envelope& items) {
  std::vector<wire::InboxItem> out;
  for (const auto& item : items.inbox_items().items()) {
    if (item.has_friend_request() && !item.friend_request().accepted()) out.push_back(item);
  }
  return out;
}

std::size_t pushed_request_notices(const std::vector<wire::Envelope>& pushes) {
  std::size_t n = 0;
  for (const auto& push : pushes) n += request_notices(push).size();
  return n;
}

TEST(RawFriendSpam, AddRemoveTwoThousandTimesLeavesOneNotice) {
  // The limit raised far enough for the attack to reach the store.
  ServerProcess server({}, {"--friend-request-rate", "1000000", "--friend-request-burst", "100000", "--durability",
                            "process"});
  RawPeer mallory_peer(server);
  RawPeer bob_peer(server);
  const auto mallory = sign_up(mallory_peer, "mallory");
  const auto bob = sign_up(bob_peer, "bob");
  // bob listens like `watch` (but acknowledges nothing yet).
  ASSERT_TRUE(bob_peer.call(rq::subscribe(0)).has_ok());

  for (int i = 0; i < 2000; ++i) {
    const auto added = mallory_peer.call(rq::add_friend(bob));
    ASSERT_EQ(added.add_friend_result().state(), wire::AddFriendResult::REQUESTED) << i << ": " << added.ShortDebugString();
    ASSERT_TRUE(mallory_peer.call(rq::remove_friend(bob)).has_ok()) << i;
  }
  ASSERT_EQ(mallory_peer.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);

  // One push, one stored item, one pending request.
  EXPECT_EQ(pushed_request_notices(bob_peer.drain_pushes(500ms)), 1u);
  const auto inbox = bob_peer.call(rq::fetch_inbox(0));
  ASSERT_EQ(inbox.inbox_items().items_size(), 1) << inbox.ShortDebugString().substr(0, 2000);
  const auto& notice = inbox.inbox_items().items(0);
  EXPECT_EQ(notice.seq(), 1u);
  EXPECT_EQ(notice.friend_request().from().id(), mallory);
  const auto requests = bob_peer.call(rq::list_friend_requests());
  ASSERT_EQ(requests.friend_request_list().incoming_size(), 1);
  EXPECT_EQ(requests.friend_request_list().incoming(0).user().id(), mallory);

  // Once bob has acknowledged (seen and ignored) it, a new request notifies once more: seq 2,
  // no gap; and again only once however often it is repeated.
  ASSERT_TRUE(bob_peer.call(rq::ack(1)).has_ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(mallory_peer.call(rq::remove_friend(bob)).has_ok());
    ASSERT_EQ(mallory_peer.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);
  }
  const auto pushed = bob_peer.drain_pushes(500ms);
  EXPECT_EQ(pushed_request_notices(pushed), 1u);
  const auto after_ack = bob_peer.call(rq::fetch_inbox(0));
  ASSERT_EQ(after_ack.inbox_items().items_size(), 1) << after_ack.ShortDebugString();
  EXPECT_EQ(after_ack.inbox_items().items(0).seq(), 2u);

  // Declining is an answer: mallory's next request is news again.
  ASSERT_TRUE(bob_peer.call(rq::remove_friend(mallory)).has_ok());
  ASSERT_EQ(mallory_peer.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);
  const auto after_decline = bob_peer.call(rq::fetch_inbox(0));
  ASSERT_EQ(after_decline.inbox_items().items_size(), 2) << after_decline.ShortDebugString();
  EXPECT_EQ(after_decline.inbox_items().items(1).seq(), 3u);

  // Accepting still works and still tells mallory.
  ASSERT_EQ(bob_peer.call(rq::add_friend(mallory)).add_friend_result().state(), wire::AddFriendResult::NOW_FRIENDS);
  const auto mallory_inbox = mallory_peer.call(rq::fetch_inbox(0));
  ASSERT_EQ(mallory_inbox.inbox_items().items_size(), 1);
  EXPECT_TRUE(mallory_inbox.inbox_items().items(0).friend_request().accepted());
}

TEST(RawFriendSpam, RateLimitSaysWhenToRetry) {
  // Three at once, then one every 5 s.
  ServerProcess server({}, {"--friend-request-rate", "720", "--friend-request-burst", "3"});
  RawPeer a(server), b(server), c(server), d(server), e(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  const auto carol = sign_up(c, "carol");
  const auto dave = sign_up(d, "dave");
  const auto erin = sign_up(e, "erin");
  // erin asks alice first (erin's own budget).
  ASSERT_EQ(e.call(rq::add_friend(alice)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);

  for (const auto to : {bob, carol, dave}) {
    ASSERT_EQ(a.call(rq::add_friend(to)).add_friend_result().state(), wire::AddFriendResult::REQUESTED) << to;
  }
  ASSERT_TRUE(a.call(rq::remove_friend(dave)).has_ok());  // withdrawing gives nothing back
  const auto limited = a.call(rq::add_friend(dave));
  ASSERT_EQ(code_of(limited), ErrorCode::rate_limited) << limited.ShortDebugString();
  const auto retry_after = std::chrono::milliseconds(limited.error().retry_after_ms());
  EXPECT_GT(retry_after.count(), 0);
  EXPECT_LE(retry_after.count(), 5000) << "one token comes back every 5 s";
  EXPECT_NE(limited.error().message().find("too many friend requests; retry in"), std::string::npos)
      << limited.error().message();
  // Nothing was stored: dave has no pending request and only the first notice.
  EXPECT_EQ(d.call(rq::list_friend_requests()).friend_request_list().incoming_size(), 0);
  EXPECT_EQ(d.call(rq::fetch_inbox(0)).inbox_items().items_size(), 1);

  // What stores no new request is not limited: asking again while pending, accepting, and
  // "already friends".
  EXPECT_EQ(a.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);
  EXPECT_EQ(a.call(rq::add_friend(erin)).add_friend_result().state(), wire::AddFriendResult::NOW_FRIENDS);
  EXPECT_EQ(a.call(rq::add_friend(erin)).add_friend_result().state(), wire::AddFriendResult::ALREADY_FRIENDS);
  // The limit is per user: bob has his own budget.
  EXPECT_EQ(b.call(rq::add_friend(carol)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);

  std::this_thread::sleep_for(retry_after + 50ms);
  EXPECT_EQ(a.call(rq::add_friend(dave)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);
  // dave's first notice is still unacknowledged: the new request joined it.
  EXPECT_EQ(d.call(rq::fetch_inbox(0)).inbox_items().items_size(), 1);
}

TEST(RawFriendSpam, DefaultLimitIsTenAtOnceThenThirtyAnHour) {
  ServerProcess server;
  RawPeer a(server);
  const auto alice = sign_up(a, "alice");
  // Adds to ids nobody has count too (they would otherwise probe ids for free).
  std::uint32_t unknown = alice == 999999 ? 999998 : 999999;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(code_of(a.call(rq::add_friend(unknown))), ErrorCode::not_found) << i;
  }
  const auto limited = a.call(rq::add_friend(unknown));
  ASSERT_EQ(code_of(limited), ErrorCode::rate_limited) << limited.ShortDebugString();
  // 30 an hour: a token every 120 s (minus the moments this test took).
  EXPECT_GT(limited.error().retry_after_ms(), 90'000u);
  EXPECT_LE(limited.error().retry_after_ms(), 120'000u);
  EXPECT_EQ(limited.error().message(), "too many friend requests; retry in 2 min");
}

// The last hole of friend-request spam: once blocked, a stranger cannot put anything at all into
// the target's inbox, however they add and remove.
TEST(RawFriendSpam, BlockedStrangerReachesNothing) {
  ServerProcess server({}, {"--friend-request-rate", "1000000", "--friend-request-burst", "100000"});
  RawPeer mallory_peer(server);
  RawPeer bob_peer(server);
  const auto mallory = sign_up(mallory_peer, "mallory");
  const auto bob = sign_up(bob_peer, "bob");
  ASSERT_EQ(mallory_peer.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);
  wire::Envelope block;
  block.mutable_block_user_request()->set_user_id(mallory);
  ASSERT_TRUE(bob_peer.call(block).has_ok());
  // The pending request went with the block; bob reads what he had and subscribes.
  EXPECT_EQ(bob_peer.call(rq::list_friend_requests()).friend_request_list().incoming_size(), 0);
  const auto before = bob_peer.call(rq::fetch_inbox(0));
  const auto last_seq = before.inbox_items().items_size() == 0
                            ? 0
                            : before.inbox_items().items(before.inbox_items().items_size() - 1).seq();
  ASSERT_TRUE(bob_peer.call(rq::subscribe(last_seq)).has_ok());

  for (int i = 0; i < 200; ++i) {
    // Answered as usual: mallory is not told she is blocked.
    ASSERT_EQ(mallory_peer.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::REQUESTED) << i;
    mallory_peer.call(rq::remove_friend(bob));
  }
  EXPECT_TRUE(bob_peer.drain_pushes(300ms).empty());
  EXPECT_EQ(bob_peer.call(rq::fetch_inbox(last_seq)).inbox_items().items_size(), 0);
  EXPECT_EQ(bob_peer.call(rq::list_friend_requests()).friend_request_list().incoming_size(), 0);

  // Unblocking lifts only the block: nothing of the spam comes back, a new request arrives.
  block.mutable_block_user_request()->set_unblock(true);
  ASSERT_TRUE(bob_peer.call(block).has_ok());
  EXPECT_EQ(bob_peer.call(rq::fetch_inbox(last_seq)).inbox_items().items_size(), 0);
  ASSERT_EQ(mallory_peer.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);
  EXPECT_EQ(bob_peer.call(rq::list_friend_requests()).friend_request_list().incoming_size(), 1);
}

}  // namespace

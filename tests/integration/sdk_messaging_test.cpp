// occhat::Client messaging calls against a real occhat-server process: friends, presence,
// messages, the inbox (fetch, ack, subscribe), history and keepalive.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "expect_error.hpp"
#include "occhat/client.hpp"
#include "server_process.hpp"

namespace occhat {
namespace {

using namespace std::chrono_literals;
using test::ServerProcess;
using test::error_of;

constexpr const char* kPassword = "correct horse battery";

// Events until `done` says enough (or `timeout` passes without a new event).
std::vector<Event> collect(Client& client, const std::function<bool(const std::vector<Event>&)>& done,
                           std::chrono::milliseconds timeout = 10s) {
  std::vector<Event> events;
  while (!done(events)) {
    auto event = client.next_event(timeout);
    if (!event) break;
    events.push_back(std::move(*event));
  }
  return events;
}

// Every event that arrives within `quiet`.
std::vector<Event> drain(Client& client, std::chrono::milliseconds quiet) {
  return collect(client, [](const std::vector<Event>&) { return false; }, quiet);
}

std::vector<Event> of_type(const std::vector<Event>& events, const std::string& type) {
  std::vector<Event> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out), [&](const Event& e) { return e.type == type; });
  return out;
}

class SdkMessagingTest : public ::testing::Test {
 protected:
  std::unique_ptr<Client> connected(Client::Options options = {}) {
    auto client = std::make_unique<Client>(std::move(options));
    client->connect(server_.address());
    return client;
  }

  UserId new_user(const std::string& nick) {
    auto client = connected();
    return client->register_user(nick + "@example.org", nick, kPassword);
  }

  std::unique_ptr<Client> logged_in(UserId id, bool announce_presence = false) {
    auto client = connected();
    client->login(id, kPassword, announce_presence);
    return client;
  }

  // Makes a and b friends and acknowledges the friend_request items that produced.
  void make_friends(Client& a, Client& b) {
    const UserId b_id = b.current_user()->id;
    const UserId a_id = a.current_user()->id;
    ASSERT_EQ(a.add_friend(b_id).state, AddFriendState::requested);
    ASSERT_EQ(b.add_friend(a_id).state, AddFriendState::now_friends);
    for (Client* c : {&a, &b}) {
      const auto page = c->fetch_inbox();
      if (!page.events.empty()) c->ack(page.events.back().seq);
    }
  }

  ServerProcess server_;
};

// ---- friends ----------------------------------------------------------------------------------

TEST_F(SdkMessagingTest, FriendRequestThenAcceptMakesFriends) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);

  const auto requested = a->add_friend(bob);
  EXPECT_EQ(requested.state, AddFriendState::requested);
  EXPECT_EQ(requested.user.id, bob);
  EXPECT_EQ(requested.user.nick, "bob");
  EXPECT_TRUE(requested.user.email.empty());
  // Asking twice stores one request.
  EXPECT_EQ(a->add_friend(bob).state, AddFriendState::requested);

  const auto a_requests = a->friend_requests();
  ASSERT_EQ(a_requests.outgoing.size(), 1u);
  EXPECT_TRUE(a_requests.incoming.empty());
  EXPECT_EQ(a_requests.outgoing[0].user.id, bob);
  EXPECT_EQ(a_requests.outgoing[0].user.nick, "bob");
  EXPECT_GT(a_requests.outgoing[0].time_ms, 1'600'000'000'000);
  const auto b_requests = b->friend_requests();
  ASSERT_EQ(b_requests.incoming.size(), 1u);
  EXPECT_TRUE(b_requests.outgoing.empty());
  EXPECT_EQ(b_requests.incoming[0].user.id, alice);
  EXPECT_EQ(b_requests.incoming[0].user.nick, "alice");
  EXPECT_TRUE(a->friends().empty());

  const auto accepted = b->add_friend(alice);
  EXPECT_EQ(accepted.state, AddFriendState::now_friends);
  EXPECT_EQ(accepted.user.id, alice);
  EXPECT_EQ(accepted.user.nick, "alice");
  EXPECT_EQ(a->add_friend(bob).state, AddFriendState::already_friends);
  EXPECT_TRUE(a->friend_requests().incoming.empty());
  EXPECT_TRUE(a->friend_requests().outgoing.empty());
  EXPECT_TRUE(b->friend_requests().incoming.empty());

  // Neither connection announces presence: both offline.
  auto a_friends = a->friends();
  ASSERT_EQ(a_friends.size(), 1u);
  EXPECT_EQ(a_friends[0].id, bob);
  EXPECT_EQ(a_friends[0].nick, "bob");
  EXPECT_FALSE(a_friends[0].online);
  auto b_friends = b->friends();
  ASSERT_EQ(b_friends.size(), 1u);
  EXPECT_EQ(b_friends[0].id, alice);
  EXPECT_FALSE(b_friends[0].online);

  // A presence-announcing connection of bob makes him online for alice.
  auto b_live = logged_in(bob, true);
  a_friends = a->friends();
  ASSERT_EQ(a_friends.size(), 1u);
  EXPECT_TRUE(a_friends[0].online);
  b_live.reset();
  // The server notices the closed socket asynchronously.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (a->friends()[0].online && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(a->friends()[0].online);
}

TEST_F(SdkMessagingTest, FriendListPutsOnlineFriendsFirst) {
  const UserId alice = new_user("alice");
  const UserId zed = new_user("zed");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto z = logged_in(zed);
  auto b = logged_in(bob);
  make_friends(*a, *z);
  make_friends(*a, *b);
  auto z_live = logged_in(zed, true);
  const auto friends = a->friends();
  ASSERT_EQ(friends.size(), 2u);
  EXPECT_EQ(friends[0].id, zed);
  EXPECT_TRUE(friends[0].online);
  EXPECT_EQ(friends[1].id, bob);
  EXPECT_FALSE(friends[1].online);
}

TEST_F(SdkMessagingTest, FriendRequestsReachTheInbox) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  a->add_friend(bob);
  a->add_friend(bob);  // idempotent: no second inbox item

  const auto b_page = b->fetch_inbox();
  ASSERT_EQ(b_page.events.size(), 1u);
  EXPECT_FALSE(b_page.more);
  const Event& request = b_page.events[0];
  EXPECT_EQ(request.type, "friend_request");
  EXPECT_GT(request.seq, 0u);
  EXPECT_GT(request.time_ms, 1'600'000'000'000);
  EXPECT_EQ(request.user.id, alice);
  EXPECT_EQ(request.user.nick, "alice");
  EXPECT_FALSE(request.accepted);
  EXPECT_FALSE(request.message.has_value());

  b->add_friend(alice);
  const auto a_page = a->fetch_inbox();
  ASSERT_EQ(a_page.events.size(), 1u);
  EXPECT_EQ(a_page.events[0].type, "friend_request");
  EXPECT_EQ(a_page.events[0].user.id, bob);
  EXPECT_TRUE(a_page.events[0].accepted);
}

TEST_F(SdkMessagingTest, AddFriendErrors) {
  const UserId alice = new_user("alice");
  auto a = connected();
  EXPECT_EQ(error_of([&] { a->add_friend(alice); }).code(), ErrorCode::unauthenticated);
  EXPECT_EQ(error_of([&] { a->friends(); }).code(), ErrorCode::unauthenticated);
  EXPECT_EQ(error_of([&] { a->fetch_inbox(); }).code(), ErrorCode::unauthenticated);
  a->login(alice, kPassword);
  EXPECT_EQ(error_of([&] { a->add_friend(alice); }).code(), ErrorCode::invalid_argument);
  const UserId unknown = alice == 999999 ? 999998 : 999999;
  const auto e = error_of([&] { a->add_friend(unknown); });
  EXPECT_EQ(e.code(), ErrorCode::not_found);
  EXPECT_NE(std::string(e.what()).find(std::to_string(unknown)), std::string::npos) << e.what();
}

TEST_F(SdkMessagingTest, RemoveFriendEndsFriendshipAndRequests) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  const UserId carol = new_user("carol");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  auto c = logged_in(carol);
  make_friends(*a, *b);

  b->remove_friend(alice);
  EXPECT_TRUE(a->friends().empty());
  EXPECT_TRUE(b->friends().empty());
  EXPECT_EQ(error_of([&] { a->remove_friend(bob); }).code(), ErrorCode::not_found);
  EXPECT_EQ(error_of([&] { a->send_message(bob, "still there?"); }).code(), ErrorCode::not_allowed);

  // Withdrawing an outgoing request, and declining an incoming one.
  a->add_friend(carol);
  a->remove_friend(carol);
  EXPECT_TRUE(c->friend_requests().incoming.empty());
  c->add_friend(alice);
  a->remove_friend(carol);
  EXPECT_TRUE(c->friend_requests().outgoing.empty());
  EXPECT_TRUE(a->friend_requests().incoming.empty());
}

// ---- messages ---------------------------------------------------------------------------------

TEST_F(SdkMessagingTest, SendingNeedsAFriend) {
  const UserId alice = new_user("alice");
  const UserId carol = new_user("carol");
  auto a = logged_in(alice);
  auto c = logged_in(carol);
  const auto e = error_of([&] { c->send_message(alice, "hello?"); });
  EXPECT_EQ(e.code(), ErrorCode::not_allowed);
  EXPECT_NE(std::string(e.what()).find(std::to_string(alice)), std::string::npos) << e.what();
  EXPECT_TRUE(a->fetch_inbox().events.empty());
  // A pending request is not a friendship either.
  c->add_friend(alice);
  EXPECT_EQ(error_of([&] { c->send_message(alice, "hello?"); }).code(), ErrorCode::not_allowed);
}

TEST_F(SdkMessagingTest, InvalidSendsAreRejected) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);
  const UserId unknown = (alice == 999999 || bob == 999999) ? 100000 : 999999;

  EXPECT_EQ(error_of([&] { a->send_message(alice, "me"); }).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { a->send_message(unknown, "who"); }).code(), ErrorCode::not_found);
  EXPECT_EQ(error_of([&] { a->send_message(bob, ""); }).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { a->send_message(bob, std::string(8193, 'x')); }).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { a->send_message(bob, "bad \xff utf-8"); }).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { a->send_message(bob, std::string("nul\0inside", 10)); }).code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { a->send_message(bob, "ok", std::string(65, 'c')); }).code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(b->fetch_inbox().events.empty());

  // The limits themselves are fine, and so are newlines and multi-byte characters.
  EXPECT_NO_THROW(a->send_message(bob, std::string(8192, 'x'), std::string(64, 'c')));
  EXPECT_NO_THROW(a->send_message(bob, "line one\nline two \xe4\xbd\xa0\xe5\xa5\xbd"));
  const auto page = b->fetch_inbox();
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[1].message->text, "line one\nline two \xe4\xbd\xa0\xe5\xa5\xbd");
}

TEST_F(SdkMessagingTest, SendFetchAndAck) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);

  std::vector<SendResult> sent;
  for (int i = 0; i < 3; ++i) sent.push_back(a->send_message(bob, "message " + std::to_string(i)));
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_FALSE(sent[i].duplicate);
    EXPECT_GT(sent[i].time_ms, 1'600'000'000'000);
    if (i > 0) {
      EXPECT_GT(sent[i].id, sent[i - 1].id);
    }
  }

  const auto page = b->fetch_inbox();
  EXPECT_FALSE(page.more);
  ASSERT_EQ(page.events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const Event& e = page.events[i];
    EXPECT_EQ(e.type, "message");
    if (i > 0) {
      EXPECT_EQ(e.seq, page.events[i - 1].seq + 1);
    }
    ASSERT_TRUE(e.message.has_value());
    EXPECT_EQ(e.message->id, sent[i].id);
    EXPECT_EQ(e.message->from, alice);
    EXPECT_EQ(e.message->to, bob);
    EXPECT_EQ(e.message->from_nick, "alice");
    EXPECT_EQ(e.message->text, "message " + std::to_string(i));
    EXPECT_EQ(e.message->time_ms, sent[i].time_ms);
    EXPECT_EQ(e.user.id, alice);
  }
  // Without an ack nothing is gone.
  EXPECT_EQ(b->fetch_inbox().events.size(), 3u);
  // after_seq skips what the caller has already handled.
  const auto rest = b->fetch_inbox(page.events[0].seq);
  ASSERT_EQ(rest.events.size(), 2u);
  EXPECT_EQ(rest.events[0].seq, page.events[1].seq);

  b->ack(page.events.back().seq);
  EXPECT_TRUE(b->fetch_inbox().events.empty());
  // A fresh connection sees the same: acknowledged is durable, and acks never move backwards.
  auto b2 = logged_in(bob);
  b2->ack(page.events[0].seq);
  EXPECT_TRUE(b2->fetch_inbox().events.empty());
  // The sender's own inbox holds only the carbons of what she sent (for her other devices).
  for (const Event& e : a->fetch_inbox().events) EXPECT_EQ(e.type, "sent");
}

TEST_F(SdkMessagingTest, FetchInboxPages) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);
  for (int i = 0; i < 5; ++i) a->send_message(bob, "m" + std::to_string(i));

  const auto first = b->fetch_inbox(0, 2);
  ASSERT_EQ(first.events.size(), 2u);
  EXPECT_TRUE(first.more);
  const auto second = b->fetch_inbox(first.events.back().seq, 1000);
  ASSERT_EQ(second.events.size(), 3u);
  EXPECT_FALSE(second.more);
  EXPECT_EQ(second.events[0].message->text, "m2");

  EXPECT_EQ(error_of([&] { b->fetch_inbox(0, 0); }).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { b->fetch_inbox(0, 1001); }).code(), ErrorCode::invalid_argument);
}

TEST_F(SdkMessagingTest, LargeInboxComesInFramesOfAtMost64KiB) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);
  // 20 x 8 KiB cannot fit one 64 KiB frame: the server stops early and says more.
  for (int i = 0; i < 20; ++i) a->send_message(bob, std::to_string(i) + std::string(8000, 'x'));
  std::vector<Event> all;
  Seq after = 0;
  for (int pages = 0; pages < 30; ++pages) {
    const auto page = b->fetch_inbox(after);
    all.insert(all.end(), page.events.begin(), page.events.end());
    if (!page.more) break;
    ASSERT_FALSE(page.events.empty());
    EXPECT_LT(page.events.size(), 20u);
    after = page.events.back().seq;
  }
  ASSERT_EQ(all.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(all[i].message->text, std::to_string(i) + std::string(8000, 'x'));
}

TEST_F(SdkMessagingTest, SameClientMsgIdIsStoredOnce) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);

  const auto first = a->send_message(bob, "only once", "retry-1");
  EXPECT_FALSE(first.duplicate);
  const auto again = a->send_message(bob, "only once", "retry-1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.time_ms, first.time_ms);
  // From another connection of the same sender too (the retry after a lost answer).
  auto a2 = logged_in(alice);
  const auto third = a2->send_message(bob, "only once", "retry-1");
  EXPECT_TRUE(third.duplicate);
  EXPECT_EQ(third.id, first.id);

  // Without an id the SDK makes a fresh one per call: two sends, two messages.
  const auto x = a->send_message(bob, "twice");
  const auto y = a->send_message(bob, "twice");
  EXPECT_FALSE(x.duplicate);
  EXPECT_FALSE(y.duplicate);
  EXPECT_NE(x.id, y.id);

  const auto page = b->fetch_inbox();
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events[0].message->id, first.id);
  EXPECT_EQ(page.events[1].message->id, x.id);
  EXPECT_EQ(page.events[2].message->id, y.id);
}

// ---- subscribe --------------------------------------------------------------------------------

TEST_F(SdkMessagingTest, SubscribeDeliversTheBacklogInOrderThenLiveMessages) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);
  constexpr int kBacklog = 500;
  for (int i = 0; i < kBacklog; ++i) a->send_message(bob, "backlog " + std::to_string(i));

  auto receiver = logged_in(bob, true);
  receiver->subscribe();
  auto events = collect(*receiver, [](const std::vector<Event>& got) { return got.size() >= kBacklog; });
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kBacklog));
  for (int i = 0; i < kBacklog; ++i) {
    ASSERT_EQ(events[i].type, "message");
    EXPECT_EQ(events[i].message->text, "backlog " + std::to_string(i));
    if (i > 0) {
      EXPECT_EQ(events[i].seq, events[i - 1].seq + 1);
    }
  }

  const auto live = a->send_message(bob, "live one");
  auto next = receiver->next_event(10s);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->type, "message");
  EXPECT_EQ(next->seq, events.back().seq + 1);
  EXPECT_EQ(next->message->id, live.id);
  EXPECT_EQ(next->message->text, "live one");
  // Nothing pushed twice.
  EXPECT_TRUE(drain(*receiver, 300ms).empty());
}

TEST_F(SdkMessagingTest, SubscribeStartsAfterTheAcknowledgedSeq) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);
  for (int i = 0; i < 6; ++i) a->send_message(bob, "m" + std::to_string(i));
  const auto page = b->fetch_inbox();
  ASSERT_EQ(page.events.size(), 6u);
  b->ack(page.events[1].seq);  // m0, m1 handled

  // after_seq beyond the ack skips more; the ack skips what after_seq does not.
  auto r1 = logged_in(bob);
  r1->subscribe(page.events[3].seq);
  auto got = collect(*r1, [](const std::vector<Event>& e) { return e.size() >= 2; });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].message->text, "m4");
  EXPECT_EQ(got[1].message->text, "m5");

  auto r2 = logged_in(bob);
  r2->subscribe(0);
  got = collect(*r2, [](const std::vector<Event>& e) { return e.size() >= 4; });
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].message->text, "m2");
  EXPECT_TRUE(drain(*r2, 300ms).empty());
}

TEST_F(SdkMessagingTest, LiveFriendRequestsArePushedToSubscribers) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  b->subscribe();
  a->add_friend(bob);
  auto got = collect(*b, [](const std::vector<Event>& e) { return !e.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, "friend_request");
  EXPECT_EQ(got[0].user.id, alice);
  EXPECT_FALSE(got[0].accepted);
}

TEST_F(SdkMessagingTest, EventHandlerReceivesPushes) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> texts;
  b->set_event_handler([&](const Event& e) {
    std::lock_guard lock(mutex);
    if (e.message) texts.push_back(e.message->text);
    cv.notify_all();
  });
  b->subscribe();
  a->send_message(bob, "one");
  a->send_message(bob, "two");
  std::unique_lock lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return texts.size() >= 2; }));
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two"}));
}

// ---- presence ---------------------------------------------------------------------------------

TEST_F(SdkMessagingTest, PresenceReachesSubscribedFriendsOnly) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  const UserId carol = new_user("carol");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  auto c = logged_in(carol);
  make_friends(*a, *b);
  make_friends(*a, *c);  // carol knows alice, not bob
  a->subscribe();
  b->subscribe();  // bob's own (non-announcing) connection: never told about bob
  c->subscribe();

  // A connection that does not announce presence changes nothing.
  auto quiet = logged_in(bob, false);
  EXPECT_TRUE(drain(*a, 300ms).empty());

  auto b_live = logged_in(bob, true);
  auto online = collect(*a, [](const std::vector<Event>& e) { return !e.empty(); });
  ASSERT_EQ(online.size(), 1u);
  EXPECT_EQ(online[0].type, "presence");
  EXPECT_EQ(online[0].seq, 0u);
  EXPECT_EQ(online[0].user.id, bob);
  EXPECT_EQ(online[0].user.nick, "bob");
  EXPECT_TRUE(online[0].online);
  EXPECT_GT(online[0].time_ms, 1'600'000'000'000);

  // A second device of an online user is no change.
  auto b_live2 = logged_in(bob, true);
  EXPECT_TRUE(drain(*a, 300ms).empty());
  b_live2.reset();
  EXPECT_TRUE(drain(*a, 300ms).empty());

  b_live->disconnect();
  auto offline = collect(*a, [](const std::vector<Event>& e) { return !e.empty(); });
  ASSERT_EQ(offline.size(), 1u);
  EXPECT_EQ(offline[0].type, "presence");
  EXPECT_EQ(offline[0].user.id, bob);
  EXPECT_FALSE(offline[0].online);

  // Logout ends presence too.
  b_live = logged_in(bob, true);
  auto again = collect(*a, [](const std::vector<Event>& e) { return !e.empty(); });
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].online);
  b_live->logout();
  again = collect(*a, [](const std::vector<Event>& e) { return !e.empty(); });
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(again[0].online);

  EXPECT_TRUE(of_type(drain(*c, 300ms), "presence").empty());
  EXPECT_TRUE(of_type(drain(*b, 100ms), "presence").empty());
}

TEST_F(SdkMessagingTest, PresenceNeedsASubscription) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);
  auto b_live = logged_in(bob, true);
  b_live.reset();
  EXPECT_TRUE(drain(*a, 300ms).empty());
}

// ---- history ----------------------------------------------------------------------------------

TEST_F(SdkMessagingTest, HistoryPagesBackwardsOldestFirst) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  const UserId carol = new_user("carol");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  auto c = logged_in(carol);
  make_friends(*a, *b);
  make_friends(*a, *c);
  std::vector<MessageId> ids;
  for (int i = 0; i < 7; ++i) {
    // Both directions, interleaved with another conversation that must not show.
    Client& from = i % 3 == 2 ? *b : *a;
    ids.push_back(from.send_message(&from == a.get() ? bob : alice, "h" + std::to_string(i)).id);
    a->send_message(carol, "other " + std::to_string(i));
  }

  const auto all = a->history(bob, 500);
  EXPECT_FALSE(all.more);
  ASSERT_EQ(all.messages.size(), 7u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(all.messages[i].id, ids[i]);
    EXPECT_EQ(all.messages[i].text, "h" + std::to_string(i));
    const bool from_bob = i % 3 == 2;
    EXPECT_EQ(all.messages[i].from, from_bob ? bob : alice);
    EXPECT_EQ(all.messages[i].to, from_bob ? alice : bob);
    EXPECT_EQ(all.messages[i].from_nick, from_bob ? "bob" : "alice");
  }

  // Newest page first, each page oldest first, `more` until the start.
  const auto p1 = a->history(bob, 3);
  ASSERT_EQ(p1.messages.size(), 3u);
  EXPECT_TRUE(p1.more);
  EXPECT_EQ(p1.messages[0].id, ids[4]);
  EXPECT_EQ(p1.messages[2].id, ids[6]);
  const auto p2 = a->history(bob, 3, p1.messages.front().id);
  ASSERT_EQ(p2.messages.size(), 3u);
  EXPECT_TRUE(p2.more);
  EXPECT_EQ(p2.messages[0].id, ids[1]);
  const auto p3 = a->history(bob, 3, p2.messages.front().id);
  ASSERT_EQ(p3.messages.size(), 1u);
  EXPECT_FALSE(p3.more);
  EXPECT_EQ(p3.messages[0].id, ids[0]);

  // The same conversation from the other side; the default limit covers it.
  const auto from_bob = b->history(alice);
  ASSERT_EQ(from_bob.messages.size(), 7u);
  EXPECT_EQ(from_bob.messages.front().id, ids.front());
  EXPECT_EQ(from_bob.messages.back().id, ids.back());
  // A third party sees nothing of it; history needs no friendship.
  EXPECT_TRUE(c->history(bob).messages.empty());
  a->remove_friend(bob);
  EXPECT_EQ(a->history(bob).messages.size(), 7u);

  EXPECT_EQ(error_of([&] { a->history(bob, 0); }).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { a->history(bob, 501); }).code(), ErrorCode::invalid_argument);
}

TEST_F(SdkMessagingTest, HistoryAndInboxSurviveARestart) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  MessageId id = 0;
  {
    auto a = logged_in(alice);
    auto b = logged_in(bob);
    make_friends(*a, *b);
    id = a->send_message(bob, "kept").id;
  }
  server_.stop();
  server_.start();
  auto b = logged_in(bob);
  const auto history = b->history(alice);
  ASSERT_EQ(history.messages.size(), 1u);
  EXPECT_EQ(history.messages[0].id, id);
  const auto page = b->fetch_inbox();
  ASSERT_EQ(page.events.size(), 1u);
  EXPECT_EQ(page.events[0].message->text, "kept");
  ASSERT_EQ(b->friends().size(), 1u);
}

// ---- keepalive --------------------------------------------------------------------------------

TEST(SdkKeepaliveTest, PingsKeepAnIdleClientConnected) {
  ServerProcess server({}, {"--idle-timeout-seconds", "2"});
  Client::Options keep;
  keep.keepalive_interval = 500ms;
  Client::Options none;
  none.keepalive_interval = 0ms;
  Client kept(keep);
  Client dropped(none);
  kept.connect(server.address());
  dropped.connect(server.address());
  const UserId id = kept.register_user("k@example.org", "keeper", kPassword);
  kept.login(id, kPassword);
  dropped.login(id, kPassword);

  std::this_thread::sleep_for(5s);
  EXPECT_TRUE(kept.connected());
  EXPECT_EQ(kept.find_user(id).nick, "keeper");
  EXPECT_FALSE(dropped.connected());
  EXPECT_EQ(error_of([&] { dropped.find_user(id); }).code(), ErrorCode::unavailable);
  const auto event = dropped.next_event(1s);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, "disconnected");
  EXPECT_FALSE(kept.next_event(0ms).has_value());
}

TEST(SdkKeepaliveTest, IdleTimeoutEndsPresence) {
  ServerProcess server({}, {"--idle-timeout-seconds", "2"});
  Client::Options none;
  none.keepalive_interval = 0ms;
  Client::Options keep;
  keep.keepalive_interval = 500ms;
  Client a(keep);
  Client b(keep);
  Client b_silent(none);
  // b_silent connects only when it logs in: under load the set-up below can take longer than
  // the 2 s idle timeout, which would close its connection before the test begins.
  for (Client* c : {&a, &b}) c->connect(server.address());
  const UserId alice = a.register_user("a@example.org", "alice", kPassword);
  const UserId bob = a.register_user("b@example.org", "bob", kPassword);
  a.login(alice, kPassword);
  b.login(bob, kPassword);
  a.add_friend(bob);
  b.add_friend(alice);
  a.ack(a.fetch_inbox().events.back().seq);
  a.subscribe();
  b_silent.connect(server.address());
  b_silent.login(bob, kPassword, true);
  auto got = collect(a, [](const std::vector<Event>& e) { return !e.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].online);
  // b_silent sends nothing more: the server drops it after 2 s and tells alice.
  got = collect(a, [](const std::vector<Event>& e) { return !e.empty(); }, 6s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, "presence");
  EXPECT_FALSE(got[0].online);
}

}  // namespace
}  // namespace occhat

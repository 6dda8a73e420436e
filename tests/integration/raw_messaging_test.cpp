// Friends, presence, messages and the inbox, tested on a real occhat-server process with
// hand-built frames (no SDK), so the wire behaviour itself is pinned down.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <initializer_list>
#include <optional>
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
namespace proto = occhat::proto;
namespace wire = occhat::wire;

// A RawPeer that also sorts presence events from inbox pushes.
class Peer : public RawPeer {
 public:
  using RawPeer::RawPeer;

  // Reads pushes until `count` inbox items arrived (presence events are kept for next_presence).
  std::vector<wire::InboxItem> inbox_pushes(std::size_t count, std::chrono::milliseconds timeout = kTimeout) {
    std::vector<wire::InboxItem> items;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (items.size() < count) {
      auto push = next_push(left_until(deadline));
      if (!push) break;
      if (push->has_presence_event()) {
        presence_.push_back(push->presence_event());
        continue;
      }
      EXPECT_TRUE(push->has_inbox_items()) << push->ShortDebugString();
      for (const auto& item : push->inbox_items().items()) items.push_back(item);
    }
    return items;
  }

  // The next presence event; nullopt if none arrives within `timeout` (inbox pushes read on the
  // way are kept for inbox_pushes).
  std::optional<wire::PresenceEvent> next_presence(std::chrono::milliseconds timeout = kTimeout) {
    if (!presence_.empty()) {
      auto event = presence_.front();
      presence_.pop_front();
      return event;
    }
    for (auto it = pushes_.begin(); it != pushes_.end(); ++it) {
      if (it->has_presence_event()) {
        auto event = it->presence_event();
        pushes_.erase(it);
        return event;
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto push = read_push(left_until(deadline));
      if (!push) return std::nullopt;
      if (push->has_presence_event()) return push->presence_event();
      pushes_.push_back(std::move(*push));
    }
  }

 private:
  std::deque<wire::PresenceEvent> presence_;

  static std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds(1));
  }
};

std::string log_in(Peer& peer, std::uint32_t id, bool announce) {
  const auto login = peer.call(rq::login(id, kPassword, announce));
  EXPECT_TRUE(login.has_login_ok()) << login.ShortDebugString();
  return login.login_ok().token();
}

std::uint32_t unused_id(std::initializer_list<std::uint32_t> taken) {
  for (std::uint32_t id = 999999;; --id) {
    if (std::find(taken.begin(), taken.end(), id) == taken.end()) return id;
  }
}

TEST(RawMessaging, FriendRequestAndAccept) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");

  const auto requested = a.call(rq::add_friend(bob));
  ASSERT_TRUE(requested.has_add_friend_result()) << requested.ShortDebugString();
  EXPECT_EQ(requested.add_friend_result().state(), wire::AddFriendResult::REQUESTED);
  EXPECT_EQ(requested.add_friend_result().user().id(), bob);
  EXPECT_EQ(requested.add_friend_result().user().nick(), "bob");
  EXPECT_EQ(a.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);

  const auto incoming = b.call(rq::list_friend_requests());
  ASSERT_EQ(incoming.friend_request_list().incoming_size(), 1);
  EXPECT_EQ(incoming.friend_request_list().incoming(0).user().id(), alice);
  EXPECT_EQ(incoming.friend_request_list().incoming(0).user().nick(), "alice");
  EXPECT_GT(incoming.friend_request_list().incoming(0).time_ms(), 0);
  EXPECT_EQ(incoming.friend_request_list().outgoing_size(), 0);
  const auto outgoing = a.call(rq::list_friend_requests());
  ASSERT_EQ(outgoing.friend_request_list().outgoing_size(), 1);
  EXPECT_EQ(outgoing.friend_request_list().outgoing(0).user().id(), bob);

  // Asking twice stored one notice.
  const auto notices = b.call(rq::fetch_inbox(0));
  ASSERT_EQ(notices.inbox_items().items_size(), 1) << notices.ShortDebugString();
  const auto& notice = notices.inbox_items().items(0);
  EXPECT_EQ(notice.seq(), 1u);
  ASSERT_TRUE(notice.has_friend_request());
  EXPECT_EQ(notice.friend_request().from().id(), alice);
  EXPECT_EQ(notice.friend_request().from().nick(), "alice");
  EXPECT_FALSE(notice.friend_request().accepted());

  const auto accepted = b.call(rq::add_friend(alice));
  EXPECT_EQ(accepted.add_friend_result().state(), wire::AddFriendResult::NOW_FRIENDS);
  const auto acceptance = a.call(rq::fetch_inbox(0));
  ASSERT_EQ(acceptance.inbox_items().items_size(), 1);
  EXPECT_EQ(acceptance.inbox_items().items(0).friend_request().from().id(), bob);
  EXPECT_TRUE(acceptance.inbox_items().items(0).friend_request().accepted());
  EXPECT_EQ(a.call(rq::list_friend_requests()).friend_request_list().outgoing_size(), 0);

  const auto friends = a.call(rq::list_friends());
  ASSERT_EQ(friends.friend_list().friends_size(), 1);
  EXPECT_EQ(friends.friend_list().friends(0).id(), bob);
  EXPECT_EQ(friends.friend_list().friends(0).nick(), "bob");
  EXPECT_FALSE(friends.friend_list().friends(0).online());
  EXPECT_EQ(a.call(rq::add_friend(bob)).add_friend_result().state(), wire::AddFriendResult::ALREADY_FRIENDS);

  EXPECT_EQ(code_of(a.call(rq::add_friend(alice))), ErrorCode::invalid_argument);
  const auto unknown = a.call(rq::add_friend(unused_id({alice, bob})));
  EXPECT_EQ(code_of(unknown), ErrorCode::not_found);
  EXPECT_NE(unknown.error().message().find("no user with id"), std::string::npos);

  EXPECT_TRUE(b.call(rq::remove_friend(alice)).has_ok());
  EXPECT_EQ(a.call(rq::list_friends()).friend_list().friends_size(), 0);
  EXPECT_EQ(code_of(b.call(rq::remove_friend(alice))), ErrorCode::not_found);
}

TEST(RawMessaging, FriendListPutsOnlineFriendsFirst) {
  ServerProcess server;
  Peer me(server), x(server), y(server);
  const auto my_id = sign_up(me, "me");
  const auto xavier = sign_up(x, "aaron");  // sorts first by nick, but offline
  const auto yolanda = sign_up(y, "zoe", /*announce=*/true);
  befriend(x, xavier, me, my_id);
  befriend(y, yolanda, me, my_id);
  const auto list = me.call(rq::list_friends()).friend_list();
  ASSERT_EQ(list.friends_size(), 2);
  EXPECT_EQ(list.friends(0).id(), yolanda);
  EXPECT_TRUE(list.friends(0).online());
  EXPECT_EQ(list.friends(1).id(), xavier);
  EXPECT_FALSE(list.friends(1).online());
}

TEST(RawMessaging, SendingNeedsFriendshipAndValidText) {
  ServerProcess server;
  Peer a(server), c(server);
  const auto alice = sign_up(a, "alice");
  const auto carol = sign_up(c, "carol");
  const auto refused = c.call(rq::send_message(alice, "hello"));
  ASSERT_EQ(code_of(refused), ErrorCode::not_allowed) << refused.ShortDebugString();
  EXPECT_EQ(refused.error().message(), std::to_string(alice) + " is not your friend");
  EXPECT_EQ(code_of(c.call(rq::send_message(unused_id({alice, carol}), "hello"))), ErrorCode::not_found);
  EXPECT_EQ(code_of(c.call(rq::send_message(carol, "to myself"))), ErrorCode::invalid_argument);

  befriend(a, alice, c, carol);
  const auto bad = [&](const std::string& text, const std::string& cid, const std::string& word) {
    const auto answer = c.call(rq::send_message(alice, text, cid));
    EXPECT_EQ(code_of(answer), ErrorCode::invalid_argument) << answer.ShortDebugString();
    EXPECT_NE(answer.error().message().find(word), std::string::npos) << answer.error().message();
  };
  bad("", "", "empty");
  bad(std::string(8193, 'x'), "", "8192");
  bad("bad \xff utf8", "", "UTF-8");
  bad(std::string("nul\0inside", 10), "", "NUL");
  bad("fine", std::string(65, 'c'), "client_msg_id");
  EXPECT_TRUE(c.call(rq::send_message(alice, std::string(8192, 'x'), std::string(64, 'c'))).has_message_sent());
  EXPECT_TRUE(c.call(rq::send_message(alice, "caf\xc3\xa9 \xf0\x9f\x98\x80 line\nbreak")).has_message_sent());
  // Nothing refused reached the inbox: the friend request's acceptance and two messages.
  const auto inbox = a.call(rq::fetch_inbox(0));
  EXPECT_EQ(inbox.inbox_items().items_size(), 3);
}

TEST(RawMessaging, SendFetchAckAndHistory) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  befriend(a, alice, b, bob);  // bob's seq 1 is alice's request
  std::vector<std::uint64_t> ids;
  for (int i = 1; i <= 3; ++i) {
    const auto sent = a.call(rq::send_message(bob, "message " + std::to_string(i)));
    ASSERT_TRUE(sent.has_message_sent()) << sent.ShortDebugString();
    EXPECT_FALSE(sent.message_sent().duplicate());
    EXPECT_GT(sent.message_sent().time_ms(), 0);
    ids.push_back(sent.message_sent().message_id());
  }
  EXPECT_LT(ids[0], ids[1]);

  auto inbox = b.call(rq::fetch_inbox(0));
  ASSERT_EQ(inbox.inbox_items().items_size(), 4);
  EXPECT_FALSE(inbox.inbox_items().more());
  for (int i = 1; i <= 3; ++i) {
    const auto& item = inbox.inbox_items().items(i);
    EXPECT_EQ(item.seq(), static_cast<std::uint64_t>(i + 1));
    ASSERT_TRUE(item.has_message());
    EXPECT_EQ(item.message().id(), ids[i - 1]);
    EXPECT_EQ(item.message().from(), alice);
    EXPECT_EQ(item.message().to(), bob);
    EXPECT_EQ(item.message().from_nick(), "alice");
    EXPECT_EQ(item.message().text(), "message " + std::to_string(i));
  }
  const auto limited = b.call(rq::fetch_inbox(1, 2));
  ASSERT_EQ(limited.inbox_items().items_size(), 2);
  EXPECT_TRUE(limited.inbox_items().more());
  EXPECT_EQ(limited.inbox_items().items(0).seq(), 2u);
  EXPECT_EQ(code_of(b.call(rq::fetch_inbox(0, 1001))), ErrorCode::invalid_argument);

  EXPECT_TRUE(b.call(rq::ack(3)).has_ok());
  inbox = b.call(rq::fetch_inbox(0));
  ASSERT_EQ(inbox.inbox_items().items_size(), 1);
  EXPECT_EQ(inbox.inbox_items().items(0).seq(), 4u);
  EXPECT_TRUE(b.call(rq::ack(1)).has_ok());  // never backwards
  EXPECT_EQ(b.call(rq::fetch_inbox(0)).inbox_items().items_size(), 1);
  EXPECT_TRUE(b.call(rq::ack(4)).has_ok());
  EXPECT_EQ(b.call(rq::fetch_inbox(0)).inbox_items().items_size(), 0);

  b.call(rq::send_message(alice, "reply"));
  auto page = a.call(rq::history(bob, 2));
  ASSERT_EQ(page.message_list().messages_size(), 2);
  EXPECT_TRUE(page.message_list().more());
  EXPECT_EQ(page.message_list().messages(0).text(), "message 3");
  EXPECT_EQ(page.message_list().messages(1).text(), "reply");
  EXPECT_EQ(page.message_list().messages(1).from(), bob);
  page = b.call(rq::history(alice, 0, page.message_list().messages(0).id()));
  ASSERT_EQ(page.message_list().messages_size(), 2);
  EXPECT_FALSE(page.message_list().more());
  EXPECT_EQ(page.message_list().messages(0).text(), "message 1");
  EXPECT_EQ(code_of(a.call(rq::history(bob, 501))), ErrorCode::invalid_argument);
}

TEST(RawMessaging, DuplicateClientIdReturnsTheOriginal) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  befriend(a, alice, b, bob);
  const auto first = a.call(rq::send_message(bob, "once", "client-id-1"));
  ASSERT_TRUE(first.has_message_sent());
  EXPECT_FALSE(first.message_sent().duplicate());
  const auto retry = a.call(rq::send_message(bob, "once", "client-id-1"));
  ASSERT_TRUE(retry.has_message_sent());
  EXPECT_TRUE(retry.message_sent().duplicate());
  EXPECT_EQ(retry.message_sent().message_id(), first.message_sent().message_id());
  EXPECT_EQ(retry.message_sent().time_ms(), first.message_sent().time_ms());
  const auto inbox = b.call(rq::fetch_inbox(1));
  EXPECT_EQ(inbox.inbox_items().items_size(), 1);
  EXPECT_EQ(a.call(rq::history(bob, 10)).message_list().messages_size(), 1);
}

TEST(RawMessaging, SubscribeGetsBacklogThenLivePushesInOrder) {
  ServerProcess server;
  Peer a(server), b(server), b2(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  log_in(b2, bob, false);
  befriend(b, bob, a, alice);  // bob's seq 1: alice accepted
  for (int i = 0; i < 5; ++i) a.call(rq::send_message(bob, "backlog " + std::to_string(i)));

  ASSERT_TRUE(b.call(rq::subscribe(0)).has_ok());
  auto items = b.inbox_pushes(6);
  ASSERT_EQ(items.size(), 6u);
  for (std::size_t i = 0; i < items.size(); ++i) EXPECT_EQ(items[i].seq(), i + 1);
  EXPECT_TRUE(items[0].friend_request().accepted());
  EXPECT_EQ(items[5].message().text(), "backlog 4");

  // A second device subscribes after what it already has.
  ASSERT_TRUE(b2.call(rq::subscribe(4)).has_ok());
  auto items2 = b2.inbox_pushes(2);
  ASSERT_EQ(items2.size(), 2u);
  EXPECT_EQ(items2[0].seq(), 5u);

  for (int i = 0; i < 3; ++i) a.call(rq::send_message(bob, "live " + std::to_string(i)));
  for (Peer* device : {&b, &b2}) {
    items = device->inbox_pushes(3);
    ASSERT_EQ(items.size(), 3u);
    for (std::size_t i = 0; i < items.size(); ++i) {
      EXPECT_EQ(items[i].seq(), 7 + i);
      EXPECT_EQ(items[i].message().text(), "live " + std::to_string(i));
    }
  }
  EXPECT_FALSE(b.next_push(300ms)) << "nothing is pushed twice";
  // A friend request is an inbox item too.
  Peer c(server);
  const auto carol = sign_up(c, "carol");
  c.call(rq::add_friend(bob));
  items = b.inbox_pushes(1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].seq(), 10u);
  EXPECT_EQ(items[0].friend_request().from().id(), carol);
  EXPECT_FALSE(items[0].friend_request().accepted());
}

TEST(RawMessaging, SubscribeSkipsAcknowledgedItems) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  befriend(a, alice, b, bob);
  for (int i = 0; i < 4; ++i) a.call(rq::send_message(bob, "m" + std::to_string(i)));
  b.call(rq::ack(3));
  ASSERT_TRUE(b.call(rq::subscribe(0)).has_ok());
  const auto items = b.inbox_pushes(2);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].seq(), 4u);
  EXPECT_EQ(items[1].seq(), 5u);
}

TEST(RawMessaging, PresenceReachesSubscribedFriendsOnly) {
  ServerProcess server;
  Peer a(server), b(server), c(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  sign_up(c, "carol");
  befriend(a, alice, b, bob);
  ASSERT_TRUE(b.call(rq::subscribe(0)).has_ok());
  ASSERT_TRUE(c.call(rq::subscribe(0)).has_ok());

  {
    // One-shot style connections never make alice flicker.
    Peer quiet(server);
    log_in(quiet, alice, /*announce=*/false);
  }
  EXPECT_FALSE(b.next_presence(500ms));

  auto device = std::make_unique<Peer>(server);
  log_in(*device, alice, /*announce=*/true);
  auto event = b.next_presence();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->user_id(), alice);
  EXPECT_TRUE(event->online());
  EXPECT_EQ(event->nick(), "alice");
  EXPECT_TRUE(b.call(rq::list_friends()).friend_list().friends(0).online());

  // A second device of an online user changes nothing; the last one leaving does.
  auto second = std::make_unique<Peer>(server);
  log_in(*second, alice, /*announce=*/true);
  second.reset();
  EXPECT_FALSE(b.next_presence(500ms));
  device.reset();
  event = b.next_presence();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->user_id(), alice);
  EXPECT_FALSE(event->online());

  // Logging out is leaving, too.
  Peer third(server);
  log_in(third, alice, true);
  ASSERT_TRUE(b.next_presence());
  EXPECT_TRUE(third.call(rq::logout()).has_ok());
  event = b.next_presence();
  ASSERT_TRUE(event);
  EXPECT_FALSE(event->online());

  EXPECT_FALSE(c.next_presence(300ms)) << "carol is not alice's friend";
}

TEST(RawMessaging, NewFriendsWhoAreOnlineSeeEachOther) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = sign_up(a, "alice", /*announce=*/true);
  const auto bob = sign_up(b, "bob", /*announce=*/true);
  ASSERT_TRUE(a.call(rq::subscribe(0)).has_ok());
  ASSERT_TRUE(b.call(rq::subscribe(0)).has_ok());
  a.call(rq::add_friend(bob));
  EXPECT_EQ(b.inbox_pushes(1).size(), 1u);
  EXPECT_FALSE(b.next_presence(300ms)) << "not friends yet";
  b.call(rq::add_friend(alice));
  auto event = a.next_presence();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->user_id(), bob);
  EXPECT_TRUE(event->online());
  event = b.next_presence();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->user_id(), alice);
  EXPECT_TRUE(event->online());
  const auto accepted = a.inbox_pushes(1);
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_TRUE(accepted[0].friend_request().accepted());
}

TEST(RawMessaging, IdleConnectionsAreClosed) {
  ServerProcess server({}, {"--idle-timeout-seconds", "2"});
  Peer b(server);
  const auto bob = sign_up(b, "bob");
  Peer a(server);
  const auto alice = sign_up(a, "alice");
  befriend(a, alice, b, bob);
  ASSERT_TRUE(b.call(rq::subscribe(0)).has_ok());

  Peer silent(server);
  log_in(silent, alice, /*announce=*/true);
  ASSERT_TRUE(b.next_presence(1s));
  EXPECT_TRUE(b.call(rq::ping()).has_pong());
  EXPECT_FALSE(silent.raw().closed_by_server(1000ms)) << "closed before the idle timeout";
  // bob keeps talking; the silent connection (and `a`, silent too) is dropped.
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(b.call(rq::ping()).has_pong()) << "an active connection stays open";
    std::this_thread::sleep_for(600ms);
  }
  EXPECT_TRUE(silent.raw().closed_by_server(3s));
  const auto event = b.next_presence(1s);
  ASSERT_TRUE(event) << "a dead peer goes offline";
  EXPECT_EQ(event->user_id(), alice);
  EXPECT_FALSE(event->online());
  EXPECT_TRUE(b.call(rq::ping()).has_pong());

  // Before hello, too.
  RawClient mute(server.port());
  EXPECT_TRUE(mute.closed_by_server(4s));
  EXPECT_NE(server.log().find("idle"), std::string::npos);
}

TEST(RawMessaging, SlowSubscriberGetsEveryItemInOrder) {
  ServerProcess server({}, {"--message-rate", "0"});  // alice sends faster than the default limit
  Peer a(server);
  const auto alice = sign_up(a, "alice");
  // A tiny receive window: the server's queue fills long before 3,000 messages are sent.
  Peer b(server, /*receive_buffer=*/4096);
  const auto bob = sign_up(b, "bob");
  befriend(b, bob, a, alice);  // bob's seq 1: the acceptance
  ASSERT_TRUE(b.call(rq::subscribe(0)).has_ok());

  constexpr int kMessages = 3000;
  const std::string filler(2000, 'x');
  // Pipelined: up to kWindow sends in flight on alice's connection.
  constexpr int kWindow = 64;
  int answered = 0;
  auto read_answer = [&] {
    proto::Frame frame;
    ASSERT_EQ(a.raw().read_frame(frame, 30s), RawClient::Read::frame);
    ASSERT_TRUE(frame.body.has_message_sent()) << frame.body.ShortDebugString();
    ++answered;
  };
  auto last_ping = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(a.raw().send(1000 + i, rq::send_message(bob, std::to_string(i) + " " + filler)));
    if (i - answered >= kWindow) read_answer();
    // bob reads nothing but must not look dead to the idle timeout.
    if (std::chrono::steady_clock::now() - last_ping > 5s) {
      b.raw().send(1, rq::ping());
      last_ping = std::chrono::steady_clock::now();
    }
  }
  while (answered < kMessages) read_answer();
  EXPECT_TRUE(server.running());
  EXPECT_NE(server.log().find("reads slowly"), std::string::npos) << "the push queue never filled up";
  EXPECT_EQ(server.log().find(filler.substr(0, 64)), std::string::npos) << "message text in the log";

  // Now bob reads: everything arrives, in order, once.
  std::uint64_t expected = 1;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (expected <= kMessages + 1 && std::chrono::steady_clock::now() < deadline) {
    proto::Frame frame;
    ASSERT_EQ(b.raw().read_frame(frame, 10s), RawClient::Read::frame) << "stalled after seq " << expected - 1;
    if (!frame.is_push()) continue;  // pongs
    ASSERT_TRUE(frame.body.has_inbox_items()) << frame.body.ShortDebugString();
    for (const auto& item : frame.body.inbox_items().items()) {
      ASSERT_EQ(item.seq(), expected) << "skipped, reordered or repeated";
      if (expected > 1) {
        ASSERT_EQ(item.message().text(), std::to_string(expected - 2) + " " + filler);
      }
      ++expected;
    }
  }
  EXPECT_EQ(expected, static_cast<std::uint64_t>(kMessages + 2));
  EXPECT_FALSE(b.next_push(500ms)) << "nothing after the last item";
  // The live path still works after the catch-up.
  a.call(rq::send_message(bob, "after"));
  const auto items = b.inbox_pushes(1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].seq(), static_cast<std::uint64_t>(kMessages + 2));
}

TEST(RawMessaging, MessagesAndFriendsSurviveRestart) {
  ServerProcess server;
  std::uint32_t alice = 0, bob = 0;
  {
    Peer a(server), b(server);
    alice = sign_up(a, "alice");
    bob = sign_up(b, "bob");
    befriend(a, alice, b, bob);
    a.call(rq::send_message(bob, "before restart", "cid"));
  }
  ASSERT_EQ(server.stop(SIGTERM), 0);
  server.start();
  Peer b(server);
  log_in(b, bob, false);
  const auto page = b.call(rq::history(alice, 10));
  ASSERT_EQ(page.message_list().messages_size(), 1);
  EXPECT_EQ(page.message_list().messages(0).text(), "before restart");
  EXPECT_EQ(b.call(rq::list_friends()).friend_list().friends_size(), 1);
  EXPECT_EQ(b.call(rq::fetch_inbox(0)).inbox_items().items_size(), 2);
  Peer a(server);
  log_in(a, alice, false);
  EXPECT_TRUE(a.call(rq::send_message(bob, "before restart", "cid")).message_sent().duplicate());
}

TEST(RawMessaging, RequestsNeedLogin) {
  ServerProcess server;
  Peer anonymous(server);
  EXPECT_EQ(code_of(anonymous.call(rq::send_message(123456, "hi"))), ErrorCode::unauthenticated);
  EXPECT_EQ(code_of(anonymous.call(rq::subscribe(0))), ErrorCode::unauthenticated);
  EXPECT_EQ(code_of(anonymous.call(rq::list_friends())), ErrorCode::unauthenticated);
}

}  // namespace

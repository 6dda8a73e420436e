// Every device in sync (issue 14 §4), through occhat::Client against a real occhat-server:
// carbons (what a user sends reaches their other devices as a "sent" event, and their inbox for
// devices that connect later), unread counts per conversation, and the presence snapshot a
// subscription starts with.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "occhat/client.hpp"
#include "server_process.hpp"

namespace occhat {
namespace {

using namespace std::chrono_literals;
using test::error_of;
using test::ServerProcess;

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

std::vector<Event> drain(Client& client, std::chrono::milliseconds quiet) {
  return collect(client, [](const std::vector<Event>&) { return false; }, quiet);
}

std::function<bool(const std::vector<Event>&)> at_least(std::size_t n) {
  return [n](const std::vector<Event>& got) { return got.size() >= n; };
}

// "message:TEXT" / "sent:TEXT": what a user sees of a message event, in order.
std::vector<std::string> messages_of(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if ((e.type == "message" || e.type == "sent") && e.message) out.push_back(e.type + ":" + e.message->text);
  }
  return out;
}

std::uint32_t unread_of(Client& client, UserId friend_id) {
  for (const auto& f : client.friends()) {
    if (f.id == friend_id) return f.unread;
  }
  ADD_FAILURE() << "no friend " << friend_id;
  return 0;
}

std::uint32_t room_unread_of(Client& client, RoomId room) {
  for (const auto& r : client.rooms().rooms) {
    if (r.id == room) return r.unread;
  }
  ADD_FAILURE() << "not in room " << room;
  return 0;
}

class SdkSyncTest : public ::testing::Test {
 protected:
  UserId new_user(const std::string& nick) {
    Client client;
    client.connect(server_.address());
    return client.register_user(nick + "@example.org", nick, kPassword);
  }

  std::unique_ptr<Client> logged_in(UserId id, bool announce_presence = false) {
    auto client = std::make_unique<Client>();
    client->connect(server_.address());
    client->login(id, kPassword, announce_presence);
    return client;
  }

  // Makes a and b friends and acknowledges the friend_request items that produced.
  void make_friends(Client& a, Client& b) {
    ASSERT_EQ(a.add_friend(b.current_user()->id).state, AddFriendState::requested);
    ASSERT_EQ(b.add_friend(a.current_user()->id).state, AddFriendState::now_friends);
    for (Client* c : {&a, &b}) {
      const auto page = c->fetch_inbox();
      if (!page.events.empty()) c->ack(page.events.back().seq);
    }
  }

  ServerProcess server_;
};

// ---- carbons ------------------------------------------------------------------------------------

TEST_F(SdkSyncTest, SecondDeviceSeesTheSentMessageAndALaterDeviceSeesItInOrder) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto phone = logged_in(alice);
  auto laptop = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*phone, *b);
  laptop->subscribe();

  b->send_message(alice, "lunch?");
  const SendResult sent = phone->send_message(bob, "at noon");
  b->send_message(alice, "ok");

  // The laptop, connected all along, sees alice's own message between bob's, as "sent".
  const auto live = collect(*laptop, at_least(3));
  ASSERT_EQ(messages_of(live), (std::vector<std::string>{"message:lunch?", "sent:at noon", "message:ok"}));
  const Event& carbon = live[1];
  EXPECT_EQ(carbon.message->id, sent.id);
  EXPECT_EQ(carbon.message->from, alice);
  EXPECT_EQ(carbon.message->from_nick, "alice");
  EXPECT_EQ(carbon.message->to, bob);
  EXPECT_EQ(carbon.message->to_nick, "bob");
  EXPECT_FALSE(carbon.message->room.has_value());
  EXPECT_EQ(carbon.user.id, bob);  // the other party
  EXPECT_EQ(live[1].seq, live[0].seq + 1);
  EXPECT_EQ(live[2].seq, live[1].seq + 1);

  // A third device that connects later finds the same, in the same order, in the inbox.
  auto tablet = logged_in(alice);
  tablet->subscribe();
  const auto backlog = collect(*tablet, at_least(3));
  ASSERT_EQ(messages_of(backlog), messages_of(live));
  for (std::size_t i = 0; i < backlog.size(); ++i) EXPECT_EQ(backlog[i].seq, live[i].seq);
  const auto fetched = tablet->fetch_inbox();
  EXPECT_EQ(messages_of(fetched.events), messages_of(live));

  // Carbons are the sender's only: bob's inbox holds his two carbons and alice's message.
  const auto bobs = b->fetch_inbox();
  EXPECT_EQ(messages_of(bobs.events), (std::vector<std::string>{"sent:lunch?", "message:at noon", "sent:ok"}));
}

TEST_F(SdkSyncTest, ARetriedSendStoresNoSecondCarbon) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*a, *b);
  a->send_message(bob, "once", "retry-1");
  EXPECT_TRUE(a->send_message(bob, "once", "retry-1").duplicate);
  EXPECT_EQ(messages_of(a->fetch_inbox().events), (std::vector<std::string>{"sent:once"}));
}

TEST_F(SdkSyncTest, OwnRoomMessagesAreSentEventsOnEveryDevice) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  auto phone = logged_in(alice);
  auto laptop = logged_in(alice);
  auto b = logged_in(bob);
  make_friends(*phone, *b);
  const Room room = phone->create_room("team");
  phone->invite_to_room(room.id, {bob});
  b->join_room(room.id);
  for (Client* c : {phone.get(), laptop.get(), b.get()}) {
    const auto page = c->fetch_inbox();
    if (!page.events.empty()) c->ack(page.events.back().seq);
  }
  laptop->subscribe();
  b->subscribe();

  phone->send_room_message(room.id, "hello team");
  const auto mine = collect(*laptop, at_least(1));
  ASSERT_EQ(messages_of(mine), std::vector<std::string>{"sent:hello team"});
  ASSERT_TRUE(mine[0].message->room.has_value());
  EXPECT_EQ(mine[0].message->room->id, room.id);
  EXPECT_EQ(mine[0].message->from, alice);
  // Everyone else still gets a plain message.
  EXPECT_EQ(messages_of(collect(*b, at_least(1))), std::vector<std::string>{"message:hello team"});
}

// ---- unread counts ------------------------------------------------------------------------------

TEST_F(SdkSyncTest, UnreadCountsPerFriendMoveWithReadingSendingAndMarkRead) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  const UserId carol = new_user("carol");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  auto c = logged_in(carol);
  make_friends(*a, *b);
  make_friends(*a, *c);
  EXPECT_EQ(unread_of(*a, bob), 0u);

  std::vector<MessageId> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(b->send_message(alice, "b" + std::to_string(i)).id);
  c->send_message(alice, "from carol");
  EXPECT_EQ(unread_of(*a, bob), 3u);
  EXPECT_EQ(unread_of(*a, carol), 1u);
  EXPECT_EQ(unread_of(*b, alice), 0u);  // your own messages are never unread

  // Reading an older page reads nothing; the newest page reads the conversation.
  a->history(bob, 1, ids.back());
  EXPECT_EQ(unread_of(*a, bob), 3u);
  a->history(bob);
  EXPECT_EQ(unread_of(*a, bob), 0u);
  EXPECT_EQ(unread_of(*a, carol), 1u);

  // mark_read up to a message: what came after stays unread. It never moves back.
  for (int i = 0; i < 2; ++i) ids.push_back(b->send_message(alice, "more" + std::to_string(i)).id);
  EXPECT_EQ(unread_of(*a, bob), 2u);
  a->mark_read(bob, ids[3]);
  EXPECT_EQ(unread_of(*a, bob), 1u);
  a->mark_read(bob, ids[0]);
  EXPECT_EQ(unread_of(*a, bob), 1u);

  // Answering reads the conversation.
  a->send_message(bob, "reply");
  EXPECT_EQ(unread_of(*a, bob), 0u);

  // Another device of alice's sees the same counts: the marker is the user's, not the device's.
  c->send_message(alice, "again");
  auto other_device = logged_in(alice);
  EXPECT_EQ(unread_of(*other_device, carol), 2u);
  a->mark_read(carol);
  EXPECT_EQ(unread_of(*other_device, carol), 0u);

  EXPECT_EQ(error_of([&] { a->mark_read(alice); }).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(error_of([&] { a->mark_read(999'998); }).code(), ErrorCode::not_found);
}

TEST_F(SdkSyncTest, UnreadCountsPerRoom) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  const UserId mallory = new_user("mallory");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  auto m = logged_in(mallory);
  make_friends(*a, *b);
  const Room room = a->create_room("team");
  a->send_room_message(room.id, "before bob joined");
  a->invite_to_room(room.id, {bob});
  b->join_room(room.id);
  EXPECT_EQ(room_unread_of(*b, room.id), 0u);  // what came before joining is not bob's to read

  a->send_room_message(room.id, "one");
  const auto two = a->send_room_message(room.id, "two");
  EXPECT_EQ(room_unread_of(*b, room.id), 2u);
  EXPECT_EQ(room_unread_of(*a, room.id), 0u);
  b->mark_room_read(room.id, two.id - 1);
  EXPECT_EQ(room_unread_of(*b, room.id), 1u);
  b->room_history(room.id);
  EXPECT_EQ(room_unread_of(*b, room.id), 0u);
  a->send_room_message(room.id, "three");
  b->send_room_message(room.id, "answer");
  EXPECT_EQ(room_unread_of(*b, room.id), 0u);
  EXPECT_EQ(room_unread_of(*a, room.id), 1u);

  // Only members: the same answer whether or not the room exists.
  EXPECT_EQ(error_of([&] { m->mark_room_read(room.id); }).code(), ErrorCode::not_allowed);
  EXPECT_EQ(error_of([&] { m->mark_room_read(room.id + 1000); }).code(), ErrorCode::not_allowed);
}

// ---- presence snapshot ----------------------------------------------------------------------------

TEST_F(SdkSyncTest, SubscribingStartsWithASnapshotOfOnlineFriends) {
  const UserId alice = new_user("alice");
  const UserId bob = new_user("bob");
  const UserId carol = new_user("carol");
  const UserId dave = new_user("dave");
  auto a = logged_in(alice);
  auto b = logged_in(bob);
  auto c = logged_in(carol);
  auto d = logged_in(dave);
  make_friends(*a, *b);
  make_friends(*a, *c);
  auto bob_online = logged_in(bob, /*announce_presence=*/true);
  auto dave_online = logged_in(dave, true);  // online, but not alice's friend
  auto quiet_carol = logged_in(carol, false);  // connected without announcing: offline

  a->subscribe();
  const auto snapshot = drain(*a, 500ms);
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].type, "presence");
  EXPECT_EQ(snapshot[0].user.id, bob);
  EXPECT_EQ(snapshot[0].user.nick, "bob");
  EXPECT_TRUE(snapshot[0].online);
  EXPECT_TRUE(snapshot[0].snapshot);

  // Then the stream goes on with live changes, which are not part of the snapshot.
  auto carol_online = logged_in(carol, true);
  const auto live = collect(*a, at_least(1));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].user.id, carol);
  EXPECT_TRUE(live[0].online);
  EXPECT_FALSE(live[0].snapshot);

  // Subscribing again on the same connection moves the inbox start only: no second snapshot.
  a->subscribe();
  EXPECT_TRUE(drain(*a, 300ms).empty());
}

}  // namespace
}  // namespace occhat

// Rooms (issue 13) on a real occhat-server process with hand-built frames: membership changes
// and their events, fan-out through every member's inbox (online and offline), de-duplication,
// history from join, mentions, the member limit and room files.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "occhat/proto/sha256.hpp"
#include "raw_client.hpp"
#include "raw_peer.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace occhat::test;
using occhat::ErrorCode;
using Change = occhat::wire::RoomChangeRequest;
using EventKind = occhat::wire::RoomEvent;

// Room request builders (local: occhat/proto/requests.hpp is the SDK's to extend).
namespace room_rq {

wire::Envelope create(std::string_view name) {
  wire::Envelope e;
  e.mutable_create_room_request()->set_name(std::string(name));
  return e;
}

wire::Envelope change(std::uint32_t room, Change::Change kind, std::vector<std::uint32_t> users = {},
                      std::string_view name = {}) {
  wire::Envelope e;
  auto* r = e.mutable_room_change_request();
  r->set_room_id(room);
  r->set_change(kind);
  for (const auto u : users) r->add_users(u);
  r->set_name(std::string(name));
  return e;
}

wire::Envelope send(std::uint32_t room, std::string_view text, std::string_view client_msg_id = {}) {
  wire::Envelope e;
  auto* r = e.mutable_send_message_request();
  r->set_room_id(room);
  r->set_text(std::string(text));
  r->set_client_msg_id(std::string(client_msg_id));
  return e;
}

wire::Envelope history(std::uint32_t room) {
  wire::Envelope e;
  e.mutable_history_request()->set_room_id(room);
  return e;
}

wire::Envelope members(std::uint32_t room, std::uint32_t after = 0) {
  wire::Envelope e;
  e.mutable_list_room_members_request()->set_room_id(room);
  e.mutable_list_room_members_request()->set_after_id(after);
  return e;
}

wire::Envelope list() {
  wire::Envelope e;
  e.mutable_list_rooms_request();
  return e;
}

}  // namespace room_rq

// The room events in `peer`'s unacknowledged inbox, acknowledging them: each call sees only
// what happened since the last.
std::vector<wire::RoomEvent> take_events(RawPeer& peer) {
  const auto inbox = peer.call(rq::fetch_inbox(0, 1000));
  std::vector<wire::RoomEvent> events;
  std::uint64_t last = 0;
  for (const auto& item : inbox.inbox_items().items()) {
    if (item.has_room_event()) events.push_back(item.room_event());
    last = item.seq();
  }
  if (last != 0) {
    EXPECT_TRUE(peer.call(rq::ack(last)).has_ok());
  }
  return events;
}

// Exactly one event of `kind` about `subject`.
void expect_one(const std::vector<wire::RoomEvent>& events, EventKind::Kind kind, std::uint32_t subject,
                const char* who) {
  int n = 0;
  for (const auto& e : events) n += e.kind() == kind && e.subject().id() == subject;
  EXPECT_EQ(n, 1) << who << " expected one " << EventKind::Kind_Name(kind) << " of " << subject;
}

struct Trio {
  explicit Trio(ServerProcess& server) : a(server), b(server), c(server) {
    alice = sign_up(a, "alice");
    bob = sign_up(b, "bob");
    carol = sign_up(c, "carol");
    befriend(a, alice, b, bob);
    befriend(a, alice, c, carol);
    take_events(a), take_events(b), take_events(c);  // the friendship notices
  }
  std::uint32_t create(std::string_view name = "lounge") {
    const auto room = a.call(room_rq::create(name));
    EXPECT_TRUE(room.has_room_info()) << room.ShortDebugString();
    return room.room_info().id();
  }
  RawPeer a, b, c;
  std::uint32_t alice = 0, bob = 0, carol = 0;
};

TEST(RawRooms, EveryChangeReachesEveryMember) {
  ServerProcess server;
  Trio t(server);
  const auto room = t.create("  lounge  ");
  EXPECT_GE(room, 1000000u);
  // Invite: only the invitees hear of it.
  const auto invited = t.a.call(room_rq::change(room, Change::INVITE, {t.bob, t.carol}));
  ASSERT_TRUE(invited.has_room_info()) << invited.ShortDebugString();
  EXPECT_EQ(invited.room_info().name(), "lounge");
  expect_one(take_events(t.b), EventKind::INVITED, t.bob, "bob");
  expect_one(take_events(t.c), EventKind::INVITED, t.carol, "carol");
  EXPECT_TRUE(take_events(t.a).empty());
  const auto bob_rooms = t.b.call(room_rq::list());
  ASSERT_EQ(bob_rooms.room_list().invites_size(), 1);
  EXPECT_EQ(bob_rooms.room_list().invites(0).invited_by().id(), t.alice);

  // Join: every member; decline: only the inviter.
  const auto joined = t.b.call(room_rq::change(room, Change::JOIN));
  ASSERT_TRUE(joined.has_room_info()) << joined.ShortDebugString();
  EXPECT_EQ(joined.room_info().members(), 2u);
  // A retried JOIN is answered the same and changes nothing.
  EXPECT_EQ(t.b.call(room_rq::change(room, Change::JOIN)).room_info().members(), 2u);
  expect_one(take_events(t.a), EventKind::JOINED, t.bob, "alice");
  expect_one(take_events(t.b), EventKind::JOINED, t.bob, "bob");
  ASSERT_TRUE(t.c.call(room_rq::change(room, Change::DECLINE)).has_ok());
  expect_one(take_events(t.a), EventKind::DECLINED, t.carol, "alice");
  EXPECT_TRUE(take_events(t.b).empty());
  EXPECT_EQ(code_of(t.c.call(room_rq::change(room, Change::JOIN))), ErrorCode::not_allowed);
  // Any member may invite their friends: bob has none here.
  EXPECT_EQ(code_of(t.b.call(room_rq::change(room, Change::INVITE, {t.carol}))), ErrorCode::not_allowed);
  ASSERT_TRUE(t.a.call(room_rq::change(room, Change::INVITE, {t.carol})).has_room_info());
  ASSERT_TRUE(t.c.call(room_rq::change(room, Change::JOIN)).has_room_info());
  for (auto* p : {&t.a, &t.b, &t.c}) take_events(*p);

  // Roles: owner makes bob admin; admins remove members but not the owner.
  ASSERT_TRUE(t.a.call(room_rq::change(room, Change::MAKE_ADMIN, {t.bob})).has_room_info());
  for (auto* p : {&t.a, &t.b, &t.c}) expect_one(take_events(*p), EventKind::ROLE_CHANGED, t.bob, "member");
  EXPECT_EQ(code_of(t.b.call(room_rq::change(room, Change::REMOVE, {t.alice}))), ErrorCode::not_allowed);
  EXPECT_EQ(code_of(t.c.call(room_rq::change(room, Change::RENAME, {}, "nope"))), ErrorCode::not_allowed);
  ASSERT_TRUE(t.b.call(room_rq::change(room, Change::REMOVE, {t.carol})).has_room_info());
  for (auto* p : {&t.a, &t.b, &t.c}) expect_one(take_events(*p), EventKind::REMOVED, t.carol, "member or subject");
  EXPECT_EQ(code_of(t.c.call(room_rq::history(room))), ErrorCode::not_allowed);

  // The owner cannot leave a room with members; ownership moves (two events), then she can.
  EXPECT_EQ(code_of(t.a.call(room_rq::change(room, Change::LEAVE))), ErrorCode::conflict);
  const auto moved = t.a.call(room_rq::change(room, Change::TRANSFER_OWNERSHIP, {t.bob}));
  ASSERT_TRUE(moved.has_room_info()) << moved.ShortDebugString();
  EXPECT_EQ(moved.room_info().role(), wire::ROOM_ADMIN);
  EXPECT_EQ(moved.room_info().owner(), t.bob);
  for (auto* p : {&t.a, &t.b}) {
    const auto events = take_events(*p);
    expect_one(events, EventKind::ROLE_CHANGED, t.bob, "member");
    expect_one(events, EventKind::ROLE_CHANGED, t.alice, "member");
  }
  const auto renamed = t.b.call(room_rq::change(room, Change::RENAME, {}, "den"));
  ASSERT_EQ(renamed.room_info().name(), "den");
  for (auto* p : {&t.a, &t.b}) {
    const auto events = take_events(*p);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind(), EventKind::RENAMED);
    EXPECT_EQ(events[0].room().name(), "den");
  }
  ASSERT_TRUE(t.a.call(room_rq::change(room, Change::LEAVE)).has_ok());
  for (auto* p : {&t.a, &t.b}) expect_one(take_events(*p), EventKind::LEFT, t.alice, "member or subject");

  // Delete: the last member hears of it; the room is gone for everyone.
  ASSERT_TRUE(t.b.call(room_rq::change(room, Change::DELETE)).has_ok());
  const auto last = take_events(t.b);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].kind(), EventKind::DELETED);
  EXPECT_EQ(code_of(t.b.call(room_rq::history(room))), ErrorCode::not_allowed);
  EXPECT_EQ(t.b.call(room_rq::list()).room_list().rooms_size(), 0);
}

TEST(RawRooms, MessagesFanOutOnlineAndOfflineInOrderOnce) {
  ServerProcess server;
  Trio t(server);
  const auto room = t.create();
  ASSERT_TRUE(t.a.call(room_rq::change(room, Change::INVITE, {t.bob, t.carol})).has_room_info());
  ASSERT_TRUE(t.b.call(room_rq::change(room, Change::JOIN)).has_room_info());
  for (auto* p : {&t.a, &t.b}) take_events(*p);

  // Before carol joins: not in her history.
  const auto early = t.a.call(room_rq::send(room, "before carol"));
  ASSERT_TRUE(early.has_message_sent()) << early.ShortDebugString();
  ASSERT_TRUE(t.c.call(room_rq::change(room, Change::JOIN)).has_room_info());
  for (auto* p : {&t.a, &t.b, &t.c}) take_events(*p);

  // bob is subscribed (online); carol reads later (offline).
  ASSERT_TRUE(t.b.call(rq::subscribe(0)).has_ok());
  std::vector<std::uint64_t> sent;
  for (int i = 0; i < 5; ++i) {
    const std::string text = "m" + std::to_string(i) + (i == 2 ? " @" + std::to_string(t.carol) + " @" +
                                                                     std::to_string(t.bob) + " @" + std::to_string(t.carol)
                                                               : "");
    const auto answer = t.a.call(room_rq::send(room, text, "cid-" + std::to_string(i)));
    ASSERT_TRUE(answer.has_message_sent()) << answer.ShortDebugString();
    EXPECT_FALSE(answer.message_sent().duplicate());
    sent.push_back(answer.message_sent().message_id());
  }
  // A retry is the original, stored once.
  const auto retry = t.a.call(room_rq::send(room, "m3", "cid-3"));
  EXPECT_TRUE(retry.message_sent().duplicate());
  EXPECT_EQ(retry.message_sent().message_id(), sent[3]);

  // bob's pushes: the five messages once each, in order.
  std::vector<std::uint64_t> pushed;
  for (const auto& push : t.b.drain_pushes(1s)) {
    for (const auto& item : push.inbox_items().items()) {
      if (item.has_message()) pushed.push_back(item.message().id());
    }
  }
  EXPECT_EQ(pushed, sent);

  // carol catches up: the same five, in order, each once, with the room and the mentions.
  const auto inbox = t.c.call(rq::fetch_inbox(0, 1000));
  std::vector<std::uint64_t> fetched;
  for (const auto& item : inbox.inbox_items().items()) {
    if (!item.has_message()) continue;
    fetched.push_back(item.message().id());
    EXPECT_EQ(item.message().room().id(), room);
    EXPECT_EQ(item.message().to(), 0u);
    EXPECT_EQ(item.message().from(), t.alice);
    if (item.message().id() == sent[2]) {
      ASSERT_EQ(item.message().mentions_size(), 2);
      EXPECT_EQ(item.message().mentions(0), t.carol);
      EXPECT_EQ(item.message().mentions(1), t.bob);
    }
  }
  EXPECT_EQ(fetched, sent);
  // ... and the same through a subscription (what a client does when it comes online).
  ASSERT_TRUE(t.c.call(rq::subscribe(0)).has_ok());
  std::vector<std::uint64_t> caught_up;
  for (const auto& push : t.c.drain_pushes(1s)) {
    for (const auto& item : push.inbox_items().items()) {
      if (item.has_message()) caught_up.push_back(item.message().id());
    }
  }
  EXPECT_EQ(caught_up, sent);
  // The sender's own inbox has them too (her other devices; the first was acknowledged above).
  std::size_t own = 0;
  const auto alice_inbox = t.a.call(rq::fetch_inbox(0, 1000));
  for (const auto& item : alice_inbox.inbox_items().items()) own += item.has_sent();  // her own: `sent`
  EXPECT_EQ(own, 5u);

  // History: alice sees all six, carol only what came after she joined.
  EXPECT_EQ(t.a.call(room_rq::history(room)).message_list().messages_size(), 6);
  const auto carol_history = t.c.call(room_rq::history(room));
  ASSERT_EQ(carol_history.message_list().messages_size(), 5);
  EXPECT_EQ(carol_history.message_list().messages(0).text(), "m0");

  // Members, with presence.
  const auto members = t.c.call(room_rq::members(room));
  ASSERT_TRUE(members.has_room_member_list()) << members.ShortDebugString();
  EXPECT_EQ(members.room_member_list().members_size(), 3);
  EXPECT_FALSE(members.room_member_list().more());
}

TEST(RawRooms, MemberLimitIsEnforced) {
  ServerProcess server({}, {"--max-room-members", "3"});
  Trio t(server);
  RawPeer d(server);
  const auto dave = sign_up(d, "dave");
  befriend(t.a, t.alice, d, dave);
  const auto room = t.create();
  const auto too_many = t.a.call(room_rq::change(room, Change::INVITE, {t.bob, t.carol, dave}));
  EXPECT_EQ(code_of(too_many), ErrorCode::resource_exhausted) << too_many.ShortDebugString();
  ASSERT_TRUE(t.a.call(room_rq::change(room, Change::INVITE, {t.bob, t.carol})).has_room_info());
  ASSERT_TRUE(t.b.call(room_rq::change(room, Change::JOIN)).has_room_info());
  ASSERT_TRUE(t.c.call(room_rq::change(room, Change::JOIN)).has_room_info());
  EXPECT_EQ(code_of(t.a.call(room_rq::change(room, Change::INVITE, {dave}))), ErrorCode::resource_exhausted);
}

TEST(RawRooms, RoomFilesReachAndServeEveryMember) {
  ServerProcess server;
  Trio t(server);
  const auto room = t.create();
  ASSERT_TRUE(t.a.call(room_rq::change(room, Change::INVITE, {t.bob})).has_room_info());
  ASSERT_TRUE(t.b.call(room_rq::change(room, Change::JOIN)).has_room_info());
  for (auto* p : {&t.a, &t.b}) take_events(*p);

  const std::string data = "room file bytes";
  proto::Sha256 hash;
  hash.update(data);
  const auto digest = hash.finish();
  wire::Envelope begin;
  auto* b = begin.mutable_begin_upload_request();
  b->set_room_id(room);
  b->set_name("notes.txt");
  b->set_size(data.size());
  b->set_sha256(std::string(digest.begin(), digest.end()));
  const auto state = t.b.call(begin);
  ASSERT_TRUE(state.has_upload_state()) << state.ShortDebugString();
  const auto id = state.upload_state().upload_id();
  ASSERT_TRUE(t.b.call(rq::upload_chunk(id, 0, data)).has_upload_state());
  const auto finished = t.b.call(rq::finish_upload(id));
  ASSERT_TRUE(finished.has_file_info()) << finished.ShortDebugString();
  EXPECT_EQ(finished.file_info().room().id(), room);
  EXPECT_EQ(finished.file_info().recipient(), 0u);

  // alice is notified and may download; the room lists it, 1:1 lists do not.
  const auto inbox = t.a.call(rq::fetch_inbox(0, 100));
  bool noticed = false;
  for (const auto& item : inbox.inbox_items().items()) {
    noticed |= item.has_file() && item.file().file().id() == id && item.file().file().room().id() == room;
  }
  EXPECT_TRUE(noticed) << inbox.ShortDebugString();
  const auto chunk = t.a.call(rq::read_file(id, 0, 1024));
  ASSERT_TRUE(chunk.has_file_chunk()) << chunk.ShortDebugString();
  EXPECT_EQ(chunk.file_chunk().data(), data);
  wire::Envelope list;
  list.mutable_list_files_request()->set_room_id(room);
  EXPECT_EQ(t.a.call(list).file_list().files_size(), 1);
  EXPECT_EQ(t.a.call(rq::list_files(0)).file_list().files_size(), 0);
  EXPECT_EQ(t.b.call(rq::list_files(t.alice)).file_list().files_size(), 0);
  // carol, no member, may not.
  EXPECT_EQ(code_of(t.c.call(rq::read_file(id, 0, 1024))), ErrorCode::not_allowed);
  EXPECT_EQ(code_of(t.c.call(rq::get_file(id))), ErrorCode::not_allowed);
}

TEST(RawRooms, BlockedUsersRoomMessagesAndInvitationsDoNotArrive) {
  ServerProcess server;
  Trio t(server);
  const auto room = t.create();
  ASSERT_TRUE(t.a.call(room_rq::change(room, Change::INVITE, {t.bob})).has_room_info());
  ASSERT_TRUE(t.b.call(room_rq::change(room, Change::JOIN)).has_room_info());
  for (auto* p : {&t.a, &t.b}) take_events(*p);
  wire::Envelope block;
  block.mutable_block_user_request()->set_user_id(t.alice);
  ASSERT_TRUE(t.b.call(block).has_ok());
  ASSERT_TRUE(t.a.call(room_rq::send(room, "hello?")).has_message_sent());
  EXPECT_EQ(t.b.call(rq::fetch_inbox(0)).inbox_items().items_size(), 0);
  wire::Envelope listed;
  listed.mutable_list_blocked_request();
  const auto blocked = t.b.call(listed);
  ASSERT_EQ(blocked.blocked_list().users_size(), 1);
  EXPECT_EQ(blocked.blocked_list().users(0).id(), t.alice);
  // A second room: alice's invitation to bob is skipped without a word.
  const auto other = t.create("other");
  ASSERT_TRUE(t.a.call(room_rq::change(other, Change::INVITE, {t.bob})).has_room_info());
  EXPECT_EQ(t.b.call(rq::fetch_inbox(0)).inbox_items().items_size(), 0);
  EXPECT_EQ(t.b.call(room_rq::list()).room_list().invites_size(), 0);
}

}  // namespace

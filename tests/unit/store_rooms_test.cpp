// occhat::store rooms and blocking, on every backend (store_backends.hpp).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "occhat/store/sqlite_store.hpp"
#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

namespace fs = std::filesystem;
using occhat::ErrorCode;
using occhat::store::AddFriendState;
using occhat::store::InboxItem;
using occhat::store::open_store;
using occhat::store::RoomChange;
using occhat::store::RoomEvent;
using occhat::store::RoomRole;
using occhat::store::Store;
using occhat::store::StoreError;
using Kind = RoomChange::Kind;

// Bytes the database's live pages take: (page_count - freelist_count) * page_size, so pages
// freed by acknowledgements and reused later do not hide what new data costs.
std::int64_t used_bytes(const fs::path& db) {
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  const auto pragma = [handle](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::int64_t value = -1;
    if (sqlite3_prepare_v2(handle, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return value;
  };
  const auto bytes = (pragma("PRAGMA page_count") - pragma("PRAGMA freelist_count")) * pragma("PRAGMA page_size");
  sqlite3_close(handle);
  return bytes;
}

class StoreRoomsTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "$h"));
    ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "$h"));
    ASSERT_TRUE(store_->create_user(carol_, "c@x", "carol", "$h"));
  }
  void befriend(std::uint32_t a, std::uint32_t b) {
    ASSERT_EQ(store_->add_friend(a, b).state, AddFriendState::requested);
    ASSERT_EQ(store_->add_friend(b, a).state, AddFriendState::now_friends);
  }
  occhat::store::RoomChangeResult change(Kind kind, std::uint32_t room, std::uint32_t actor,
                                         std::vector<std::uint32_t> users = {}, std::uint32_t max_members = 1000) {
    RoomChange c;
    c.kind = kind;
    c.room_id = room;
    c.actor = actor;
    c.users = std::move(users);
    c.max_members = max_members;
    c.name = "renamed";
    return store_->change_room(c);
  }
  static ErrorCode code_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const StoreError& e) {
      return e.code();
    }
    return ErrorCode::ok;
  }
  // alice's room with bob (and carol if `with_carol`) joined.
  std::uint32_t room_of_alice(bool with_carol = false) {
    befriend(alice_, bob_);
    if (with_carol) befriend(alice_, carol_);
    const auto room = store_->create_room(alice_, "lounge", 100).room.id;
    std::vector<std::uint32_t> invitees{bob_};
    if (with_carol) invitees.push_back(carol_);
    change(Kind::invite, room, alice_, invitees);
    change(Kind::join, room, bob_);
    if (with_carol) change(Kind::join, room, carol_);
    return room;
  }
  std::vector<InboxItem> inbox(std::uint32_t user) { return store_->fetch_inbox(user, 0, 1000).items; }

  std::uint32_t alice_ = 314159, bob_ = 271828, carol_ = 141421;
};

TEST_P(StoreRoomsTest, RoomIdsStartAtOneMillionAndAreNeverReused) {
  const auto first = store_->create_room(alice_, "a", 100);
  EXPECT_EQ(first.room.id, occhat::store::kMinRoomId);
  EXPECT_EQ(first.role, RoomRole::owner);
  EXPECT_EQ(first.room.members, 1u);
  change(Kind::remove_room, first.room.id, alice_);
  EXPECT_EQ(store_->create_room(alice_, "b", 100).room.id, occhat::store::kMinRoomId + 1);
}

TEST_P(StoreRoomsTest, OwnedRoomsAreCapped) {
  store_->create_room(alice_, "a", 2);
  store_->create_room(alice_, "b", 2);
  EXPECT_EQ(code_of([&] { store_->create_room(alice_, "c", 2); }), ErrorCode::resource_exhausted);
}

TEST_P(StoreRoomsTest, InviteJoinFanOutAndHistoryFromJoin) {
  befriend(alice_, bob_);
  befriend(alice_, carol_);
  const auto room = store_->create_room(alice_, "lounge", 100).room.id;
  change(Kind::invite, room, alice_, {bob_, carol_});
  const auto bob_invite = inbox(bob_).back();
  ASSERT_EQ(bob_invite.kind, InboxItem::Kind::room_event);
  EXPECT_EQ(bob_invite.room_event.kind, RoomEvent::Kind::invited);
  EXPECT_EQ(bob_invite.room_event.actor, alice_);
  EXPECT_EQ(store_->rooms(bob_).invites.size(), 1u);
  EXPECT_EQ(store_->rooms(bob_).invites[0].inviter, alice_);
  change(Kind::join, room, bob_);
  const auto early = store_->send_room_message(alice_, room, "before carol @271828 @141421 @271828", "c1", {bob_, carol_});
  EXPECT_EQ(early.items.size(), 2u);  // alice and bob
  change(Kind::join, room, carol_);
  const auto late = store_->send_room_message(bob_, room, "hello", "", {});
  ASSERT_EQ(late.items.size(), 3u);
  // The retry of c1 is the original.
  const auto retry = store_->send_room_message(alice_, room, "before carol", "c1", {});
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.message_id, early.message_id);
  EXPECT_TRUE(retry.items.empty());

  const auto bob_items = inbox(bob_);
  const auto& message = bob_items.at(bob_items.size() - 3);  // before carol's JOINED event
  ASSERT_EQ(message.kind, InboxItem::Kind::room_message);
  EXPECT_EQ(message.message.room_id, room);
  EXPECT_EQ(message.message.room_name, "lounge");
  EXPECT_EQ(message.message.mentions, (std::vector<std::uint32_t>{bob_}));  // carol was no member yet

  EXPECT_EQ(store_->room_history(alice_, room, 50, 0).messages.size(), 2u);
  const auto carol_history = store_->room_history(carol_, room, 50, 0).messages;
  ASSERT_EQ(carol_history.size(), 1u);
  EXPECT_EQ(carol_history[0].text, "hello");
  EXPECT_EQ(store_->room_members(alice_, room, 0, 1000).members.size(), 3u);
  const auto page = store_->room_members(alice_, room, 0, 2);
  EXPECT_EQ(page.members.size(), 2u);
  EXPECT_TRUE(page.more);
}

TEST_P(StoreRoomsTest, NonMembersAreRefusedAlike) {
  const auto room = room_of_alice();
  for (const std::uint32_t room_id : {room, 4000000u}) {
    EXPECT_EQ(code_of([&] { store_->send_room_message(carol_, room_id, "x", "", {}); }), ErrorCode::not_allowed);
    EXPECT_EQ(code_of([&] { store_->room_history(carol_, room_id, 10, 0); }), ErrorCode::not_allowed);
    EXPECT_EQ(code_of([&] { store_->room_members(carol_, room_id, 0, 10); }), ErrorCode::not_allowed);
    EXPECT_EQ(code_of([&] { store_->list_room_files(carol_, room_id); }), ErrorCode::not_allowed);
    for (int k = 1; k <= 10; ++k) {
      EXPECT_EQ(code_of([&] { change(static_cast<Kind>(k), room_id, carol_, {alice_}); }), ErrorCode::not_allowed) << k;
    }
  }
}

TEST_P(StoreRoomsTest, RolesLeaveRemoveTransferDelete) {
  const auto room = room_of_alice(/*with_carol=*/true);
  EXPECT_EQ(code_of([&] { change(Kind::remove, room, bob_, {carol_}); }), ErrorCode::not_allowed);
  change(Kind::make_admin, room, alice_, {bob_});
  EXPECT_EQ(code_of([&] { change(Kind::remove, room, bob_, {alice_}); }), ErrorCode::not_allowed);
  change(Kind::remove, room, bob_, {carol_});
  EXPECT_EQ(inbox(carol_).back().room_event.kind, RoomEvent::Kind::removed);
  EXPECT_FALSE(store_->is_room_member(carol_, room));
  EXPECT_EQ(code_of([&] { change(Kind::leave, room, alice_); }), ErrorCode::conflict);
  change(Kind::transfer_ownership, room, alice_, {bob_});
  const auto lists = store_->rooms(alice_);
  ASSERT_EQ(lists.rooms.size(), 1u);
  EXPECT_EQ(lists.rooms[0].role, RoomRole::admin);
  EXPECT_EQ(lists.rooms[0].room.owner, bob_);
  change(Kind::leave, room, alice_);
  EXPECT_EQ(inbox(bob_).back().room_event.kind, RoomEvent::Kind::left);
  change(Kind::rename, room, bob_);
  EXPECT_EQ(inbox(bob_).back().room_event.room_name, "renamed");
  store_->send_room_message(bob_, room, "bye", "", {});
  change(Kind::remove_room, room, bob_);
  const auto last = inbox(bob_).back();
  EXPECT_EQ(last.room_event.kind, RoomEvent::Kind::deleted);
  EXPECT_EQ(last.room_event.room_name, "renamed");
  EXPECT_FALSE(store_->is_room_member(bob_, room));
  EXPECT_TRUE(store_->rooms(bob_).rooms.empty());
}

TEST_P(StoreRoomsTest, MemberLimitCountsInvitesAndJoins) {
  befriend(alice_, bob_);
  befriend(alice_, carol_);
  const auto room = store_->create_room(alice_, "small", 100).room.id;
  EXPECT_EQ(code_of([&] { change(Kind::invite, room, alice_, {bob_, carol_}, 2); }), ErrorCode::resource_exhausted);
  change(Kind::invite, room, alice_, {bob_}, 2);
  change(Kind::invite, room, alice_, {carol_}, 3);
  change(Kind::join, room, bob_, {}, 2);
  EXPECT_EQ(code_of([&] { change(Kind::join, room, carol_, {}, 2); }), ErrorCode::resource_exhausted);
}

TEST_P(StoreRoomsTest, BlockingEndsFriendshipAndKeepsTheBlockedOut) {
  const auto room = room_of_alice();
  befriend(bob_, carol_);
  store_->block_user(bob_, alice_);
  EXPECT_FALSE(store_->are_friends(alice_, bob_));
  const auto before = store_->inbox_state(bob_).last_seq;
  // alice's add is answered as usual and stores nothing.
  const auto added = store_->add_friend(alice_, bob_);
  EXPECT_EQ(added.state, AddFriendState::requested);
  EXPECT_FALSE(added.notice);
  EXPECT_TRUE(store_->friend_requests(bob_).incoming.empty());
  // Her room messages reach everyone but bob.
  const auto sent = store_->send_room_message(alice_, room, "hi", "", {});
  EXPECT_EQ(sent.items.size(), 1u);
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, before);
  ASSERT_EQ(store_->blocked_users(bob_).size(), 1u);
  EXPECT_EQ(store_->blocked_users(bob_)[0].id, alice_);
  EXPECT_TRUE(store_->unblock_user(bob_, alice_));
  EXPECT_FALSE(store_->unblock_user(bob_, alice_));
  EXPECT_EQ(store_->send_room_message(alice_, room, "again", "", {}).items.size(), 2u);
  EXPECT_EQ(code_of([&] { store_->block_user(bob_, bob_); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { store_->block_user(bob_, 999998); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { store_->unblock_user(bob_, 999998); }), ErrorCode::not_found);
}

TEST_P(StoreRoomsTest, InvitationsOfABlockedUserAreSkippedSilently) {
  befriend(alice_, bob_);
  const auto room = store_->create_room(alice_, "lounge", 100).room.id;
  store_->block_user(bob_, alice_);
  const auto before = store_->inbox_state(bob_).last_seq;
  const auto result = change(Kind::invite, room, alice_, {bob_});
  EXPECT_TRUE(result.items.empty());
  EXPECT_EQ(store_->inbox_state(bob_).last_seq, before);
  EXPECT_TRUE(store_->rooms(bob_).invites.empty());
}

TEST_P(StoreRoomsTest, RoomFilesAreListedForTheRoomOnly) {
  const auto room = room_of_alice();
  occhat::store::Sha256 sha{};
  sha[0] = 7;
  const auto begun = store_->begin_room_upload(bob_, room, "notes.txt", 5, sha);
  EXPECT_EQ(begun.upload.room_id, room);
  EXPECT_EQ(begun.upload.recipient, 0u);
  const auto published = store_->publish_upload(begun.upload.id);
  EXPECT_EQ(published.file.room_id, room);
  EXPECT_EQ(published.room_items.size(), 2u);
  EXPECT_EQ(store_->list_room_files(alice_, room).size(), 1u);
  EXPECT_TRUE(store_->list_files(bob_, 0).empty());
  EXPECT_TRUE(store_->list_files(bob_, alice_).empty());
  const auto notice = inbox(alice_).back();
  ASSERT_EQ(notice.kind, InboxItem::Kind::file);
  EXPECT_EQ(notice.file.room_id, room);
  const auto removed = change(Kind::remove_room, room, alice_);
  EXPECT_EQ(removed.removed_files, (std::vector<std::uint64_t>{begun.upload.id}));
  EXPECT_FALSE(store_->find_file(begun.upload.id));
}

// Disabled (its set-up takes seconds): run with --gtest_also_run_disabled_tests.
// Not a correctness test: prints what a 1,000-member fan-out costs (time per message, database
// bytes per message) so changes to the fan-out can be compared. Uses the SQLite store with
// synchronous=FULL, one transaction per message, as the server does without group commit.
TEST_P(StoreRoomsTest, DISABLED_ThousandMemberFanOutCost) {
  if (GetParam() != occhat::testing::StoreBackend::sqlite) GTEST_SKIP() << "measures the SQLite file";
  const fs::path db = location_;
  constexpr std::uint32_t kMembers = 1000;
  constexpr int kMessages = 200;
  const auto room = store_->create_room(alice_, "big", 100).room.id;
  {
    auto sqlite = occhat::store::open_sqlite_store(db);
    sqlite->begin_batch();
    for (std::uint32_t i = 0; i < kMembers - 1; ++i) {
      const std::uint32_t user = 500000 + i;
      ASSERT_TRUE(sqlite->create_user(user, "u@x", "member", "$h"));
      sqlite->add_friend(alice_, user);
      sqlite->add_friend(user, alice_);
    }
    sqlite->commit_batch();
    std::vector<std::uint32_t> invitees;
    for (std::uint32_t i = 0; i < kMembers - 1; ++i) {
      invitees.push_back(500000 + i);
      if (invitees.size() == 100) {
        RoomChange c;
        c.kind = Kind::invite;
        c.room_id = room;
        c.actor = alice_;
        c.users = invitees;
        sqlite->change_room(c);
        invitees.clear();
      }
    }
    if (!invitees.empty()) {
      RoomChange c;
      c.kind = Kind::invite;
      c.room_id = room;
      c.actor = alice_;
      c.users = invitees;
      sqlite->change_room(c);
    }
    sqlite->begin_batch();
    for (std::uint32_t i = 0; i < kMembers - 1; ++i) {
      RoomChange c;
      c.kind = Kind::join;
      c.room_id = room;
      c.actor = 500000 + i;
      sqlite->change_room(c);
    }
    // Everyone read the join events (inboxes are pruned on ack, as in a live server).
    for (std::uint32_t i = 0; i < kMembers - 1; ++i) sqlite->ack(500000 + i, UINT64_MAX);
    sqlite->ack(alice_, UINT64_MAX);
    sqlite->commit_batch();
  }
  // With every connection closed the WAL is checkpointed into the file (and removed), so the
  // file's size is page_count * page_size.
  store_.reset();
  const auto size_before = used_bytes(db);
  auto sqlite = occhat::store::open_sqlite_store(db);
  const std::string text(100, 'x');
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    const auto sent = sqlite->send_room_message(alice_, room, text, "", {});
    ASSERT_EQ(sent.items.size(), kMembers);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  sqlite.reset();
  const auto size_after = used_bytes(db);
  {
    // The same without the fsync (--durability process): what the writes cost apart from it.
    auto unsynced = occhat::store::open_sqlite_store(db, occhat::store::Durability::process);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kMessages; ++i) unsynced->send_room_message(alice_, room, text, "", {});
    std::printf("[fan-out] without fsync: %.2f ms per message\n",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / kMessages);
  }
  std::printf("[fan-out] %u members, %d messages of %zu bytes: %.2f ms per message (own transaction, fsync "
              "included); %.0f store bytes per message (room message + %u unacknowledged inbox rows)\n",
              kMembers, kMessages, text.size(), std::chrono::duration<double, std::milli>(elapsed).count() / kMessages,
              static_cast<double>(size_after - size_before) / kMessages, kMembers);
  store_ = open_store(db.string());
  for (std::uint32_t i = 0; i < kMembers - 1; ++i) store_->ack(500000 + i, UINT64_MAX);
  store_->ack(alice_, UINT64_MAX);
  store_.reset();
  std::printf("[fan-out] after every member acknowledged: %.0f store bytes per message\n",
              static_cast<double>(used_bytes(db) - size_before) / (2 * kMessages));
  store_ = open_store(db.string());
  {
    // Members who keep up (acknowledged inboxes): a message's rows share few pages.
    const auto t0 = std::chrono::steady_clock::now();
    constexpr int kKeptUp = 20;
    for (int i = 0; i < kKeptUp; ++i) store_->send_room_message(alice_, room, text, "", {});
    std::printf("[fan-out] into acknowledged inboxes: %.2f ms per message\n",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / kKeptUp);
  }
  // Once everyone acknowledged, the inbox rows go; the message stays for the history.
  EXPECT_EQ(store_->room_history(alice_, room, 500, 0).messages.size(), static_cast<std::size_t>(2 * kMessages + 20));
}

// Read markers in a room: only messages after joining count, never one's own, never a blocked
// sender's; sending reads the room; only members have a marker.
TEST_P(StoreRoomsTest, RoomUnreadCountsStartAtJoiningAndSkipBlockedSenders) {
  befriend(alice_, bob_);
  befriend(alice_, carol_);
  const auto room = store_->create_room(alice_, "lounge", 100).room.id;
  store_->send_room_message(alice_, room, "before bob joined", "", {});
  change(Kind::invite, room, alice_, {bob_, carol_});
  change(Kind::join, room, bob_);
  change(Kind::join, room, carol_);
  store_->send_room_message(alice_, room, "one", "", {});
  store_->send_room_message(alice_, room, "two", "", {});
  store_->send_room_message(carol_, room, "three", "", {});
  store_->send_room_message(bob_, room, "four", "", {});
  EXPECT_EQ(store_->unread_count(bob_, room), 0u);  // bob's own message read what came before
  EXPECT_EQ(store_->unread_count(alice_, room), 2u);
  EXPECT_EQ(store_->unread_count(carol_, room), 1u);
  store_->send_room_message(alice_, room, "five", "", {});
  store_->send_room_message(carol_, room, "six", "", {});
  EXPECT_EQ(store_->unread_count(bob_, room), 2u);
  store_->block_user(bob_, carol_);
  EXPECT_EQ(store_->unread_count(bob_, room), 1u);
  store_->mark_read(bob_, room, 0);
  EXPECT_EQ(store_->unread_count(bob_, room), 0u);
  change(Kind::leave, room, carol_);
  EXPECT_EQ(code_of([&] { store_->mark_read(carol_, room, 0); }), ErrorCode::not_allowed);
}

// Deleting a room's owner hands the room to its longest-standing admin (else member); a room the
// user was alone in goes with it.
TEST_P(StoreRoomsTest, DeletingAnOwnerPassesItsRoomsOnOrDeletesThem) {
  befriend(alice_, bob_);
  befriend(alice_, carol_);
  const auto shared = store_->create_room(alice_, "shared", 100).room.id;
  const auto alone = store_->create_room(alice_, "alone", 100).room.id;
  change(Kind::invite, shared, alice_, {bob_, carol_});
  change(Kind::join, shared, bob_);
  change(Kind::join, shared, carol_);
  change(Kind::make_admin, shared, alice_, {carol_});
  const auto deleted = store_->delete_user(alice_);
  EXPECT_FALSE(deleted.items.empty());  // the room events for bob and carol
  const auto carols = store_->rooms(carol_).rooms;
  ASSERT_EQ(carols.size(), 1u);
  EXPECT_EQ(carols[0].room.id, shared);
  EXPECT_EQ(carols[0].role, RoomRole::owner);
  EXPECT_EQ(store_->rooms(bob_).rooms.at(0).role, RoomRole::member);
  EXPECT_FALSE(store_->is_room_member(alice_, shared));
  EXPECT_FALSE(store_->is_room_member(alice_, alone));
  EXPECT_EQ(store_->stats().rooms, 1u);
  EXPECT_EQ(store_->room_history(bob_, shared, 10, 0).messages.size(), 0u);
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreRoomsTest);

}  // namespace

// Several connections to one store at once, on every backend: what the server's pooled executor
// will do on PostgreSQL (calls on different connections in parallel) must keep the guarantees
// one SQLite writer gives for free.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::store::AddFriendState;
using occhat::store::FriendLink;
using occhat::store::RoomChange;
using occhat::store::Store;
using occhat::store::StoreError;

class StoreConcurrencyTest : public occhat::testing::StoreBackendTest {
 protected:
  // Runs `body(i, store)` on `n` threads, each with a connection of its own; failures are
  // collected, not thrown across threads.
  template <typename Body>
  void in_parallel(int n, Body body) {
    std::vector<std::unique_ptr<Store>> stores;
    for (int i = 0; i < n; ++i) stores.push_back(open());
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    std::vector<std::string> errors(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < n) std::this_thread::yield();
        try {
          body(i, *stores[static_cast<std::size_t>(i)]);
        } catch (const StoreError& e) {
          errors[static_cast<std::size_t>(i)] = e.what();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& error : errors) EXPECT_EQ(error, "");
  }
};

TEST_P(StoreConcurrencyTest, SendersToOneRecipientGetGaplessSeqs) {
  const std::uint32_t recipient = 100000;
  constexpr int kSenders = 4, kEach = 25;
  ASSERT_TRUE(store_->create_user(recipient, "r@x", "r", "h"));
  for (std::uint32_t i = 1; i <= kSenders; ++i) {
    ASSERT_TRUE(store_->create_user(recipient + i, "s@x", "s", "h"));
    store_->add_friend(recipient + i, recipient);
    ASSERT_EQ(store_->add_friend(recipient, recipient + i).state, AddFriendState::now_friends);
  }
  const auto before = store_->inbox_state(recipient).last_seq;
  in_parallel(kSenders, [&](int i, Store& store) {
    for (int k = 0; k < kEach; ++k) {
      store.send_message(recipient + 1 + static_cast<std::uint32_t>(i), recipient, "m", "");
    }
  });
  const auto page = store_->fetch_inbox(recipient, before, 1000);
  ASSERT_EQ(page.items.size(), static_cast<std::size_t>(kSenders * kEach));
  for (std::size_t k = 0; k < page.items.size(); ++k) EXPECT_EQ(page.items[k].seq, before + k + 1);
  EXPECT_EQ(store_->inbox_state(recipient).last_seq, before + kSenders * kEach);
}

TEST_P(StoreConcurrencyTest, TwoUsersAddingEachOtherAtOnceBecomeFriends) {
  for (std::uint32_t round = 0; round < 10; ++round) {
    const std::uint32_t a = 200000 + 2 * round, b = a + 1;
    ASSERT_TRUE(store_->create_user(a, "a@x", "a", "h"));
    ASSERT_TRUE(store_->create_user(b, "b@x", "b", "h"));
    in_parallel(2, [&](int i, Store& store) { i == 0 ? store.add_friend(a, b) : store.add_friend(b, a); });
    EXPECT_EQ(store_->friend_link(a, b), FriendLink::friends) << "round " << round;
    EXPECT_TRUE(store_->friend_requests(a).outgoing.empty());
    EXPECT_TRUE(store_->friend_requests(b).outgoing.empty());
  }
}

TEST_P(StoreConcurrencyTest, ARetryRacingItsOriginalIsStoredOnce) {
  const std::uint32_t a = 300000, b = 300001;
  ASSERT_TRUE(store_->create_user(a, "a@x", "a", "h"));
  ASSERT_TRUE(store_->create_user(b, "b@x", "b", "h"));
  store_->add_friend(a, b);
  store_->add_friend(b, a);
  std::vector<std::uint64_t> ids(4);
  in_parallel(4, [&](int i, Store& store) {
    ids[static_cast<std::size_t>(i)] = store.send_message(a, b, "once", "client-id-1").message_id;
  });
  for (const auto id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(store_->history(a, b, 50, 0).messages.size(), 1u);
  EXPECT_EQ(store_->fetch_inbox(b, 0, 100).items.size(), 2u);  // the friend notice and the message
}

// A send writes two inboxes (the recipient's and the sender's carbon): two users writing to
// each other at once must not each hold one inbox and wait for the other's (a deadlock that
// PostgreSQL breaks by failing one of the calls).
TEST_P(StoreConcurrencyTest, TwoUsersWritingToEachOtherAtOnceAllSucceed) {
  const std::uint32_t a = 400000, b = 400001;
  constexpr int kEach = 50;
  ASSERT_TRUE(store_->create_user(a, "a@x", "a", "h"));
  ASSERT_TRUE(store_->create_user(b, "b@x", "b", "h"));
  store_->add_friend(a, b);
  store_->add_friend(b, a);
  const auto a_before = store_->inbox_state(a).last_seq, b_before = store_->inbox_state(b).last_seq;
  in_parallel(2, [&](int i, Store& store) {
    for (int k = 0; k < kEach; ++k) i == 0 ? store.send_message(a, b, "to b", "") : store.send_message(b, a, "to a", "");
  });
  EXPECT_EQ(store_->history(a, b, 500, 0).messages.size(), 2u * kEach);
  // Each inbox: what the other sent and the carbons of what it sent, gapless.
  EXPECT_EQ(store_->inbox_state(a).last_seq, a_before + 2 * kEach);
  EXPECT_EQ(store_->inbox_state(b).last_seq, b_before + 2 * kEach);
  EXPECT_EQ(store_->fetch_inbox(a, a_before, 1000).items.size(), 2u * kEach);
}

// A friend request racing its target's deletion is either refused (no such user) or removed with
// the account: never left pending towards a tombstone.
TEST_P(StoreConcurrencyTest, ARequestRacingItsTargetsDeletionIsNotLeftBehind) {
  for (std::uint32_t round = 0; round < 20; ++round) {
    const std::uint32_t a = 500000 + 2 * round, b = a + 1;
    ASSERT_TRUE(store_->create_user(a, "a@x", "a", "h"));
    ASSERT_TRUE(store_->create_user(b, "b@x", "b", "h"));
    in_parallel(2, [&](int i, Store& store) {
      if (i == 0) {
        store.delete_user(b);
        return;
      }
      try {
        store.add_friend(a, b);
      } catch (const StoreError& e) {
        if (e.code() != occhat::ErrorCode::not_found) throw;
      }
    });
    EXPECT_TRUE(store_->friend_requests(a).outgoing.empty()) << "round " << round;
    EXPECT_EQ(store_->friend_link(a, b), FriendLink::none) << "round " << round;
  }
}

// A user deleting the account on one device while sending to a room from another: each send is
// stored or refused (no longer a member), none fails on a deadlock between the room's lock and
// the user's.
TEST_P(StoreConcurrencyTest, RoomSendsRacingTheSendersDeletionAreStoredOrRefused) {
  for (std::uint32_t round = 0; round < 10; ++round) {
    const std::uint32_t a = 600000 + 2 * round, b = a + 1;
    ASSERT_TRUE(store_->create_user(a, "a@x", "a", "h"));
    ASSERT_TRUE(store_->create_user(b, "b@x", "b", "h"));
    store_->add_friend(a, b);
    store_->add_friend(b, a);
    const auto room = store_->create_room(a, "r", 100).room.id;
    RoomChange invite;
    invite.kind = RoomChange::Kind::invite;
    invite.room_id = room;
    invite.actor = a;
    invite.users = {b};
    store_->change_room(invite);
    RoomChange join;
    join.kind = RoomChange::Kind::join;
    join.room_id = room;
    join.actor = b;
    store_->change_room(join);
    in_parallel(2, [&](int i, Store& store) {
      if (i == 0) {
        store.delete_user(a);
        return;
      }
      for (int k = 0; k < 20; ++k) {
        try {
          store.send_room_message(a, room, "m", "", {});
        } catch (const StoreError& e) {
          if (e.code() != occhat::ErrorCode::not_allowed && e.code() != occhat::ErrorCode::not_found) throw;
        }
      }
    });
    EXPECT_FALSE(store_->is_room_member(a, room)) << "round " << round;
  }
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreConcurrencyTest);

}  // namespace

// Picking user ids (server/src/user_ids.*): random in range, a taken id drawn again, a nearly
// full id space refused. Against a real SQLite store in a temp dir.

#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "occhat/store/store.hpp"
#include "user_ids.hpp"

namespace occhat::server {
namespace {

namespace fs = std::filesystem;
using store::StoreError;

class UserIdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);  // the server's init_crypto() does this before any draw
    char tmpl[] = "/tmp/occhat-user-ids-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // No fsync per commit: one test below commits 2000 times.
    store_ = store::open_store((dir_ / "occhat.db").string(), {.durability = store::Durability::process});
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A draw that returns `ids` in turn (the last one forever), counting the draws.
  std::function<std::uint32_t(const UserIdSpace&)> scripted(std::vector<std::uint32_t> ids) {
    return [this, ids = std::move(ids)](const UserIdSpace&) { return ids.at(std::min(draws_++, ids.size() - 1)); };
  }

  static ErrorCode failure_of(const std::function<void()>& f, std::string& message) {
    try {
      f();
    } catch (const StoreError& e) {
      message = e.what();
      return e.code();
    }
    return ErrorCode::ok;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::size_t draws_ = 0;
};

TEST_F(UserIdsTest, FreshIdsAreInRangeUniqueAndRandom) {
  constexpr int kUsers = 2000;
  std::set<std::uint32_t> ids;
  for (int i = 0; i < kUsers; ++i) {
    const auto id = create_user_with_new_id(*store_, "u@x", "u" + std::to_string(i), "h").id;
    ASSERT_GE(id, store::kMinUserId);
    ASSERT_LE(id, store::kMaxUserId);
    ASSERT_EQ(store_->find_user(id)->nick, "u" + std::to_string(i));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kUsers));
  EXPECT_EQ(store_->user_count(), static_cast<std::uint64_t>(kUsers));
  // Random, not sequential: 2000 ids spread over 900000 values are not one dense run.
  EXPECT_GT(*ids.rbegin() - *ids.begin(), 100000u);
}

TEST_F(UserIdsTest, RandomIdsStayInTheSpace) {
  const UserIdSpace space{200, 209};
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_user_id(space));
  EXPECT_EQ(seen, (std::set<std::uint32_t>{200, 201, 202, 203, 204, 205, 206, 207, 208, 209}));
}

TEST_F(UserIdsTest, ATakenIdIsDrawnAgain) {
  ASSERT_TRUE(store_->create_user(111111, "a@x", "alice", "h"));
  ASSERT_TRUE(store_->create_user(222222, "b@x", "bob", "h"));
  const auto id = create_user_with_new_id(*store_, "c@x", "carol", "hc", {}, scripted({111111, 222222, 333333})).id;
  EXPECT_EQ(id, 333333u);
  EXPECT_EQ(draws_, 3u);
  EXPECT_EQ(store_->find_user(333333)->nick, "carol");
  EXPECT_EQ(store_->password_hash(333333), "hc");
  EXPECT_EQ(store_->find_user(111111)->nick, "alice");  // the taken ones are untouched
}

TEST_F(UserIdsTest, ANinetyPercentFullSpaceIsRefused) {
  const UserIdSpace space{100000, 100009};  // 10 ids: 9 may be handed out
  std::set<std::uint32_t> ids;
  for (int i = 0; i < 9; ++i) {
    const auto id = create_user_with_new_id(*store_, "u@x", "u", "h", space).id;
    ASSERT_GE(id, space.first);
    ASSERT_LE(id, space.last);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 9u);
  std::string message;
  EXPECT_EQ(failure_of([&] { create_user_with_new_id(*store_, "u@x", "u", "h", space); }, message),
            ErrorCode::resource_exhausted);
  EXPECT_EQ(message, "no free user ids left");
  EXPECT_EQ(store_->user_count(), 9u);
}

TEST_F(UserIdsTest, HundredCollisionsInARowGiveUp) {
  ASSERT_TRUE(store_->create_user(111111, "a@x", "alice", "h"));
  std::string message;
  EXPECT_EQ(failure_of([&] { create_user_with_new_id(*store_, "b@x", "bob", "h", {}, scripted({111111})); }, message),
            ErrorCode::resource_exhausted);
  EXPECT_EQ(message, "no free user id found");
  EXPECT_EQ(draws_, 100u);
  EXPECT_EQ(store_->user_count(), 1u);
}

// Filling a small space the way the server does (register, then IdSpaceWatch::observe with the
// returned count): one warning at 50%, 75% and 90% each, then registrations are refused.
TEST_F(UserIdsTest, FillingTheSpaceWarnsOncePerThreshold) {
  const UserIdSpace space{100000, 100019};  // 20 ids: warnings at 10, 15 and 18 users
  IdSpaceWatch watch(space);
  EXPECT_EQ(watch.observe(store_->user_count()), 0);  // start-up, empty store
  std::vector<std::pair<std::uint64_t, int>> warnings;
  for (int i = 0; i < 18; ++i) {
    const auto created = create_user_with_new_id(*store_, "u@x", "u", "h", space);
    ASSERT_EQ(created.users, static_cast<std::uint64_t>(i + 1));
    if (const int percent = watch.observe(created.users)) warnings.emplace_back(created.users, percent);
  }
  EXPECT_EQ(warnings, (std::vector<std::pair<std::uint64_t, int>>{{10, 50}, {15, 75}, {18, 90}}));
  std::string message;
  EXPECT_EQ(failure_of([&] { create_user_with_new_id(*store_, "u@x", "u", "h", space); }, message),
            ErrorCode::resource_exhausted);
  EXPECT_EQ(watch.observe(store_->user_count()), 0);  // already reported
  EXPECT_NE(id_space_warning(90, 18, 20).find("18 of 20 user ids taken"), std::string::npos);
  EXPECT_NE(id_space_warning(90, 18, 20).find("refused"), std::string::npos);
  EXPECT_NE(id_space_warning(50, 10, 20).find("refused at 90%"), std::string::npos);
}

TEST(IdSpaceWatchTest, StartUpReportsOnlyTheHighestThresholdReached) {
  IdSpaceWatch watch;  // the real space: 900000 ids
  ASSERT_EQ(watch.size(), 900000u);
  EXPECT_EQ(watch.observe(720000), 75);  // 80% at start-up: one line, for 75%
  EXPECT_EQ(watch.observe(720001), 0);
  EXPECT_EQ(watch.observe(809999), 0);
  EXPECT_EQ(watch.observe(810000), 90);
  EXPECT_EQ(watch.observe(810000), 0);
}

TEST(IdSpaceWatchTest, BelowHalfNothingIsReportedAndADropReArms) {
  IdSpaceWatch watch(UserIdSpace{1, 100});
  EXPECT_EQ(watch.observe(0), 0);
  EXPECT_EQ(watch.observe(49), 0);
  EXPECT_EQ(watch.observe(50), 50);
  EXPECT_EQ(watch.observe(51), 0);
  EXPECT_EQ(watch.observe(40), 0);  // fell below 50%
  EXPECT_EQ(watch.observe(50), 50);  // crossing again is a new crossing
}

}  // namespace
}  // namespace occhat::server

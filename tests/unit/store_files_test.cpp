// occhat::store files: uploads, resume lookup, publishing with its inbox item, listing, expiry; on
// every backend (store_backends.hpp).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::ErrorCode;
using occhat::store::AddFriendState;
using occhat::store::FileRecord;
using occhat::store::InboxItem;
using occhat::store::Sha256;
using occhat::store::StoreError;

Sha256 sha(std::uint8_t fill) {
  Sha256 digest{};
  digest.fill(fill);
  return digest;
}

class StoreFilesTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "$h"));
    ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "$h"));
    ASSERT_TRUE(store_->create_user(carol_, "c@x", "carol", "$h"));
    ASSERT_EQ(store_->add_friend(alice_, bob_).state, AddFriendState::requested);
    ASSERT_EQ(store_->add_friend(bob_, alice_).state, AddFriendState::now_friends);
  }
  static ErrorCode code_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const StoreError& e) {
      return e.code();
    }
    return ErrorCode::ok;
  }

  std::uint32_t alice_ = 314159, bob_ = 271828, carol_ = 141421;
};

TEST_P(StoreFilesTest, SchemaIncludesTheFilesMigration) { EXPECT_GE(store_->schema_version(), 3); }

TEST_P(StoreFilesTest, BeginUploadNeedsAnExistingFriend) {
  EXPECT_EQ(code_of([&] { store_->begin_upload(alice_, carol_, "x", 1, sha(1)); }), ErrorCode::not_allowed);
  EXPECT_EQ(code_of([&] { store_->begin_upload(alice_, 42, "x", 1, sha(1)); }), ErrorCode::not_found);
  EXPECT_TRUE(store_->list_files(alice_, 0).empty());
}

TEST_P(StoreFilesTest, UploadRowAndResumeLookupByKey) {
  const auto first = store_->begin_upload(alice_, bob_, "a.bin", 100, sha(1));
  EXPECT_FALSE(first.resumed);
  EXPECT_GT(first.upload.id, 0u);
  const auto found = store_->find_upload(first.upload.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->sender, alice_);
  EXPECT_EQ(found->recipient, bob_);
  EXPECT_EQ(found->size, 100u);
  EXPECT_EQ(found->sha256, sha(1));

  // Same key: the same upload, renamed.
  const auto again = store_->begin_upload(alice_, bob_, "renamed.bin", 100, sha(1));
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(again.upload.id, first.upload.id);
  EXPECT_EQ(store_->find_upload(first.upload.id)->name, "renamed.bin");

  // Any part of the key different: a new upload.
  EXPECT_NE(store_->begin_upload(alice_, bob_, "a", 101, sha(1)).upload.id, first.upload.id);
  EXPECT_NE(store_->begin_upload(alice_, bob_, "a", 100, sha(2)).upload.id, first.upload.id);
  EXPECT_NE(store_->begin_upload(bob_, alice_, "a", 100, sha(1)).upload.id, first.upload.id);

  EXPECT_TRUE(store_->delete_upload(first.upload.id));
  EXPECT_FALSE(store_->find_upload(first.upload.id));
  EXPECT_FALSE(store_->delete_upload(first.upload.id));
}

TEST_P(StoreFilesTest, PublishCreatesTheFileAndTheInboxItemTogether) {
  const auto upload = store_->begin_upload(alice_, bob_, "report.pdf", 5, sha(7)).upload;
  const auto uploading = store_->find_file(upload.id);
  ASSERT_TRUE(uploading);
  EXPECT_EQ(uploading->state, FileRecord::State::uploading);

  const auto result = store_->publish_upload(upload.id);
  EXPECT_EQ(result.file.id, upload.id);
  EXPECT_EQ(result.file.state, FileRecord::State::available);
  EXPECT_EQ(result.file.name, "report.pdf");
  EXPECT_EQ(result.file.sender_nick, "alice");
  EXPECT_EQ(result.item.user_id, bob_);
  EXPECT_EQ(result.item.kind, InboxItem::Kind::file);
  EXPECT_FALSE(store_->find_upload(upload.id));
  EXPECT_EQ(code_of([&] { store_->publish_upload(upload.id); }), ErrorCode::not_found);

  const auto page = store_->fetch_inbox(bob_, 0, 100);
  ASSERT_EQ(page.items.size(), 2u);  // alice's friend request, then the file
  EXPECT_EQ(page.items.back().kind, InboxItem::Kind::file);
  EXPECT_EQ(page.items.back().seq, result.item.seq);
  EXPECT_EQ(page.items.back().file.id, upload.id);
  EXPECT_EQ(page.items.back().file.size, 5u);
  EXPECT_EQ(page.items.back().file.sha256, sha(7));
  EXPECT_EQ(page.items.back().other_user, alice_);

  // Survives a reopen.
  reopen();
  const auto file = store_->find_file(upload.id);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->state, FileRecord::State::available);
}

TEST_P(StoreFilesTest, ListingShowsBothDirectionsToPartiesOnly) {
  const auto to_bob = store_->begin_upload(alice_, bob_, "one", 1, sha(1)).upload.id;
  store_->publish_upload(to_bob);
  const auto to_alice = store_->begin_upload(bob_, alice_, "two", 2, sha(2)).upload.id;
  ASSERT_EQ(store_->add_friend(alice_, carol_).state, AddFriendState::requested);
  ASSERT_EQ(store_->add_friend(carol_, alice_).state, AddFriendState::now_friends);
  const auto to_carol = store_->begin_upload(alice_, carol_, "three", 3, sha(3)).upload.id;
  store_->publish_upload(to_carol);

  const auto with_bob = store_->list_files(alice_, bob_);
  ASSERT_EQ(with_bob.size(), 2u);
  EXPECT_EQ(with_bob[0].id, to_bob);
  EXPECT_EQ(with_bob[0].state, FileRecord::State::available);
  EXPECT_EQ(with_bob[1].id, to_alice);
  EXPECT_EQ(with_bob[1].state, FileRecord::State::uploading);
  EXPECT_EQ(store_->list_files(bob_, alice_).size(), 2u);
  EXPECT_EQ(store_->list_files(alice_, 0).size(), 3u);
  EXPECT_EQ(store_->list_files(bob_, 0).size(), 2u);
  EXPECT_TRUE(store_->list_files(carol_, bob_).empty());
  ASSERT_EQ(store_->list_files(carol_, 0).size(), 1u);

  // Files stay listed after unfriending.
  ASSERT_TRUE(store_->remove_friend(alice_, bob_));
  EXPECT_EQ(store_->list_files(bob_, alice_).size(), 2u);
}

TEST_P(StoreFilesTest, StaleUploadsAreThoseNotTouchedSinceTheCutoff) {
  const auto upload = store_->begin_upload(alice_, bob_, "x", 10, sha(1)).upload;
  EXPECT_TRUE(store_->stale_uploads(upload.updated_ms).empty());
  const auto stale = store_->stale_uploads(upload.updated_ms + 1);
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0].id, upload.id);
  // A published file is never stale.
  store_->publish_upload(upload.id);
  EXPECT_TRUE(store_->stale_uploads(upload.updated_ms + 1000000).empty());
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreFilesTest);

}  // namespace

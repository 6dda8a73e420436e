// Export and import (occhat-server export/import) on every backend (store_backends.hpp): a store
// exported and imported into an empty one exports the same records, behaves the same (history,
// inbox, passwords), keeps handing out new ids above the imported ones, refuses a non-empty
// target without merge, merges idempotently, and a bad dump imports nothing.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "dump_export.hpp"
#include "dump_format.hpp"
#include "dump_import.hpp"
#include "occhat/proto/sha256.hpp"
#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

namespace fs = std::filesystem;
using occhat::ErrorCode;
using occhat::store::RoomChange;
using occhat::store::Store;
using occhat::store::StoreError;
namespace dump = occhat::server::dump;

class StoreDumpTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    char tmpl[] = "/tmp/occhat-dump-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    work_ = tmpl;
  }

  void TearDown() override {
    target_.reset();
    if (!target_schema_.empty()) {
      std::string error;
      occhat::testing::pg_admin(pg_uri_, "DROP SCHEMA IF EXISTS " + target_schema_ + " CASCADE", error);
    }
    if (!work_.empty()) fs::remove_all(work_);
    StoreBackendTest::TearDown();
  }

  // A second, empty store on the same backend.
  Store& target() {
    if (target_) return *target_;
    if (GetParam() == occhat::testing::StoreBackend::postgresql) {
      target_schema_ = schema_ + "_target";
      std::string error;
      EXPECT_TRUE(occhat::testing::pg_admin(pg_uri_, "CREATE SCHEMA " + target_schema_, error)) << error;
      target_ = occhat::store::open_pg_store(pg_uri_ + (pg_uri_.find('?') == std::string::npos ? "?" : "&") +
                                             "options=-csearch_path%3D" + target_schema_);
    } else {
      target_ = occhat::store::open_store((work_ / "target.db").string());
    }
    return *target_;
  }

  // alice, bob, carol (disabled), dave (deleted): friends, a pending request, a block, a room
  // with a member and an invitation, 1:1 and room messages, a published file, acks, read markers.
  void populate() {
    ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "$argon2id$alice"));
    ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "$argon2id$bob"));
    ASSERT_TRUE(store_->create_user(carol_, "c@x", "carol", "legacy-md5$carol"));
    ASSERT_TRUE(store_->create_user(dave_, "d@x", "dave", "$argon2id$dave"));
    ASSERT_TRUE(store_->create_user(erin_, "e@x", "erin", "$argon2id$erin"));
    store_->set_discoverable(bob_, true);
    store_->add_friend(alice_, bob_);
    store_->add_friend(bob_, alice_);
    store_->add_friend(alice_, erin_);
    store_->add_friend(erin_, alice_);
    store_->add_friend(carol_, alice_);  // pending
    store_->add_friend(dave_, bob_);
    store_->add_friend(bob_, dave_);
    store_->block_user(bob_, carol_);
    store_->send_message(alice_, bob_, "hello bob", "c1");
    store_->send_message(bob_, alice_, "hi alice", "");
    store_->send_message(alice_, bob_, "lunch?", "c2");
    room_ = store_->create_room(alice_, "lounge", 10).room.id;
    RoomChange invite;
    invite.kind = RoomChange::Kind::invite;
    invite.room_id = room_;
    invite.actor = alice_;
    invite.users = {bob_};
    store_->change_room(invite);
    RoomChange join = invite;
    join.kind = RoomChange::Kind::join;
    join.actor = bob_;
    join.users = {};
    store_->change_room(join);
    invite.users = {erin_};
    store_->change_room(invite);  // erin stays invited
    store_->send_room_message(bob_, room_, "hey @111111", "r1", {alice_});
    const std::string bytes = "the file's bytes";
    occhat::proto::Sha256 hash;
    hash.update(bytes);
    const auto digest = hash.finish();
    const auto upload = store_->begin_upload(alice_, bob_, "notes.txt", bytes.size(), digest);
    file_id_ = store_->publish_upload(upload.upload.id).file.id;
    fs::create_directories(work_ / "files" / "published");
    std::ofstream(work_ / "files" / "published" / std::to_string(file_id_), std::ios::binary) << bytes;
    store_->ack(alice_, 2);
    store_->mark_read(bob_, alice_, 0);
    store_->set_user_disabled(carol_, true);
    store_->delete_user(dave_);
  }

  std::string export_text(Store& store, std::optional<fs::path> files_dir = std::nullopt) {
    std::ostringstream out;
    dump::export_dump(store, out, {.source = "test", .files_dir = std::move(files_dir)});
    return out.str();
  }

  // The dump without its header line (which carries the export time).
  static std::string records(const std::string& text) { return text.substr(text.find('\n') + 1); }

  dump::ImportSummary import_text(Store& store, const std::string& text, bool merge = false,
                                  std::optional<fs::path> files_dir = std::nullopt) {
    std::istringstream in(text);
    return dump::import_dump(store, in, {.files_dir = std::move(files_dir), .merge = merge});
  }

  std::uint32_t alice_ = 111111, bob_ = 222222, carol_ = 333333, dave_ = 444444, erin_ = 555555;
  std::uint32_t room_ = 0;
  std::uint64_t file_id_ = 0;
  fs::path work_;
  std::unique_ptr<Store> target_;
  std::string target_schema_;
};

TEST_P(StoreDumpTest, RoundTripExportsTheSameRecords) {
  populate();
  const auto first = export_text(*store_);
  const auto summary = import_text(target(), first);
  EXPECT_EQ(summary.added[static_cast<std::size_t>(occhat::store::DumpTable::users)], 5u);
  EXPECT_EQ(summary.added, summary.read);
  EXPECT_EQ(records(export_text(target())), records(first));
  // Each kind of record is there.
  for (const char* type : {"\"user\"", "\"friendship\"", "\"friend_request\"", "\"block\"", "\"room\"",
                           "\"room_member\"", "\"room_invite\"", "\"message\"", "\"room_message\"", "\"file\"",
                           "\"inbox_state\"", "\"inbox_item\"", "\"read_marker\"", "\"deleted_ms\"",
                           "\"mentions\":[111111]", "\"disabled\":true", "legacy-md5$carol"}) {
    EXPECT_NE(first.find(type), std::string::npos) << type;
  }
}

TEST_P(StoreDumpTest, RecordsMayComeInAnyOrder) {
  populate();
  const auto text = export_text(*store_, work_ / "files");
  // Header first and end last; every record in between reversed, except a file's data lines,
  // which keep their order (here: one line).
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::reverse(lines.begin() + 1, lines.end() - 1);
  std::string reversed;
  for (const auto& line : lines) reversed += line + "\n";
  import_text(target(), reversed, false, work_ / "restored");
  EXPECT_EQ(records(export_text(target(), work_ / "restored")), records(text));
}

TEST_P(StoreDumpTest, ImportedStoreBehavesAsTheOriginal) {
  populate();
  import_text(target(), export_text(*store_));
  auto& t = target();
  EXPECT_EQ(t.password_hash(alice_), "$argon2id$alice");
  EXPECT_EQ(t.password_hash(carol_), "legacy-md5$carol");
  EXPECT_TRUE(t.user_disabled(carol_));
  EXPECT_FALSE(t.find_user(dave_)) << "a tombstone stays one";
  EXPECT_FALSE(t.create_user(dave_, "new@x", "new", "h")) << "a deleted account's id is never given out again";
  EXPECT_TRUE(t.find_user(bob_)->discoverable);
  EXPECT_TRUE(t.are_friends(alice_, bob_));
  EXPECT_EQ(t.friend_requests(alice_).incoming.size(), 1u);
  EXPECT_EQ(t.blocked_users(bob_).size(), 1u);
  const auto history = t.history(alice_, bob_, 10, 0);
  ASSERT_EQ(history.messages.size(), 3u);
  EXPECT_EQ(history.messages[2].text, "lunch?");
  EXPECT_EQ(t.inbox_state(alice_).acked_seq, store_->inbox_state(alice_).acked_seq);
  const auto inbox = t.fetch_inbox(bob_, 0, 100);
  const auto original = store_->fetch_inbox(bob_, 0, 100);
  ASSERT_EQ(inbox.items.size(), original.items.size());
  for (std::size_t i = 0; i < inbox.items.size(); ++i) {
    EXPECT_EQ(inbox.items[i].seq, original.items[i].seq);
    EXPECT_EQ(inbox.items[i].kind, original.items[i].kind);
    EXPECT_EQ(inbox.items[i].message.text, original.items[i].message.text);
  }
  EXPECT_EQ(t.room_history(bob_, room_, 10, 0).messages.size(), 1u);
  EXPECT_EQ(t.rooms(erin_).invites.size(), 1u);
  EXPECT_EQ(t.unread_count(bob_, alice_), store_->unread_count(bob_, alice_));
  EXPECT_EQ(t.find_file(file_id_)->name, "notes.txt");
  // A resent message with an imported client id is still a duplicate.
  EXPECT_TRUE(t.send_message(alice_, bob_, "hello bob", "c1").duplicate);

  // New ids continue above the imported ones in every id space.
  const auto message = t.send_message(alice_, bob_, "after the move", "");
  EXPECT_GT(message.message_id, history.messages.back().id);
  EXPECT_GT(message.item->seq, original.items.back().seq);
  EXPECT_GT(t.create_room(alice_, "second", 10).room.id, room_);
  EXPECT_GT(t.send_room_message(alice_, room_, "again", "", {}).message_id, 1u);
  occhat::proto::Sha256Digest digest{};
  EXPECT_GT(t.begin_upload(alice_, bob_, "x", 1, digest).upload.id, file_id_);
}

TEST_P(StoreDumpTest, AStoreWithoutRoomsOrMessagesStillStartsItsIdsAtTheFirst) {
  ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "h"));
  ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "h"));
  store_->add_friend(alice_, bob_);
  store_->add_friend(bob_, alice_);
  import_text(target(), export_text(*store_));
  EXPECT_EQ(target().create_room(alice_, "first", 10).room.id, occhat::store::kMinRoomId);
  EXPECT_EQ(target().send_message(alice_, bob_, "first", "").message_id, 1u);
}

TEST_P(StoreDumpTest, RefusesANonEmptyStoreAndMergesIdempotently) {
  populate();
  const auto text = export_text(*store_);
  import_text(target(), text);
  try {
    import_text(target(), text);
    FAIL() << "imported into a store that is not empty";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_allowed);
    EXPECT_NE(std::string(e.what()).find("not empty"), std::string::npos) << e.what();
  }
  const auto merged = import_text(target(), text, /*merge=*/true);
  EXPECT_EQ(merged.added, occhat::store::DumpCounts{}) << "every record was there already";
  EXPECT_EQ(records(export_text(target())), records(text));
}

TEST_P(StoreDumpTest, ABadDumpImportsNothing) {
  populate();
  const auto text = export_text(*store_);
  const auto expect_error = [&](const std::string& dump_text, const std::string& expected, bool merge = false) {
    try {
      import_text(target(), dump_text, merge);
      ADD_FAILURE() << "imported a bad dump, wanted: " << expected;
    } catch (const dump::DumpFormatError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_EQ(target().user_count(), 0u) << "nothing was imported";
  };
  // A malformed third line.
  const auto second_end = text.find('\n', text.find('\n') + 1);
  expect_error(text.substr(0, second_end + 1) + "{not json\n" + text.substr(second_end + 1), "dump line 3: not JSON");
  // An unknown version, an unknown record, a missing field, a truncated dump.
  expect_error("{\"format\":\"occhat-dump\",\"version\":2}\n" + records(text), "dump line 1: dump format version 2");
  expect_error(text.substr(0, second_end + 1) + "{\"type\":\"wizard\"}\n" + text.substr(second_end + 1),
               "dump line 3: unknown record type \"wizard\"");
  expect_error(text.substr(0, second_end + 1) + "{\"type\":\"user\",\"id\":123456}\n" + text.substr(second_end + 1),
               "dump line 3: user: \"email\" is missing");
  expect_error(text.substr(0, text.rfind("{\"type\":\"end\"")), "without its end record");
  // Records that parse but do not fit together: a message from a user the dump does not have
  // is named by its line; merged (where the user might be in the store) the store refuses it in
  // its one transaction, after the users went in, and undoes them.
  const auto body = text.substr(0, text.rfind("{\"type\":\"end\""));
  const auto bad_line = std::count(body.begin(), body.end(), '\n') + 1;
  const auto bad = body + "{\"type\":\"message\",\"id\":99,\"from\":999998,\"to\":111111,\"text\":\"x\",\"time_ms\":1}\n" +
                   "{\"type\":\"end\"}\n";
  expect_error(bad, "dump line " + std::to_string(bad_line) + ": message names user 999998, which the dump does not have");
  expect_error(bad, "cannot import a row of messages", /*merge=*/true);
}

TEST_P(StoreDumpTest, FileBytesTravelInTheDumpAndAreChecked) {
  populate();
  const auto text = export_text(*store_, work_ / "files");
  EXPECT_NE(text.find("\"type\":\"file_data\""), std::string::npos);
  const auto summary = import_text(target(), text, false, work_ / "restored");
  EXPECT_EQ(summary.files_with_bytes, 1u);
  std::ifstream copy(work_ / "restored" / "published" / std::to_string(file_id_), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(copy), {}), "the file's bytes");
  EXPECT_FALSE(fs::exists(work_ / "restored" / ("import-" + std::to_string(::getpid()) + ".tmp")));

}

TEST_P(StoreDumpTest, FileBytesThatDoNotMatchOrHaveNowhereToGoImportNothing) {
  populate();
  const auto text = export_text(*store_, work_ / "files");
  const auto expect_error = [&](const std::string& dump_text, std::optional<fs::path> files_dir,
                                const std::string& expected) {
    try {
      import_text(target(), dump_text, false, files_dir);
      ADD_FAILURE() << "imported, wanted: " << expected;
    } catch (const dump::DumpFormatError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_EQ(target().user_count(), 0u) << "nothing was imported";
  };
  expect_error(text, std::nullopt, "give --files-dir");
  std::string damaged = text;
  const auto data = damaged.find("\"data\":\"") + 8;
  damaged[data] = damaged[data] == 'A' ? 'B' : 'A';
  expect_error(damaged, work_ / "restored", "do not match its sha256");
  EXPECT_FALSE(fs::exists(work_ / "restored" / "published" / std::to_string(file_id_)));
  EXPECT_FALSE(fs::exists(work_ / "restored" / ("import-" + std::to_string(::getpid()) + ".tmp")));

  // Other bytes already under the file's id (another store's files directory) are kept and the
  // import refused; the same bytes (an import killed before its commit) are taken as they are.
  const auto other = work_ / "other" / "published" / std::to_string(file_id_);
  fs::create_directories(other.parent_path());
  std::ofstream(other, std::ios::binary) << "someone else's bytes";
  try {
    import_text(target(), text, false, work_ / "other");
    ADD_FAILURE() << "imported over other bytes";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("holds other bytes than the dump's file"), std::string::npos) << e.what();
  }
  EXPECT_EQ(target().user_count(), 0u);
  std::ifstream kept(other, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "someone else's bytes");
  std::ofstream(other, std::ios::binary | std::ios::trunc) << "the file's bytes";
  EXPECT_EQ(import_text(target(), text, false, work_ / "other").files_with_bytes, 1u);
}

}  // namespace

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreDumpTest);

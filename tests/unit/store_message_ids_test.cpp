// 1:1 message ids on every backend (store_backends.hpp): they only grow, also across the
// migration that took AUTOINCREMENT off SQLite's messages table (schema step 8 -> 9), and a
// store of the previous schema keeps every id it had.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::store::AddFriendState;

class StoreMessageIdsTest : public occhat::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_user(alice_, "a@x", "alice", "$h"));
    ASSERT_TRUE(store_->create_user(bob_, "b@x", "bob", "$h"));
    ASSERT_EQ(store_->add_friend(alice_, bob_).state, AddFriendState::requested);
    ASSERT_EQ(store_->add_friend(bob_, alice_).state, AddFriendState::now_friends);
  }
  // The SQLite file's row for `table` in sqlite_sequence, -1 when it has none.
  std::int64_t sqlite_sequence_of(const std::string& table) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(location_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT seq FROM sqlite_sequence WHERE name = ?1", -1, &stmt, nullptr), SQLITE_OK);
    sqlite3_bind_text(stmt, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    const std::int64_t seq = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return seq;
  }
  std::vector<std::uint64_t> history_ids() {
    std::vector<std::uint64_t> ids;
    for (const auto& message : store_->history(alice_, bob_, 1000, 0).messages) ids.push_back(message.id);
    return ids;
  }

  std::uint32_t alice_ = 314159, bob_ = 271828;
};

TEST_P(StoreMessageIdsTest, IdsOnlyGrowAndAreNeverHandedOutTwice) {
  std::uint64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    const auto sent = store_->send_message(i % 2 == 0 ? alice_ : bob_, i % 2 == 0 ? bob_ : alice_,
                                           "m" + std::to_string(i), "c" + std::to_string(i));
    EXPECT_GT(sent.message_id, last);
    last = sent.message_id;
  }
  // A resend answers with its original id and takes none.
  EXPECT_EQ(store_->send_message(alice_, bob_, "m0", "c0").duplicate, true);
  reopen();
  EXPECT_GT(store_->send_message(alice_, bob_, "after a restart", "").message_id, last);
}

TEST_P(StoreMessageIdsTest, SendingWritesNoSequenceRowOnSqlite) {
  store_->send_message(alice_, bob_, "hello", "");
  store_->send_message(bob_, alice_, "hi", "");
  if (GetParam() == occhat::testing::StoreBackend::postgresql) GTEST_SKIP() << "SQLite only";
  store_.reset();
  // AUTOINCREMENT rewrote this row (one more WAL page) in every send's commit.
  EXPECT_EQ(sqlite_sequence_of("messages"), -1);
}

TEST_P(StoreMessageIdsTest, AStoreOfSchema8KeepsItsIdsAndGoesOnAfterTheHighest) {
  for (int i = 0; i < 5; ++i) store_->send_message(alice_, bob_, "m" + std::to_string(i), "c" + std::to_string(i));
  const auto before = history_ids();
  ASSERT_EQ(before.size(), 5u);
  // Back to a schema-8 file: messages with AUTOINCREMENT, its sequence row, as the previous
  // release left it (an inbox row references a message, so the rebuild must keep references).
  raw_sql(
      "PRAGMA foreign_keys = OFF; BEGIN; "
      "CREATE TABLE old_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, sender INTEGER NOT NULL REFERENCES users(id), "
      "  recipient INTEGER NOT NULL REFERENCES users(id), pair_key INTEGER NOT NULL, text TEXT NOT NULL, "
      "  created_ms INTEGER NOT NULL, client_msg_id BLOB); "
      "INSERT INTO old_messages SELECT id, sender, recipient, pair_key, text, created_ms, client_msg_id FROM messages; "
      "DROP TABLE messages; ALTER TABLE old_messages RENAME TO messages; "
      "CREATE INDEX messages_by_pair ON messages(pair_key, id); "
      "CREATE UNIQUE INDEX messages_by_client_id ON messages(sender, client_msg_id) WHERE client_msg_id IS NOT NULL; "
      "PRAGMA user_version = 8; COMMIT;",
      "UPDATE schema_version SET version = 8;");
  if (GetParam() == occhat::testing::StoreBackend::sqlite) {
    ASSERT_GE(sqlite_sequence_of("messages"), static_cast<std::int64_t>(before.back()));
  }
  reopen();
  EXPECT_GE(store_->schema_version(), 9);
  EXPECT_EQ(history_ids(), before);
  // The inbox still names the messages (its rows reference them by id).
  const auto inbox = store_->fetch_inbox(bob_, 0, 100).items;
  ASSERT_FALSE(inbox.empty());
  EXPECT_EQ(inbox.back().message.id, before.back());
  EXPECT_EQ(inbox.back().message.text, "m4");
  // Resends still find their originals through the rebuilt client-id index.
  const auto resent = store_->send_message(alice_, bob_, "m2", "c2");
  EXPECT_TRUE(resent.duplicate);
  EXPECT_EQ(resent.message_id, before[2]);
  EXPECT_GT(store_->send_message(bob_, alice_, "after the migration", "").message_id, before.back());
  if (GetParam() == occhat::testing::StoreBackend::sqlite) {
    store_.reset();
    EXPECT_EQ(sqlite_sequence_of("messages"), -1);
  }
}

OCCHAT_INSTANTIATE_STORE_BACKENDS(StoreMessageIdsTest);

}  // namespace

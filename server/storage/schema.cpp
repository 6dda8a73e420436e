#include "schema.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "occhat/store/store.hpp"

namespace occhat::store::sqlite {
namespace {

// Append-only: step N brings the schema from version N to N+1. Never edit a released step;
// add a new one (files in the field are already at the old step's result).
constexpr std::array<std::string_view, 9> kMigrations{
    // 0 -> 1: accounts and login sessions.
    R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  email         TEXT    NOT NULL,
  nick          TEXT    NOT NULL,
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash    BLOB    PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
)sql",
    // 1 -> 2: friends, messages, per-user inbox.
    // A friendship is two rows (one per direction) so "friends of X" and "are X and Y friends"
    // are both primary-key lookups. pair_key = (min(a,b) << 32) | max(a,b) names a conversation;
    // (pair_key, id) serves history pages. The inbox is keyed by (user, seq): fetches and acks are
    // range scans. An empty client_msg_id is stored as NULL so the partial unique index only
    // covers sends that asked for de-duplication.
    R"sql(
CREATE TABLE friendships (
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  friend_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, friend_id)
) WITHOUT ROWID;
CREATE TABLE friend_requests (
  from_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  to_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (from_id, to_id)
) WITHOUT ROWID;
CREATE INDEX friend_requests_by_to ON friend_requests(to_id, created_ms);
CREATE TABLE messages (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  sender        INTEGER NOT NULL REFERENCES users(id),
  recipient     INTEGER NOT NULL REFERENCES users(id),
  pair_key      INTEGER NOT NULL,
  text          TEXT    NOT NULL,
  created_ms    INTEGER NOT NULL,
  client_msg_id BLOB
);
CREATE INDEX messages_by_pair ON messages(pair_key, id);
CREATE UNIQUE INDEX messages_by_client_id ON messages(sender, client_msg_id) WHERE client_msg_id IS NOT NULL;
CREATE TABLE inbox (
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  kind       INTEGER NOT NULL,
  message_id INTEGER REFERENCES messages(id),
  other_user INTEGER NOT NULL,
  accepted   INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
CREATE TABLE inbox_state (
  user_id   INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  last_seq  INTEGER NOT NULL DEFAULT 0,
  acked_seq INTEGER NOT NULL DEFAULT 0
);
)sql",
    // 2 -> 3: files. An upload and the file it becomes share one id (files.id is taken from
    // uploads' AUTOINCREMENT, never reused), so clients follow one number from begin to download.
    // Unfinished uploads are found again by (sender, recipient, size, sha256) to resume them.
    // A file notice in the inbox references its file.
    R"sql(
CREATE TABLE uploads (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  sender     INTEGER NOT NULL REFERENCES users(id),
  recipient  INTEGER NOT NULL REFERENCES users(id),
  pair_key   INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  size       INTEGER NOT NULL,
  sha256     BLOB    NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX uploads_by_key ON uploads(sender, recipient, size, sha256);
CREATE INDEX uploads_by_pair ON uploads(pair_key, id);
CREATE INDEX uploads_by_updated ON uploads(updated_ms);
CREATE TABLE files (
  id         INTEGER PRIMARY KEY,
  sender     INTEGER NOT NULL REFERENCES users(id),
  recipient  INTEGER NOT NULL REFERENCES users(id),
  pair_key   INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  size       INTEGER NOT NULL,
  sha256     BLOB    NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX files_by_pair ON files(pair_key, id);
CREATE INDEX files_by_sender ON files(sender, id);
CREATE INDEX files_by_recipient ON files(recipient, id);
ALTER TABLE inbox ADD COLUMN file_id INTEGER REFERENCES files(id);
)sql",
    // 3 -> 4: friend-request notices, so repeated requests cannot flood an inbox. One row per
    // (target, asker): the seq of the latest friend-request notice `from_id` put into `to_id`'s
    // inbox. It outlives a withdrawn request (add/remove/add), so while that notice is not
    // acknowledged (seq > to_id's acked_seq) a new request from the same user adds no second
    // one. The row goes when `to_id` answers: accepts (either side's add completing the
    // friendship) or removes `from_id`. Filled from the notices still unacknowledged, except
    // where the two are friends already.
    R"sql(
CREATE TABLE friend_request_notices (
  to_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  from_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (to_id, from_id)
) WITHOUT ROWID;
INSERT INTO friend_request_notices(to_id, from_id, seq)
  SELECT i.user_id, i.other_user, max(i.seq) FROM inbox i JOIN inbox_state s ON s.user_id = i.user_id
  WHERE i.kind = 2 AND i.accepted = 0 AND i.seq > s.acked_seq
    AND EXISTS (SELECT 1 FROM users u WHERE u.id = i.other_user)
    AND NOT EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = i.user_id AND f.friend_id = i.other_user)
  GROUP BY i.user_id, i.other_user;
)sql",
    // 4 -> 5: rooms and blocking.
    // Room ids start at 1000000 (seeded in sqlite_sequence; AUTOINCREMENT never reuses one).
    // A member's first_message_id is the room's last message id when they joined: their
    // history starts after it. A room message is stored once; each member gets an inbox row
    // (kind 4) naming it, so rooms ride the same seq/ack/subscribe path as 1:1 messages.
    // Room events are inbox rows of kind 5 that carry their room, name, kind, subject and role
    // themselves (other_user is the actor), so they survive the room's deletion. Inbox rows
    // hold room_id without a foreign key: deleting a room deletes its rows explicitly (so do
    // files and uploads, whose room_id has no foreign key either).
    // Room files and uploads have room_id set; recipient is then the sender (the column is NOT
    // NULL and references users) and pair_key 0, so no 1:1 query ever matches them.
    R"sql(
CREATE TABLE rooms (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL,
  owner      INTEGER NOT NULL REFERENCES users(id),
  created_ms INTEGER NOT NULL
);
INSERT INTO sqlite_sequence(name, seq) VALUES('rooms', 999999);
CREATE INDEX rooms_by_owner ON rooms(owner);
CREATE TABLE room_members (
  room_id          INTEGER NOT NULL REFERENCES rooms(id),
  user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role             INTEGER NOT NULL,
  joined_ms        INTEGER NOT NULL,
  first_message_id INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_members_by_user ON room_members(user_id, room_id);
CREATE TABLE room_invites (
  room_id    INTEGER NOT NULL REFERENCES rooms(id),
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  inviter    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_invites_by_user ON room_invites(user_id, room_id);
CREATE TABLE room_messages (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id       INTEGER NOT NULL REFERENCES rooms(id),
  sender        INTEGER NOT NULL REFERENCES users(id),
  text          TEXT    NOT NULL,
  mentions      TEXT,
  created_ms    INTEGER NOT NULL,
  client_msg_id BLOB
);
CREATE INDEX room_messages_by_room ON room_messages(room_id, id);
CREATE UNIQUE INDEX room_messages_by_client_id ON room_messages(sender, client_msg_id) WHERE client_msg_id IS NOT NULL;
ALTER TABLE inbox ADD COLUMN room_message_id INTEGER;
ALTER TABLE inbox ADD COLUMN room_id INTEGER;
ALTER TABLE inbox ADD COLUMN room_name TEXT;
ALTER TABLE inbox ADD COLUMN event_kind INTEGER;
ALTER TABLE inbox ADD COLUMN subject INTEGER;
ALTER TABLE inbox ADD COLUMN role INTEGER;
ALTER TABLE uploads ADD COLUMN room_id INTEGER;
ALTER TABLE files ADD COLUMN room_id INTEGER;
CREATE INDEX uploads_by_room ON uploads(room_id, size, sha256) WHERE room_id IS NOT NULL;
CREATE INDEX files_by_room ON files(room_id, id) WHERE room_id IS NOT NULL;
CREATE TABLE blocks (
  blocker    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  blocked    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (blocker, blocked)
) WITHOUT ROWID;
)sql",
    // 5 -> 6: operators. A disabled account cannot log in. account_events tells a running server
    // (which polls it) whose connections an operator's command in another process ended.
    R"sql(
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
CREATE TABLE account_events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);
)sql",
    // 6 -> 7: read markers, for unread counts per conversation. `conversation` is the other
    // user's id (1:1) or a room id: the id spaces never meet, so one key covers both.
    R"sql(
CREATE TABLE read_markers (
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  conversation INTEGER NOT NULL,
  last_read_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, conversation)
) WITHOUT ROWID;
)sql",
    // 7 -> 8: accounts people manage themselves. Sessions remember the client and address that
    // last used them (for `occhat sessions`). A user may opt in to be found by nick. A deleted
    // account keeps its row as a tombstone (deleted_ms set, email and password hash emptied):
    // its id is never handed out again and others' history still names its nick.
    R"sql(
ALTER TABLE sessions ADD COLUMN client_name TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_address TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN discoverable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN deleted_ms INTEGER;
CREATE INDEX users_discoverable_by_nick ON users(nick COLLATE NOCASE) WHERE discoverable = 1 AND deleted_ms IS NULL;
)sql",
    // 8 -> 9: messages without AUTOINCREMENT, which wrote its sqlite_sequence row (one more WAL
    // page per commit) on every send. Ids stay monotonic without it because 1:1 messages are
    // never deleted (a deleted account keeps its tombstone and its history): a new id is the
    // highest one + 1, never one a client has seen. Whoever adds message deletion or retention
    // must keep the newest message's row or bring the sequence back. The table is rebuilt
    // (SQLite cannot drop AUTOINCREMENT in place) with every id kept; migrate() turns foreign
    // keys off around the steps, as the rebuild drops the table inbox rows reference.
    R"sql(
CREATE TABLE messages_new (
  id            INTEGER PRIMARY KEY,
  sender        INTEGER NOT NULL REFERENCES users(id),
  recipient     INTEGER NOT NULL REFERENCES users(id),
  pair_key      INTEGER NOT NULL,
  text          TEXT    NOT NULL,
  created_ms    INTEGER NOT NULL,
  client_msg_id BLOB
);
INSERT INTO messages_new(id, sender, recipient, pair_key, text, created_ms, client_msg_id)
  SELECT id, sender, recipient, pair_key, text, created_ms, client_msg_id FROM messages ORDER BY id;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_by_pair ON messages(pair_key, id);
CREATE UNIQUE INDEX messages_by_client_id ON messages(sender, client_msg_id) WHERE client_msg_id IS NOT NULL;
DELETE FROM sqlite_sequence WHERE name = 'messages';
)sql",
};

}  // namespace

int current_schema_version() noexcept { return static_cast<int>(kMigrations.size()); }

void migrate(Database& db) {
  // Foreign keys off while the steps run (SQLite ignores the pragma inside a transaction), so
  // that a step may rebuild a table other tables reference; checked as a whole before the
  // commit instead, and back on afterwards.
  const bool foreign_keys = db.query_int("PRAGMA foreign_keys") != 0;
  if (foreign_keys) db.exec("PRAGMA foreign_keys = OFF");
  struct Restore {
    Database& db;
    bool on;
    ~Restore() {
      // Outside any transaction it cannot fail; a destructor must not throw either way.
      if (on) sqlite3_exec(db.handle(), "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
    }
  } restore{db, foreign_keys};
  Transaction tx(db);
  const auto version = db.query_int("PRAGMA user_version");
  if (version > current_schema_version()) {
    throw StoreError(ErrorCode::internal,
                     fmt::format("database schema version {} is newer than this server understands ({})", version,
                                 current_schema_version()));
  }
  for (auto step = static_cast<std::size_t>(version); step < kMigrations.size(); ++step) {
    db.exec(kMigrations[step]);
  }
  if (version != current_schema_version()) {
    Statement dangling(db, "PRAGMA foreign_key_check");
    if (dangling.step()) throw StoreError(ErrorCode::internal, "the schema migration left a dangling reference");
    // PRAGMA takes no bound parameters; the value is our own constant.
    db.exec(fmt::format("PRAGMA user_version = {}", current_schema_version()));
  }
  tx.commit();
}

}  // namespace occhat::store::sqlite

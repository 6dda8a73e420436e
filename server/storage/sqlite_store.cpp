// The embedded default Store: one SQLite file in WAL mode.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>

#include "database.hpp"
#include "occhat/store/sqlite_store.hpp"
#include "queries.hpp"
#include "schema.hpp"
#include "wal_checkpointer.hpp"

namespace occhat::store {
namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

// Runs `f` in its own transaction: one Store call = one transaction = one commit (and, with
// synchronous=FULL, one fsync for writes; read-only transactions do not sync).
template <typename F>
auto in_transaction(Database& db, F f) {
  Transaction tx(db);
  auto result = f();
  tx.commit();
  return result;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Password and session hashes live in the database: create it owner-only (0600) before SQLite
// opens it, even in a directory the operator made (say 0755); its -wal and -shm files inherit
// the mode.
void create_owner_only(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    throw StoreError(ErrorCode::internal, fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
}

class SqliteStoreImpl final : public SqliteStore {
 public:
  SqliteStoreImpl(const std::filesystem::path& path, Durability durability)
      : checkpointer_(path.string(), durability == Durability::disk ? "FULL" : "NORMAL"), db_(path.string()) {
    db_.exec("PRAGMA busy_timeout = 5000");
    db_.exec("PRAGMA foreign_keys = ON");
    if (db_.query_int("PRAGMA foreign_keys") != 1) throw StoreError(ErrorCode::internal, "sqlite lacks foreign keys");
    {
      Statement wal(db_, "PRAGMA journal_mode = WAL");
      if (!wal.step() || wal.column_text(0) != "wal") {
        throw StoreError(ErrorCode::internal, "cannot switch the database to WAL mode");
      }
    }
    // FULL by default: in WAL mode NORMAL skips the fsync at commit, so a transaction may be
    // lost on power failure after the client was told it succeeded. Group commit keeps the
    // fsync cost affordable. NORMAL is the operator's explicit choice (--durability process):
    // still safe against a crash or kill of the server, as the WAL write itself completed.
    db_.exec(durability == Durability::disk ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    // 32 MiB of page cache (default 2 MiB): a room message touches one inbox page per member,
    // and re-reading those from the OS on every fan-out cost more than the writes themselves.
    db_.exec("PRAGMA cache_size = -32768");
    sqlite::migrate(db_);
    // From now on checkpoints run on the checkpointer's thread, not inside our commits.
    checkpointer_.attach(db_.handle());
  }

  int schema_version() override { return static_cast<int>(db_.query_int("PRAGMA user_version")); }

  void begin_batch() override { db_.run("BEGIN IMMEDIATE"); }

  void commit_batch() override {
    try {
      db_.run("COMMIT");
    } catch (const StoreError&) {
      // A failed COMMIT may leave the transaction open; end it so the next batch can begin.
      if (db_.in_transaction()) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  bool create_user(std::uint32_t id, std::string_view email, std::string_view nick,
                   std::string_view password_hash) override {
    Statement insert(db_,
                     "INSERT INTO users(id, email, nick, password_hash, created_at) VALUES(?1, ?2, ?3, ?4, ?5)");
    insert.bind(1, std::int64_t{id}).bind(2, email).bind(3, nick).bind(4, password_hash).bind(5, now_seconds());
    insert.step(/*constraint_ok=*/true);
    if (insert.constraint_failed() == SQLITE_CONSTRAINT_PRIMARYKEY) return false;
    if (insert.constraint_failed() != 0) db_.fail("cannot insert user");
    return true;
  }

  std::uint64_t user_count() override {
    return static_cast<std::uint64_t>(db_.query_int("SELECT count(*) FROM users"));
  }

  std::optional<User> find_user(std::uint32_t id) override {
    // A deleted account's tombstone is no user (its id stays taken: create_user refuses it).
    Statement stmt(db_,
                   "SELECT id, email, nick, created_at, discoverable FROM users WHERE id = ?1 AND deleted_ms IS NULL");
    stmt.bind(1, std::int64_t{id});
    if (!stmt.step()) return std::nullopt;
    User user;
    user.id = static_cast<std::uint32_t>(stmt.column_int(0));
    user.email = stmt.column_text(1);
    user.nick = stmt.column_text(2);
    user.created_at = stmt.column_int(3);
    user.discoverable = stmt.column_int(4) != 0;
    return user;
  }

  std::optional<std::string> password_hash(std::uint32_t id) override {
    Statement stmt(db_, "SELECT password_hash FROM users WHERE id = ?1 AND deleted_ms IS NULL");
    stmt.bind(1, std::int64_t{id});
    if (!stmt.step()) return std::nullopt;
    return stmt.column_text(0);
  }

  void create_session(std::uint32_t user_id, const TokenHash& token_hash, const SessionOrigin& origin) override {
    Statement stmt(db_,
                   "INSERT INTO sessions(token_hash, user_id, created_at, last_used_at, client_name, last_address) "
                   "VALUES(?1, ?2, ?3, ?3, ?4, ?5)");
    stmt.bind_blob(1, token_hash).bind(2, std::int64_t{user_id}).bind(3, now_seconds());
    stmt.bind(4, origin.client_name).bind(5, origin.address);
    stmt.step(/*constraint_ok=*/true);
    if (stmt.constraint_failed() == SQLITE_CONSTRAINT_FOREIGNKEY) {
      throw StoreError(ErrorCode::not_found, fmt::format("no user with id {}", user_id));
    }
    // A duplicate 256-bit random token hash is not a thing that happens; treat it as a failure.
    if (stmt.constraint_failed() != 0) db_.fail("cannot insert session");
  }

  std::optional<std::uint32_t> user_for_session(const TokenHash& token_hash, const SessionOrigin& origin) override {
    // An empty origin (a caller that does not know it) leaves the stored one.
    Statement stmt(db_,
                   "UPDATE sessions SET last_used_at = ?2, last_address = iif(?3 = '', last_address, ?3), "
                   "client_name = iif(?4 = '', client_name, ?4) WHERE token_hash = ?1 RETURNING user_id");
    stmt.bind_blob(1, token_hash).bind(2, now_seconds()).bind(3, origin.address).bind(4, origin.client_name);
    if (!stmt.step()) return std::nullopt;
    const auto user_id = static_cast<std::uint32_t>(stmt.column_int(0));
    // Drain so the UPDATE completes (and commits) before the statement is finalized.
    while (stmt.step()) {
    }
    return user_id;
  }

  bool delete_session(const TokenHash& token_hash) override {
    Statement stmt(db_, "DELETE FROM sessions WHERE token_hash = ?1");
    stmt.bind_blob(1, token_hash);
    stmt.step();
    return sqlite3_changes(db_.handle()) > 0;
  }

  std::vector<SessionRecord> sessions(std::uint32_t user_id) override {
    return in_transaction(db_, [&] { return sqlite::sessions(db_, user_id); });
  }

  std::uint32_t delete_sessions(std::uint32_t user_id, const std::optional<TokenHash>& keep) override {
    return in_transaction(db_, [&] { return sqlite::delete_sessions(db_, user_id, keep); });
  }

  bool set_password_hash(std::uint32_t user_id, std::string_view password_hash) override {
    return in_transaction(db_, [&] { return sqlite::set_password_hash(db_, user_id, password_hash); });
  }

  bool set_nick(std::uint32_t user_id, std::string_view nick) override {
    return in_transaction(db_, [&] { return sqlite::set_nick(db_, user_id, nick); });
  }

  bool set_discoverable(std::uint32_t user_id, bool discoverable) override {
    return in_transaction(db_, [&] { return sqlite::set_discoverable(db_, user_id, discoverable); });
  }

  std::vector<User> find_users_by_nick(std::string_view nick, bool prefix, std::uint32_t limit) override {
    return in_transaction(db_, [&] { return sqlite::find_users_by_nick(db_, nick, prefix, limit); });
  }

  DeletedUser delete_user(std::uint32_t user_id) override {
    return in_transaction(db_, [&] { return sqlite::delete_user(db_, user_id); });
  }

  AddFriendResult add_friend(std::uint32_t from, std::uint32_t to) override {
    return in_transaction(db_, [&] { return sqlite::add_friend(db_, from, to); });
  }

  bool remove_friend(std::uint32_t user_id, std::uint32_t other) override {
    return in_transaction(db_, [&] { return sqlite::remove_friend(db_, user_id, other); });
  }

  std::vector<Friend> friends(std::uint32_t user_id) override {
    return in_transaction(db_, [&] { return sqlite::friends(db_, user_id); });
  }

  FriendRequests friend_requests(std::uint32_t user_id) override {
    return in_transaction(db_, [&] { return sqlite::friend_requests(db_, user_id); });
  }

  FriendLink friend_link(std::uint32_t user_id, std::uint32_t other) override {
    return in_transaction(db_, [&] { return sqlite::friend_link(db_, user_id, other); });
  }

  SendResult send_message(std::uint32_t from, std::uint32_t to, std::string_view text,
                          std::string_view client_msg_id) override {
    return in_transaction(db_, [&] { return sqlite::send_message(db_, from, to, text, client_msg_id); });
  }

  InboxPage fetch_inbox(std::uint32_t user_id, std::uint64_t after_seq, std::uint32_t limit) override {
    return in_transaction(db_, [&] { return sqlite::fetch_inbox(db_, user_id, after_seq, limit); });
  }

  std::uint64_t ack(std::uint32_t user_id, std::uint64_t up_to_seq) override {
    return in_transaction(db_, [&] { return sqlite::ack(db_, user_id, up_to_seq); });
  }

  InboxState inbox_state(std::uint32_t user_id) override {
    return in_transaction(db_, [&] { return sqlite::inbox_state(db_, user_id); });
  }

  std::uint64_t inbox_backlog() override {
    return in_transaction(db_, [&] { return sqlite::inbox_backlog(db_); });
  }

  HistoryPage history(std::uint32_t user_id, std::uint32_t peer, std::uint32_t limit,
                      std::uint64_t before_id) override {
    return in_transaction(db_, [&] { return sqlite::history(db_, user_id, peer, limit, before_id); });
  }

  void mark_read(std::uint32_t user_id, std::uint32_t conversation, std::uint64_t up_to_id) override {
    in_transaction(db_, [&] {
      sqlite::mark_read(db_, user_id, conversation, up_to_id);
      return true;
    });
  }

  std::uint32_t unread_count(std::uint32_t user_id, std::uint32_t conversation) override {
    return in_transaction(db_, [&] { return sqlite::unread_count(db_, user_id, conversation); });
  }

  bool are_friends(std::uint32_t a, std::uint32_t b) override {
    return in_transaction(db_, [&] { return sqlite::are_friends(db_, a, b); });
  }

  BeginUploadResult begin_upload(std::uint32_t from, std::uint32_t to, std::string_view name, std::uint64_t size,
                                 const Sha256& sha256) override {
    return in_transaction(db_, [&] { return sqlite::begin_upload(db_, from, to, name, size, sha256); });
  }

  std::optional<Upload> find_upload(std::uint64_t upload_id) override {
    return in_transaction(db_, [&] { return sqlite::find_upload(db_, upload_id); });
  }

  bool delete_upload(std::uint64_t upload_id) override {
    return in_transaction(db_, [&] { return sqlite::delete_upload(db_, upload_id); });
  }

  PublishResult publish_upload(std::uint64_t upload_id) override {
    return in_transaction(db_, [&] { return sqlite::publish_upload(db_, upload_id); });
  }

  std::vector<FileRecord> list_files(std::uint32_t user_id, std::uint32_t peer) override {
    return in_transaction(db_, [&] { return sqlite::list_files(db_, user_id, peer); });
  }

  std::optional<FileRecord> find_file(std::uint64_t id) override {
    return in_transaction(db_, [&] { return sqlite::find_file(db_, id); });
  }

  std::vector<Upload> stale_uploads(std::int64_t cutoff_ms) override {
    return in_transaction(db_, [&] { return sqlite::stale_uploads(db_, cutoff_ms); });
  }

  RoomView create_room(std::uint32_t owner, std::string_view name, std::uint32_t max_owned) override {
    return in_transaction(db_, [&] { return sqlite::create_room(db_, owner, name, max_owned); });
  }

  RoomChangeResult change_room(const RoomChange& change) override {
    return in_transaction(db_, [&] { return sqlite::change_room(db_, change); });
  }

  RoomLists rooms(std::uint32_t user_id) override {
    return in_transaction(db_, [&] { return sqlite::rooms(db_, user_id); });
  }

  RoomMembersPage room_members(std::uint32_t user_id, std::uint32_t room_id, std::uint32_t after_id,
                               std::uint32_t limit) override {
    return in_transaction(db_, [&] { return sqlite::room_members(db_, user_id, room_id, after_id, limit); });
  }

  bool is_room_member(std::uint32_t user_id, std::uint32_t room_id) override {
    return in_transaction(db_, [&] { return sqlite::is_room_member(db_, user_id, room_id); });
  }

  RoomSendResult send_room_message(std::uint32_t from, std::uint32_t room_id, std::string_view text,
                                   std::string_view client_msg_id,
                                   const std::vector<std::uint32_t>& mention_candidates) override {
    return in_transaction(
        db_, [&] { return sqlite::send_room_message(db_, from, room_id, text, client_msg_id, mention_candidates); });
  }

  HistoryPage room_history(std::uint32_t user_id, std::uint32_t room_id, std::uint32_t limit,
                           std::uint64_t before_id) override {
    return in_transaction(db_, [&] { return sqlite::room_history(db_, user_id, room_id, limit, before_id); });
  }

  BeginUploadResult begin_room_upload(std::uint32_t from, std::uint32_t room_id, std::string_view name,
                                      std::uint64_t size, const Sha256& sha256) override {
    return in_transaction(db_, [&] { return sqlite::begin_room_upload(db_, from, room_id, name, size, sha256); });
  }

  std::vector<FileRecord> list_room_files(std::uint32_t user_id, std::uint32_t room_id) override {
    return in_transaction(db_, [&] { return sqlite::list_room_files(db_, user_id, room_id); });
  }

  void block_user(std::uint32_t user_id, std::uint32_t other) override {
    in_transaction(db_, [&] {
      sqlite::block_user(db_, user_id, other);
      return true;
    });
  }

  bool unblock_user(std::uint32_t user_id, std::uint32_t other) override {
    return in_transaction(db_, [&] { return sqlite::unblock_user(db_, user_id, other); });
  }

  std::vector<User> blocked_users(std::uint32_t user_id) override {
    return in_transaction(db_, [&] { return sqlite::blocked_users(db_, user_id); });
  }

  std::vector<UserRecord> list_users(std::uint32_t after_id, std::uint32_t limit) override {
    return in_transaction(db_, [&] { return sqlite::list_users(db_, after_id, limit); });
  }

  StoreStats stats() override {
    return in_transaction(db_, [&] { return sqlite::stats(db_); });
  }

  bool set_user_disabled(std::uint32_t id, bool disabled) override {
    return in_transaction(db_, [&] { return sqlite::set_user_disabled(db_, id, disabled); });
  }

  bool reset_password(std::uint32_t id, std::string_view password_hash) override {
    return in_transaction(db_, [&] { return sqlite::reset_password(db_, id, password_hash); });
  }

  bool user_disabled(std::uint32_t id) override {
    return in_transaction(db_, [&] { return sqlite::user_disabled(db_, id); });
  }

  void record_account_event(std::uint32_t user_id) override {
    in_transaction(db_, [&] {
      sqlite::append_account_event(db_, user_id);
      return true;
    });
  }

  void export_rows(const DumpRowSink& sink) override {
    // A deferred (read) transaction, not Transaction's IMMEDIATE one: an export of a live
    // server's store reads one snapshot without holding the write lock.
    db_.exec("BEGIN");
    try {
      sqlite::export_rows(db_, sink);
    } catch (...) {
      sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    db_.exec("COMMIT");
  }

  DumpCounts import_rows(const DumpRowSource& source, bool merge) override {
    return in_transaction(db_, [&] { return sqlite::import_rows(db_, source, merge); });
  }

  std::vector<AccountEvent> account_events(std::uint64_t after_seq) override {
    return in_transaction(db_, [&] { return sqlite::account_events(db_, after_seq); });
  }

 private:
  // Declared first, so destroyed after db_: its thread may be checkpointing while db_ closes
  // (whichever connection closes last checkpoints the rest and removes the WAL).
  sqlite::WalCheckpointer checkpointer_;
  Database db_;
};

}  // namespace

std::unique_ptr<SqliteStore> open_sqlite_store(const std::filesystem::path& path, Durability durability) {
  create_owner_only(path);
  return std::make_unique<SqliteStoreImpl>(path, durability);
}

}  // namespace occhat::store

// The PostgreSQL Store: one libpq connection per object, one transaction per call.

#include <fmt/format.h>

#include "connection.hpp"
#include "occhat/store/pg_store.hpp"
#include "queries.hpp"
#include "schema.hpp"

namespace occhat::store {
namespace {

using pg::Connection;
using pg::in_transaction;

class PgStoreImpl final : public Store {
 public:
  explicit PgStoreImpl(std::string uri) : conn_(std::move(uri)) { pg::migrate(conn_); }

  int schema_version() override {
    return in_transaction(conn_, [&] { return pg::stored_schema_version(conn_); });
  }

  bool create_user(std::uint32_t id, std::string_view email, std::string_view nick,
                   std::string_view password_hash) override {
    return in_transaction(conn_, [&] { return pg::create_user(conn_, id, email, nick, password_hash); });
  }

  std::uint64_t user_count() override {
    return in_transaction(conn_, [&] { return pg::user_count(conn_); });
  }

  std::optional<User> find_user(std::uint32_t id) override {
    return in_transaction(conn_, [&] { return pg::find_user(conn_, id); });
  }

  std::optional<std::string> password_hash(std::uint32_t id) override {
    return in_transaction(conn_, [&] { return pg::password_hash(conn_, id); });
  }

  void create_session(std::uint32_t user_id, const TokenHash& token_hash, const SessionOrigin& origin) override {
    in_transaction(conn_, [&] {
      pg::create_session(conn_, user_id, token_hash, origin);
      return true;
    });
  }

  std::optional<std::uint32_t> user_for_session(const TokenHash& token_hash, const SessionOrigin& origin) override {
    return in_transaction(conn_, [&] { return pg::user_for_session(conn_, token_hash, origin); });
  }

  bool delete_session(const TokenHash& token_hash) override {
    return in_transaction(conn_, [&] { return pg::delete_session(conn_, token_hash); });
  }

  std::vector<SessionRecord> sessions(std::uint32_t user_id) override {
    return in_transaction(conn_, [&] { return pg::sessions(conn_, user_id); });
  }

  std::uint32_t delete_sessions(std::uint32_t user_id, const std::optional<TokenHash>& keep) override {
    return in_transaction(conn_, [&] { return pg::delete_sessions(conn_, user_id, keep); });
  }

  bool set_password_hash(std::uint32_t user_id, std::string_view password_hash) override {
    return in_transaction(conn_, [&] { return pg::set_password_hash(conn_, user_id, password_hash); });
  }

  bool set_nick(std::uint32_t user_id, std::string_view nick) override {
    return in_transaction(conn_, [&] { return pg::set_nick(conn_, user_id, nick); });
  }

  bool set_discoverable(std::uint32_t user_id, bool discoverable) override {
    return in_transaction(conn_, [&] { return pg::set_discoverable(conn_, user_id, discoverable); });
  }

  std::vector<User> find_users_by_nick(std::string_view nick, bool prefix, std::uint32_t limit) override {
    return in_transaction(conn_, [&] { return pg::find_users_by_nick(conn_, nick, prefix, limit); });
  }

  DeletedUser delete_user(std::uint32_t user_id) override {
    return in_transaction(conn_, [&] { return pg::delete_user(conn_, user_id); });
  }

  AddFriendResult add_friend(std::uint32_t from, std::uint32_t to) override {
    return in_transaction(conn_, [&] { return pg::add_friend(conn_, from, to); });
  }

  bool remove_friend(std::uint32_t user_id, std::uint32_t other) override {
    return in_transaction(conn_, [&] { return pg::remove_friend(conn_, user_id, other); });
  }

  FriendLink friend_link(std::uint32_t user_id, std::uint32_t other) override {
    return in_transaction(conn_, [&] { return pg::friend_link(conn_, user_id, other); });
  }

  std::vector<Friend> friends(std::uint32_t user_id) override {
    return in_transaction(conn_, [&] { return pg::friends(conn_, user_id); });
  }

  FriendRequests friend_requests(std::uint32_t user_id) override {
    return in_transaction(conn_, [&] { return pg::friend_requests(conn_, user_id); });
  }

  SendResult send_message(std::uint32_t from, std::uint32_t to, std::string_view text,
                          std::string_view client_msg_id) override {
    return in_transaction(conn_, [&] { return pg::send_message(conn_, from, to, text, client_msg_id); });
  }

  InboxPage fetch_inbox(std::uint32_t user_id, std::uint64_t after_seq, std::uint32_t limit) override {
    return in_transaction(conn_, [&] { return pg::fetch_inbox(conn_, user_id, after_seq, limit); });
  }

  std::uint64_t ack(std::uint32_t user_id, std::uint64_t up_to_seq) override {
    return in_transaction(conn_, [&] { return pg::ack(conn_, user_id, up_to_seq); });
  }

  InboxState inbox_state(std::uint32_t user_id) override {
    return in_transaction(conn_, [&] { return pg::inbox_state(conn_, user_id); });
  }

  HistoryPage history(std::uint32_t user_id, std::uint32_t peer, std::uint32_t limit,
                      std::uint64_t before_id) override {
    return in_transaction(conn_, [&] { return pg::history(conn_, user_id, peer, limit, before_id); });
  }

  void mark_read(std::uint32_t user_id, std::uint32_t conversation, std::uint64_t up_to_id) override {
    in_transaction(conn_, [&] {
      pg::mark_read(conn_, user_id, conversation, up_to_id);
      return true;
    });
  }

  std::uint32_t unread_count(std::uint32_t user_id, std::uint32_t conversation) override {
    return in_transaction(conn_, [&] { return pg::unread_count(conn_, user_id, conversation); });
  }

  bool are_friends(std::uint32_t a, std::uint32_t b) override {
    return in_transaction(conn_, [&] { return pg::are_friends(conn_, a, b); });
  }

  void block_user(std::uint32_t user_id, std::uint32_t other) override {
    in_transaction(conn_, [&] {
      pg::block_user(conn_, user_id, other);
      return true;
    });
  }

  bool unblock_user(std::uint32_t user_id, std::uint32_t other) override {
    return in_transaction(conn_, [&] { return pg::unblock_user(conn_, user_id, other); });
  }

  std::vector<User> blocked_users(std::uint32_t user_id) override {
    return in_transaction(conn_, [&] { return pg::blocked_users(conn_, user_id); });
  }

  BeginUploadResult begin_upload(std::uint32_t from, std::uint32_t to, std::string_view name, std::uint64_t size,
                                 const Sha256& sha256) override {
    return in_transaction(conn_, [&] { return pg::begin_upload(conn_, from, to, name, size, sha256); });
  }

  std::optional<Upload> find_upload(std::uint64_t upload_id) override {
    return in_transaction(conn_, [&] { return pg::find_upload(conn_, upload_id); });
  }

  bool delete_upload(std::uint64_t upload_id) override {
    return in_transaction(conn_, [&] { return pg::delete_upload(conn_, upload_id); });
  }

  PublishResult publish_upload(std::uint64_t upload_id) override {
    return in_transaction(conn_, [&] { return pg::publish_upload(conn_, upload_id); });
  }

  std::vector<FileRecord> list_files(std::uint32_t user_id, std::uint32_t peer) override {
    return in_transaction(conn_, [&] { return pg::list_files(conn_, user_id, peer); });
  }

  std::optional<FileRecord> find_file(std::uint64_t id) override {
    return in_transaction(conn_, [&] { return pg::find_file(conn_, id); });
  }

  std::vector<Upload> stale_uploads(std::int64_t cutoff_ms) override {
    return in_transaction(conn_, [&] { return pg::stale_uploads(conn_, cutoff_ms); });
  }

  RoomView create_room(std::uint32_t owner, std::string_view name, std::uint32_t max_owned) override {
    return in_transaction(conn_, [&] { return pg::create_room(conn_, owner, name, max_owned); });
  }

  RoomChangeResult change_room(const RoomChange& change) override {
    return in_transaction(conn_, [&] { return pg::change_room(conn_, change); });
  }

  RoomLists rooms(std::uint32_t user_id) override {
    return in_transaction(conn_, [&] { return pg::rooms(conn_, user_id); });
  }

  RoomMembersPage room_members(std::uint32_t user_id, std::uint32_t room_id, std::uint32_t after_id,
                               std::uint32_t limit) override {
    return in_transaction(conn_, [&] { return pg::room_members(conn_, user_id, room_id, after_id, limit); });
  }

  bool is_room_member(std::uint32_t user_id, std::uint32_t room_id) override {
    return in_transaction(conn_, [&] { return pg::is_room_member(conn_, user_id, room_id); });
  }

  RoomSendResult send_room_message(std::uint32_t from, std::uint32_t room_id, std::string_view text,
                                   std::string_view client_msg_id,
                                   const std::vector<std::uint32_t>& mention_candidates) override {
    return in_transaction(
        conn_, [&] { return pg::send_room_message(conn_, from, room_id, text, client_msg_id, mention_candidates); });
  }

  HistoryPage room_history(std::uint32_t user_id, std::uint32_t room_id, std::uint32_t limit,
                           std::uint64_t before_id) override {
    return in_transaction(conn_, [&] { return pg::room_history(conn_, user_id, room_id, limit, before_id); });
  }

  BeginUploadResult begin_room_upload(std::uint32_t from, std::uint32_t room_id, std::string_view name,
                                      std::uint64_t size, const Sha256& sha256) override {
    return in_transaction(conn_, [&] { return pg::begin_room_upload(conn_, from, room_id, name, size, sha256); });
  }

  std::vector<FileRecord> list_room_files(std::uint32_t user_id, std::uint32_t room_id) override {
    return in_transaction(conn_, [&] { return pg::list_room_files(conn_, user_id, room_id); });
  }

  std::uint64_t inbox_backlog() override {
    return in_transaction(conn_, [&] { return pg::inbox_backlog(conn_); });
  }

  std::vector<UserRecord> list_users(std::uint32_t after_id, std::uint32_t limit) override {
    return in_transaction(conn_, [&] { return pg::list_users(conn_, after_id, limit); });
  }

  StoreStats stats() override {
    return in_transaction(conn_, [&] { return pg::stats(conn_); });
  }

  bool set_user_disabled(std::uint32_t id, bool disabled) override {
    return in_transaction(conn_, [&] { return pg::set_user_disabled(conn_, id, disabled); });
  }

  bool reset_password(std::uint32_t id, std::string_view password_hash) override {
    return in_transaction(conn_, [&] { return pg::reset_password(conn_, id, password_hash); });
  }

  bool user_disabled(std::uint32_t id) override {
    return in_transaction(conn_, [&] { return pg::user_disabled(conn_, id); });
  }

  void record_account_event(std::uint32_t user_id) override {
    in_transaction(conn_, [&] {
      pg::append_account_event(conn_, user_id);
      return true;
    });
  }

  void export_rows(const DumpRowSink& sink) override {
    pg::Transaction tx(conn_);
    // One snapshot for every page of every table, and no locks that would hold up the server.
    conn_.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    pg::export_rows(conn_, sink);
    tx.commit();
  }

  DumpCounts import_rows(const DumpRowSource& source, bool merge) override {
    return in_transaction(conn_, [&] { return pg::import_rows(conn_, source, merge); });
  }

  std::vector<AccountEvent> account_events(std::uint64_t after_seq) override {
    return in_transaction(conn_, [&] { return pg::account_events(conn_, after_seq); });
  }

 private:
  Connection conn_;
};

}  // namespace

std::unique_ptr<Store> open_pg_store(std::string_view uri) { return std::make_unique<PgStoreImpl>(std::string(uri)); }

}  // namespace occhat::store

#pragma once
// The SQL behind the social and messaging part of the Store. Every function runs inside a
// transaction its caller opened (SqliteStore opens one per Store call; inside a group-commit
// batch that is a savepoint), so many of them can share one commit unchanged. Contracts, including
// the StoreErrors thrown, are those of the matching Store methods in occhat/store/store.hpp.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "database.hpp"
#include "occhat/store/dump_tables.hpp"
#include "occhat/store/store.hpp"

namespace occhat::store::sqlite {

// Wall clock in Unix milliseconds: message and inbox times.
std::int64_t now_ms();

// The user's id and nick; throws StoreError(not_found) "no user with id N".
User require_user(Database& db, std::uint32_t id);

bool are_friends(Database& db, std::uint32_t a, std::uint32_t b);

// friend_queries.cpp
AddFriendResult add_friend(Database& db, std::uint32_t from, std::uint32_t to);
bool remove_friend(Database& db, std::uint32_t user_id, std::uint32_t other);
std::vector<Friend> friends(Database& db, std::uint32_t user_id);
FriendRequests friend_requests(Database& db, std::uint32_t user_id);
FriendLink friend_link(Database& db, std::uint32_t user_id, std::uint32_t other);

// message_queries.cpp
// The message `from` already stored with `client_msg_id` in `table` ("messages" or
// "room_messages"): its id and time, for answering a retried send; nullopt if none.
struct StoredSend {
  std::uint64_t message_id = 0;
  std::int64_t time_ms = 0;
};
std::optional<StoredSend> find_sent(Database& db, std::string_view table, std::uint32_t from,
                                    std::string_view client_msg_id);
SendResult send_message(Database& db, std::uint32_t from, std::uint32_t to, std::string_view text,
                        std::string_view client_msg_id);
HistoryPage history(Database& db, std::uint32_t user_id, std::uint32_t peer, std::uint32_t limit,
                    std::uint64_t before_id);

// file_queries.cpp
BeginUploadResult begin_upload(Database& db, std::uint32_t from, std::uint32_t to, std::string_view name,
                               std::uint64_t size, const Sha256& sha256);
std::optional<Upload> find_upload(Database& db, std::uint64_t upload_id);
bool delete_upload(Database& db, std::uint64_t upload_id);
PublishResult publish_upload(Database& db, std::uint64_t upload_id);
std::vector<FileRecord> list_files(Database& db, std::uint32_t user_id, std::uint32_t peer);
std::optional<FileRecord> find_file(Database& db, std::uint64_t id);
std::vector<Upload> stale_uploads(Database& db, std::int64_t cutoff_ms);
// The published file `id` (with the sender's nick); throws StoreError(internal) if missing.
FileRecord published_file(Database& db, std::uint64_t id);

// room_queries.cpp
RoomView create_room(Database& db, std::uint32_t owner, std::string_view name, std::uint32_t max_owned);
RoomChangeResult change_room(Database& db, const RoomChange& change);
RoomLists rooms(Database& db, std::uint32_t user_id);
RoomMembersPage room_members(Database& db, std::uint32_t user_id, std::uint32_t room_id, std::uint32_t after_id,
                             std::uint32_t limit);
bool is_room_member(Database& db, std::uint32_t user_id, std::uint32_t room_id);
// The caller's role in the room; throws StoreError(not_allowed) "you are not a member of room ID".
RoomRole require_member(Database& db, std::uint32_t user_id, std::uint32_t room_id);
// The room's members who have not blocked `sender`, by id (who gets `sender`'s room items).
std::vector<std::uint32_t> room_recipients(Database& db, std::uint32_t room_id, std::uint32_t sender);
// The room's current name ("" if it is gone).
std::string room_name(Database& db, std::uint32_t room_id);

// room_message_queries.cpp
RoomSendResult send_room_message(Database& db, std::uint32_t from, std::uint32_t room_id, std::string_view text,
                                 std::string_view client_msg_id, const std::vector<std::uint32_t>& mention_candidates);
HistoryPage room_history(Database& db, std::uint32_t user_id, std::uint32_t room_id, std::uint32_t limit,
                         std::uint64_t before_id);
// "1,2,3" <-> {1, 2, 3}: how mentions are stored.
std::string join_ids(const std::vector<std::uint32_t>& ids);
std::vector<std::uint32_t> split_ids(std::string_view text);

// read_marker_queries.cpp
// Moves the user's read marker of `conversation` (a user id or a room id) up to `message_id`
// (never back). No checks: for callers that just stored or showed that message.
void advance_read_marker(Database& db, std::uint32_t user_id, std::uint32_t conversation, std::uint64_t message_id);
void mark_read(Database& db, std::uint32_t user_id, std::uint32_t conversation, std::uint64_t up_to_id);
std::uint32_t unread_count(Database& db, std::uint32_t user_id, std::uint32_t conversation);

// block_queries.cpp
void block_user(Database& db, std::uint32_t user_id, std::uint32_t other);
bool unblock_user(Database& db, std::uint32_t user_id, std::uint32_t other);
std::vector<User> blocked_users(Database& db, std::uint32_t user_id);
// Whether `blocker` blocks `blocked`.
bool blocks(Database& db, std::uint32_t blocker, std::uint32_t blocked);

// file_queries.cpp (rooms)
BeginUploadResult begin_room_upload(Database& db, std::uint32_t from, std::uint32_t room_id, std::string_view name,
                                    std::uint64_t size, const Sha256& sha256);
std::vector<FileRecord> list_room_files(Database& db, std::uint32_t user_id, std::uint32_t room_id);

// account_queries.cpp
std::vector<SessionRecord> sessions(Database& db, std::uint32_t user_id);
std::uint32_t delete_sessions(Database& db, std::uint32_t user_id, const std::optional<TokenHash>& keep);
bool set_password_hash(Database& db, std::uint32_t user_id, std::string_view password_hash);
bool set_nick(Database& db, std::uint32_t user_id, std::string_view nick);
bool set_discoverable(Database& db, std::uint32_t user_id, bool discoverable);
std::vector<User> find_users_by_nick(Database& db, std::string_view nick, bool prefix, std::uint32_t limit);
DeletedUser delete_user(Database& db, std::uint32_t user_id);

// inbox_queries.cpp
// Appends an item to `item.user_id`'s inbox with the next seq (written back into `item`).
void append_inbox_item(Database& db, InboxItem& item);
InboxPage fetch_inbox(Database& db, std::uint32_t user_id, std::uint64_t after_seq, std::uint32_t limit);
std::uint64_t ack(Database& db, std::uint32_t user_id, std::uint64_t up_to_seq);
InboxState inbox_state(Database& db, std::uint32_t user_id);
std::uint64_t inbox_backlog(Database& db);

// operator_queries.cpp
std::vector<UserRecord> list_users(Database& db, std::uint32_t after_id, std::uint32_t limit);
StoreStats stats(Database& db);
bool set_user_disabled(Database& db, std::uint32_t id, bool disabled);
bool user_disabled(Database& db, std::uint32_t id);
bool reset_password(Database& db, std::uint32_t id, std::string_view password_hash);
std::vector<AccountEvent> account_events(Database& db, std::uint64_t after_seq);
// Records that `user_id`'s live connections must close (see Store::account_events).
void append_account_event(Database& db, std::uint32_t user_id);

// dump_queries.cpp (occhat-server export/import). export_rows runs in the caller's read
// transaction; import_rows in its write transaction.
void export_rows(Database& db, const DumpRowSink& sink);
DumpCounts import_rows(Database& db, const DumpRowSource& source, bool merge);

}  // namespace occhat::store::sqlite

#pragma once
// The SQL behind the PostgreSQL Store, one file per group as in server/storage/. Every function
// runs inside the transaction its caller (PgStore, one per Store call) opened. Contracts,
// including the StoreErrors thrown, are those of the matching Store methods in
// occhat/store/store.hpp.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connection.hpp"
#include "occhat/store/dump_tables.hpp"
#include "occhat/store/store.hpp"

namespace occhat::store::pg {

std::int64_t now_seconds();
std::int64_t now_ms();

// user_queries.cpp
bool create_user(Connection& conn, std::uint32_t id, std::string_view email, std::string_view nick,
                 std::string_view password_hash);
std::uint64_t user_count(Connection& conn);
std::optional<User> find_user(Connection& conn, std::uint32_t id);
std::optional<std::string> password_hash(Connection& conn, std::uint32_t id);
void create_session(Connection& conn, std::uint32_t user_id, const TokenHash& token_hash,
                    const SessionOrigin& origin);
std::optional<std::uint32_t> user_for_session(Connection& conn, const TokenHash& token_hash,
                                              const SessionOrigin& origin);
bool delete_session(Connection& conn, const TokenHash& token_hash);

// The user's id and nick; throws StoreError(not_found) "no user with id N" (also for a deleted
// user's tombstone). Holds the row's SHARE lock until the transaction ends (see delete_user).
User require_user(Connection& conn, std::uint32_t id);
// Takes the SHARE lock of these users' rows (missing ones lock nothing), as require_user would
// later. A call that locks a room and then needs a user's lock takes the user's first: delete_user
// holds the user's row and then takes the rooms', so the other order could deadlock.
void lock_users(Connection& conn, std::vector<std::uint32_t> ids);

// (min(a, b) << 32) | max(a, b): names a conversation; also the advisory lock that serialises
// changes to how two users stand (see lock_pair).
std::int64_t pair_key(std::uint32_t a, std::uint32_t b);
// Takes the transaction-scoped lock of the pair (a, b). SQLite runs one writer at a time;
// PostgreSQL runs calls concurrently, and two users adding each other at the same moment must
// still end as friends, not as two pending requests.
void lock_pair(Connection& conn, std::uint32_t a, std::uint32_t b);
// Ids and sizes travel as uint64; PostgreSQL's BIGINT is signed. Real values are far below 2^63;
// anything above is clamped and matches nothing.
std::int64_t as_int(std::uint64_t value);
std::span<const std::uint8_t> as_bytes(std::string_view text);

// friend_queries.cpp
bool are_friends(Connection& conn, std::uint32_t a, std::uint32_t b);
AddFriendResult add_friend(Connection& conn, std::uint32_t from, std::uint32_t to);
bool remove_friend(Connection& conn, std::uint32_t user_id, std::uint32_t other);
std::vector<Friend> friends(Connection& conn, std::uint32_t user_id);
FriendRequests friend_requests(Connection& conn, std::uint32_t user_id);
FriendLink friend_link(Connection& conn, std::uint32_t user_id, std::uint32_t other);

// message_queries.cpp
SendResult send_message(Connection& conn, std::uint32_t from, std::uint32_t to, std::string_view text,
                        std::string_view client_msg_id);
HistoryPage history(Connection& conn, std::uint32_t user_id, std::uint32_t peer, std::uint32_t limit,
                    std::uint64_t before_id);

// inbox_queries.cpp
// Appends an item to `item.user_id`'s inbox with the next seq (written back into `item`).
void append_inbox_item(Connection& conn, InboxItem& item);
InboxPage fetch_inbox(Connection& conn, std::uint32_t user_id, std::uint64_t after_seq, std::uint32_t limit);
std::uint64_t ack(Connection& conn, std::uint32_t user_id, std::uint64_t up_to_seq);
InboxState inbox_state(Connection& conn, std::uint32_t user_id);

// block_queries.cpp
void block_user(Connection& conn, std::uint32_t user_id, std::uint32_t other);
bool unblock_user(Connection& conn, std::uint32_t user_id, std::uint32_t other);
std::vector<User> blocked_users(Connection& conn, std::uint32_t user_id);
bool blocks(Connection& conn, std::uint32_t blocker, std::uint32_t blocked);

// file_queries.cpp
BeginUploadResult begin_upload(Connection& conn, std::uint32_t from, std::uint32_t to, std::string_view name,
                               std::uint64_t size, const Sha256& sha256);
BeginUploadResult begin_room_upload(Connection& conn, std::uint32_t from, std::uint32_t room_id, std::string_view name,
                                    std::uint64_t size, const Sha256& sha256);
std::optional<Upload> find_upload(Connection& conn, std::uint64_t upload_id);
bool delete_upload(Connection& conn, std::uint64_t upload_id);
PublishResult publish_upload(Connection& conn, std::uint64_t upload_id);
std::vector<FileRecord> list_files(Connection& conn, std::uint32_t user_id, std::uint32_t peer);
std::vector<FileRecord> list_room_files(Connection& conn, std::uint32_t user_id, std::uint32_t room_id);
std::optional<FileRecord> find_file(Connection& conn, std::uint64_t id);
std::vector<Upload> stale_uploads(Connection& conn, std::int64_t cutoff_ms);
// The published file `id` (with the sender's nick); throws StoreError(internal) if missing.
FileRecord published_file(Connection& conn, std::uint64_t id);

// room_queries.cpp
RoomView create_room(Connection& conn, std::uint32_t owner, std::string_view name, std::uint32_t max_owned);
RoomChangeResult change_room(Connection& conn, const RoomChange& change);
RoomLists rooms(Connection& conn, std::uint32_t user_id);
RoomMembersPage room_members(Connection& conn, std::uint32_t user_id, std::uint32_t room_id, std::uint32_t after_id,
                             std::uint32_t limit);
// Holds the room's row lock until the transaction ends: exclusive for a change to the room,
// shared for a fan-out to its members (a missing room locks nothing).
void lock_room(Connection& conn, std::uint32_t room_id, bool exclusive);
bool is_room_member(Connection& conn, std::uint32_t user_id, std::uint32_t room_id);
// The caller's role in the room; throws StoreError(not_allowed) "you are not a member of room ID".
RoomRole require_member(Connection& conn, std::uint32_t user_id, std::uint32_t room_id);
// The room's members who have not blocked `sender`, by id (who gets `sender`'s room items).
std::vector<std::uint32_t> room_recipients(Connection& conn, std::uint32_t room_id, std::uint32_t sender);
// The room's current name ("" if it is gone).
std::string room_name(Connection& conn, std::uint32_t room_id);

// room_message_queries.cpp
RoomSendResult send_room_message(Connection& conn, std::uint32_t from, std::uint32_t room_id, std::string_view text,
                                 std::string_view client_msg_id, const std::vector<std::uint32_t>& mention_candidates);
HistoryPage room_history(Connection& conn, std::uint32_t user_id, std::uint32_t room_id, std::uint32_t limit,
                         std::uint64_t before_id);

// operator_queries.cpp
std::uint64_t inbox_backlog(Connection& conn);
std::vector<UserRecord> list_users(Connection& conn, std::uint32_t after_id, std::uint32_t limit);
StoreStats stats(Connection& conn);
bool reset_password(Connection& conn, std::uint32_t id, std::string_view password_hash);
bool set_user_disabled(Connection& conn, std::uint32_t id, bool disabled);
bool user_disabled(Connection& conn, std::uint32_t id);
std::vector<AccountEvent> account_events(Connection& conn, std::uint64_t after_seq);
// Records that `id`'s live connections must close (seqs become visible in commit order).
void append_account_event(Connection& conn, std::uint32_t id);

// account_queries.cpp
std::vector<SessionRecord> sessions(Connection& conn, std::uint32_t user_id);
std::uint32_t delete_sessions(Connection& conn, std::uint32_t user_id, const std::optional<TokenHash>& keep);
bool set_password_hash(Connection& conn, std::uint32_t user_id, std::string_view password_hash);
bool set_nick(Connection& conn, std::uint32_t user_id, std::string_view nick);
bool set_discoverable(Connection& conn, std::uint32_t user_id, bool discoverable);
std::vector<User> find_users_by_nick(Connection& conn, std::string_view nick, bool prefix, std::uint32_t limit);
DeletedUser delete_user(Connection& conn, std::uint32_t user_id);

// read_marker_queries.cpp
// Moves the user's read marker of `conversation` (a user id or a room id) up to `message_id`
// (never back). No checks: for callers that just stored or showed that message.
void advance_read_marker(Connection& conn, std::uint32_t user_id, std::uint32_t conversation,
                         std::uint64_t message_id);
void mark_read(Connection& conn, std::uint32_t user_id, std::uint32_t conversation, std::uint64_t up_to_id);
std::uint32_t unread_count(Connection& conn, std::uint32_t user_id, std::uint32_t conversation);

// "1,2,3" <-> {1, 2, 3}: how room mentions are stored.
std::string join_ids(const std::vector<std::uint32_t>& ids);
std::vector<std::uint32_t> split_ids(std::string_view text);

// dump_queries.cpp (occhat-server export/import): in the caller's transaction (export: a
// repeatable-read one, so its pages are one snapshot).
void export_rows(Connection& conn, const DumpRowSink& sink);
DumpCounts import_rows(Connection& conn, const DumpRowSource& source, bool merge);

}  // namespace occhat::store::pg

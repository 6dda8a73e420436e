#pragma once
// occhat::store — the server's source of truth. `Store` is the only seam through which the
// server touches persistent state: the embedded SQLite backend (occhat::store_sqlite) fills it
// today, a PostgreSQL one can fill it later without anything above this interface noticing.
//
// The contract a backend meets:
//  - Each call is one atomic unit: it happens completely or not at all. It is its own
//    transaction, committed when the call returns, unless a backend-specific executor grouped
//    calls into one transaction (SqliteStore's batches, where a failing call still undoes only
//    itself and other connections see a call once its batch commits).
//  - A Store object is one connection: it may be used by one thread at a time (any thread, but
//    not two at once). Several objects may serve the same database concurrently.
//  - Threading, batching and pooling are the executor's business, not the Store's (the server's
//    StoreExecutor: one thread with group commit for SQLite, a pool of connections elsewhere).
//    Several calls made one after another are several atomic units; code must not rely on them
//    sharing a transaction.
//
// Errors: every failure throws StoreError. Its code is ErrorCode::internal for storage failures
// (I/O, corruption, a schema newer than this binary) and a more specific code where the caller
// can act on it. "Not found" is not an error: lookups return std::nullopt / false.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "occhat/proto/error.hpp"
#include "occhat/store/dump_tables.hpp"

namespace occhat::store {

// occhat::Error thrown by the store, so the server can tell storage failures (logged, their
// internal text hidden from clients) from request errors.
class StoreError : public occhat::Error {
 public:
  using Error::Error;
};

// The range user ids are drawn from (inclusive). The server picks ids (user_ids.hpp); a backend
// stores whatever id it is given.
inline constexpr std::uint32_t kMinUserId = 100000;
inline constexpr std::uint32_t kMaxUserId = 999999;

// SHA-256 of a session token. The store never sees the token itself.
using TokenHash = std::array<std::uint8_t, 32>;

struct User {
  std::uint32_t id = 0;
  std::string email;
  std::string nick;
  std::int64_t created_at = 0;  // Unix seconds
  bool discoverable = false;    // others may find the user by nick (schema 6)
};

// ---- accounts people manage themselves (schema 6) ----

// Where a session was created or last resumed from.
struct SessionOrigin {
  std::string client_name;  // the client's hello, e.g. "occhat-cli/0.1.0"
  std::string address;      // the peer's IP address
};

struct SessionRecord {
  TokenHash token_hash{};
  std::string client_name;
  std::string last_address;
  std::int64_t created_at = 0;    // Unix seconds
  std::int64_t last_used_at = 0;  // Unix seconds: the latest login or resume
};

// ---- friends, messages, inbox (schema 2; friend-request notices schema 4) ----

struct Friend {
  std::uint32_t id = 0;
  std::string nick;
  std::uint32_t unread = 0;  // filled in only where asked for (unread_count)
};

struct PendingRequest {
  std::uint32_t user_id = 0;  // the other user
  std::string nick;
  std::int64_t time_ms = 0;  // when the request was made, Unix ms
};

struct FriendRequests {
  std::vector<PendingRequest> incoming;  // others asking the user, oldest first
  std::vector<PendingRequest> outgoing;  // the user's own pending requests, oldest first
};

struct Message {
  std::uint64_t id = 0;
  std::uint32_t from = 0;
  std::uint32_t to = 0;  // 0 for a room message
  std::string from_nick;
  std::string to_nick;  // only in the sender's own inbox item of a 1:1 message (a carbon)
  std::string text;
  std::int64_t time_ms = 0;
  // Room messages (schema 5): the room (room_id 0: a 1:1 message), its current name and the
  // members named as @ID, in order of first mention. Room message ids are their own id space.
  std::uint32_t room_id = 0;
  std::string room_name;
  std::vector<std::uint32_t> mentions;
};

// Unread counts stop here (a client shows "9999+" or the like).
inline constexpr std::uint32_t kMaxUnreadCount = 9999;

// ---- rooms and blocking (schema 5) ----

// Room ids: their own space, from 1000000 up (user ids have 6 digits), never reused.
inline constexpr std::uint32_t kMinRoomId = 1000000;

// Values as on the wire (RoomRole).
enum class RoomRole : int { member = 0, admin = 1, owner = 2 };

struct Room {
  std::uint32_t id = 0;
  std::string name;
  std::uint32_t owner = 0;
  std::int64_t created_ms = 0;
  std::uint32_t members = 0;  // how many members it has
};

// A room as one user sees it: a membership (role = theirs) or an invitation (role = the one
// they would get; inviter set).
struct RoomView {
  Room room;
  RoomRole role = RoomRole::member;
  std::uint32_t inviter = 0;
  std::string inviter_nick;
  std::uint32_t unread = 0;  // filled in only where asked for (unread_count)
};

struct RoomLists {
  std::vector<RoomView> rooms;    // memberships, by name then id
  std::vector<RoomView> invites;  // pending invitations, by room id
};

struct RoomMember {
  std::uint32_t id = 0;
  std::string nick;
  RoomRole role = RoomRole::member;
  std::int64_t joined_ms = 0;
};

struct RoomMembersPage {
  RoomView room;                    // the caller's view
  std::vector<RoomMember> members;  // by id, after the requested id
  bool more = false;                // members with larger ids exist
};

// A change to a room's membership or settings (the RoomChangeRequest of the wire protocol).
// Kind values are the wire's RoomChangeRequest.Change.
struct RoomChange {
  enum class Kind : int {
    invite = 1,
    join = 2,
    decline = 3,
    leave = 4,
    remove = 5,
    make_admin = 6,
    unmake_admin = 7,
    transfer_ownership = 8,
    rename = 9,
    remove_room = 10,  // DELETE
  };
  Kind kind = Kind::invite;
  std::uint32_t room_id = 0;
  std::uint32_t actor = 0;            // who asks
  std::vector<std::uint32_t> users;   // invite: 1..100; remove/roles/transfer: exactly one
  std::string name;                   // rename: already validated
  std::uint32_t max_members = 1000;   // invite, join: the server's member limit
};

// What happened to a room, as an inbox item. Kind values are the wire's RoomEvent.Kind.
struct RoomEvent {
  enum class Kind : int { invited = 1, joined = 2, left = 3, removed = 4, role_changed = 5, renamed = 6, deleted = 7, declined = 8 };
  Kind kind = Kind::joined;
  std::uint32_t room_id = 0;
  std::string room_name;  // the name when it happened (the room may be gone since)
  std::uint32_t actor = 0;
  std::string actor_nick;
  std::uint32_t subject = 0;
  std::string subject_nick;
  RoomRole role = RoomRole::member;
};

// ---- files (schema 3) ----

using Sha256 = std::array<std::uint8_t, 32>;

// A file as its two parties see it: a published file or an unfinished upload. Upload ids and
// file ids share one number space (a published file keeps its upload's id), so one id names
// the transfer from begin to end.
struct FileRecord {
  enum class State : int { available = 0, uploading = 1 };
  std::uint64_t id = 0;
  std::string name;  // display text only, already cleaned by the caller
  std::uint64_t size = 0;
  Sha256 sha256{};
  std::uint32_t sender = 0;
  std::uint32_t recipient = 0;
  std::string sender_nick;
  std::int64_t time_ms = 0;  // published (available) or begun (uploading), Unix ms
  State state = State::available;
  // A room file (schema 5): the room, its name; recipient is 0 then.
  std::uint32_t room_id = 0;
  std::string room_name;
};

// An unfinished upload. How many bytes arrived is not stored here: it is the size of the part
// file (the file storage's business), so a chunk costs no database write.
struct Upload {
  std::uint64_t id = 0;
  std::uint32_t sender = 0;
  std::uint32_t recipient = 0;  // 0 for an upload to a room
  std::uint32_t room_id = 0;
  std::string name;
  std::uint64_t size = 0;
  Sha256 sha256{};
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;  // last begin/resume; chunk activity is the part file's mtime
};

struct BeginUploadResult {
  Upload upload;
  bool resumed = false;  // an unfinished upload with the same (sender, recipient, size, sha256)
};

// One entry of a user's inbox. seq is per recipient, starts at 1 and has no gaps.
struct InboxItem {
  // room_message: `message` with room_id set; room_event: `room_event`.
  enum class Kind : int { message = 1, friend_request = 2, file = 3, room_message = 4, room_event = 5 };
  std::uint32_t user_id = 0;  // whose inbox
  std::uint64_t seq = 0;
  std::int64_t time_ms = 0;
  Kind kind = Kind::message;
  // kind == message. A message is in its recipient's inbox and, as a carbon, in its sender's
  // (message.from == user_id: every device of the sender learns what was sent).
  Message message;
  // friend_request: who asked (or accepted); message: the other party (the sender, or in a
  // carbon the recipient)
  std::uint32_t other_user = 0;
  std::string other_nick;
  bool accepted = false;  // friend_request: `other_user` accepted the user's request
  FileRecord file;        // kind == file
  RoomEvent room_event;   // kind == room_event
};

struct InboxPage {
  std::vector<InboxItem> items;  // oldest first
  bool more = false;             // items after the last one exist
};

struct InboxState {
  std::uint64_t last_seq = 0;
  std::uint64_t acked_seq = 0;
};

struct HistoryPage {
  std::vector<Message> messages;  // oldest first
  bool more = false;              // older messages exist
};

enum class AddFriendState { requested, now_friends, already_friends };

struct AddFriendResult {
  AddFriendState state = AddFriendState::requested;
  User other;  // the other user
  // The item this call put into the other user's inbox; nullopt when nothing new was stored
  // (already friends, a repeated request, or a coalesced one).
  std::optional<InboxItem> notice;
  // requested, a new pending request stored, but no notice: an earlier friend-request notice
  // from the same user is still unacknowledged in the other user's inbox (see add_friend).
  bool coalesced = false;
};

// How two users stand (friend_link): the server charges its friend-request limit only for an
// add that would store a new request (none).
enum class FriendLink { none, friends, request_sent, request_received };

struct PublishResult {
  FileRecord file;
  InboxItem item;  // the recipient's new inbox item (kind file); unset for a room file
  std::vector<InboxItem> room_items;  // a room file: one new item per member (kind file)
};

struct SendResult {
  std::uint64_t message_id = 0;
  std::int64_t time_ms = 0;
  bool duplicate = false;
  std::optional<InboxItem> item;  // the recipient's new inbox item; nullopt for a duplicate
  std::optional<InboxItem> carbon;  // the sender's own new inbox item (same message); nullopt for a duplicate
};

// A room message stored: like SendResult, with one inbox item per member who gets it.
struct RoomSendResult {
  std::uint64_t message_id = 0;
  std::int64_t time_ms = 0;
  bool duplicate = false;
  std::vector<InboxItem> items;  // empty for a duplicate
};

struct RoomChangeResult {
  std::optional<RoomView> room;     // the room after the change, as the actor sees it (unset for
                                    // decline, leave and delete)
  std::vector<InboxItem> items;     // the room events stored, for delivery
  std::vector<std::uint64_t> removed_files;    // delete: published files whose bytes can go
  std::vector<std::uint64_t> removed_uploads;  // delete: unfinished uploads whose parts can go
};

// ---- operators (schema 6) ----

struct UserRecord {
  User user;
  bool disabled = false;
  std::uint32_t sessions = 0;     // open sessions (devices logged in)
  std::int64_t last_seen_at = 0;  // Unix seconds a session was last used; 0: never
};

struct StoreStats {
  std::uint64_t users = 0;
  std::uint64_t disabled_users = 0;
  std::uint64_t rooms = 0;
  std::uint64_t messages = 0;       // 1:1
  std::uint64_t room_messages = 0;
  std::uint64_t files = 0;          // published
  std::uint64_t file_bytes = 0;     // of the published files
  std::uint64_t inbox_backlog = 0;  // inbox items not acknowledged
};

struct AccountEvent {
  std::uint64_t seq = 0;
  std::uint32_t user_id = 0;
};

// What deleting an account left for the caller to do: room events to deliver (the user left
// its rooms, handed owned ones on, or deleted rooms it was alone in) and bytes to remove.
struct DeletedUser {
  std::vector<InboxItem> items;
  std::vector<std::uint64_t> removed_files;    // files of rooms that went with the user
  std::vector<std::uint64_t> removed_uploads;  // its unfinished uploads (and those to it)
};

class Store {
 public:
  virtual ~Store() = default;

  // The schema version the store is at (after migrations ran on open).
  virtual int schema_version() = 0;

  // Stores a user under `id`. Returns false, storing nothing, if `id` is taken. The arguments are
  // stored as given (validation and picking the id are the caller's job); `password_hash` must
  // already be a one-way hash.
  virtual bool create_user(std::uint32_t id, std::string_view email, std::string_view nick,
                           std::string_view password_hash) = 0;

  // How many users exist (the server refuses new ids when the id space is nearly full).
  virtual std::uint64_t user_count() = 0;

  virtual std::optional<User> find_user(std::uint32_t id) = 0;

  // The stored password hash of `id`, or nullopt for an unknown id.
  virtual std::optional<std::string> password_hash(std::uint32_t id) = 0;

  // Records a session. Throws StoreError(not_found) if `user_id` does not exist.
  virtual void create_session(std::uint32_t user_id, const TokenHash& token_hash,
                              const SessionOrigin& origin = {}) = 0;

  // The user owning the session, or nullopt if there is none. Updates the session's
  // last-used time (and, when `origin` names an address, where it was used from).
  virtual std::optional<std::uint32_t> user_for_session(const TokenHash& token_hash,
                                                        const SessionOrigin& origin = {}) = 0;

  // Revokes a session. Returns false if there was none.
  virtual bool delete_session(const TokenHash& token_hash) = 0;

  // ---- accounts people manage themselves (schema 6). Each call is one transaction; each is
  // also what an operator's tool calls for the same change. ----

  // The user's sessions, oldest first.
  virtual std::vector<SessionRecord> sessions(std::uint32_t user_id) = 0;

  // Revokes every session of the user except `keep` (if set); returns how many went.
  virtual std::uint32_t delete_sessions(std::uint32_t user_id, const std::optional<TokenHash>& keep) = 0;

  // Replaces the stored password hash (already a one-way hash). False for an unknown user.
  virtual bool set_password_hash(std::uint32_t user_id, std::string_view password_hash) = 0;

  // Changes the nick (already validated). False for an unknown user.
  virtual bool set_nick(std::uint32_t user_id, std::string_view nick) = 0;

  // Whether others may find the user by nick. False for an unknown user.
  virtual bool set_discoverable(std::uint32_t user_id, bool discoverable) = 0;

  // Discoverable users whose nick equals `nick` (ASCII case ignored) or, with prefix, starts
  // with it; by nick, then id; at most `limit`.
  virtual std::vector<User> find_users_by_nick(std::string_view nick, bool prefix, std::uint32_t limit) = 0;

  // Deletes the account: sessions, friendships, friend requests, blocks (both ways), room
  // invitations, inbox, unfinished uploads from or to it, and room memberships (an owned room
  // passes to its longest-standing admin, else member; a room it is alone in is deleted, with
  // its files). Messages and published files stay in the others' history. The users row stays
  // as a tombstone (id and nick, nothing else): the id is never taken again, and every lookup
  // treats the user as unknown. Throws StoreError(not_found) for an unknown (or deleted) user.
  virtual DeletedUser delete_user(std::uint32_t user_id) = 0;

  // ---- friends. Each call is one transaction. ----

  // `from` asks `to` to be friends. If `to` had already asked `from`, both requests are removed
  // and they become friends (state now_friends; `to` gets an accepted notice in the inbox).
  // Otherwise a pending request from->to is stored (idempotent while it is pending). A new
  // pending request puts a friend-request notice into `to`'s inbox unless `from`'s previous
  // notice is still unacknowledged there (seq > to's acked_seq) and `to` has not answered
  // `from` since (accepted, or removed `from`): then it is coalesced into that notice
  // (coalesced=true, no notice), so asking, withdrawing and asking again cannot flood an
  // inbox. At most one unacknowledged notice per asker, until the target acknowledges past it
  // or answers. Throws StoreError(invalid_argument) if from == to, StoreError(not_found) if
  // `to` does not exist.
  virtual AddFriendResult add_friend(std::uint32_t from, std::uint32_t to) = 0;

  // Removes the friendship and pending requests in either direction. False if none existed.
  // Counts as `user_id` answering `other`: `other`'s next request notifies again.
  virtual bool remove_friend(std::uint32_t user_id, std::uint32_t other) = 0;

  // How `user_id` and `other` stand: friends, a pending request either way, or none (also
  // for an unknown `other`).
  virtual FriendLink friend_link(std::uint32_t user_id, std::uint32_t other) = 0;

  // The user's friends sorted by nick, then id.
  virtual std::vector<Friend> friends(std::uint32_t user_id) = 0;

  virtual FriendRequests friend_requests(std::uint32_t user_id) = 0;

  // ---- messages and the inbox. Each call is one transaction. ----

  // Stores a message, the recipient's inbox item (seq = last_seq + 1) and, in the same
  // transaction, the sender's carbon item (so the sender's other devices see it). If `client_msg_id` is
  // non-empty and the sender already stored a message with it, nothing is stored and the
  // original's id and time come back with duplicate=true (checked first, so a retry succeeds
  // even if the friendship ended meanwhile). `text` must already be validated.
  // Throws StoreError(invalid_argument) if from == to, StoreError(not_found) for an unknown
  // recipient, StoreError(not_allowed) if they are not friends.
  virtual SendResult send_message(std::uint32_t from, std::uint32_t to, std::string_view text,
                                  std::string_view client_msg_id) = 0;

  // Items with seq > max(after_seq, acked_seq), oldest first, at most `limit`.
  virtual InboxPage fetch_inbox(std::uint32_t user_id, std::uint64_t after_seq, std::uint32_t limit) = 0;

  // acked_seq = max(acked_seq, min(up_to_seq, last_seq)); returns the new acked_seq. Items up to
  // it may be dropped from the inbox (messages stay in the history).
  virtual std::uint64_t ack(std::uint32_t user_id, std::uint64_t up_to_seq) = 0;

  virtual InboxState inbox_state(std::uint32_t user_id) = 0;

  // Inbox items stored and not acknowledged yet, over all users (the metrics' inbox backlog).
  // Acknowledged items are dropped, so this counts the inbox; cheap while inboxes drain.
  virtual std::uint64_t inbox_backlog() = 0;

  // Messages between `user_id` and `peer` (both directions) with id < before_id (0: no bound),
  // the newest `limit` of them, returned oldest first.
  virtual HistoryPage history(std::uint32_t user_id, std::uint32_t peer, std::uint32_t limit,
                              std::uint64_t before_id) = 0;

  // ---- files. Each call is one transaction. ----

  virtual bool are_friends(std::uint32_t a, std::uint32_t b) = 0;

  // Starts an upload from `from` to `to`, or returns the unfinished one from `from` with the
  // same (to, size, sha256) (resumed=true; its name and updated time are refreshed). Throws
  // StoreError(not_found) for an unknown recipient, StoreError(not_allowed) if they are not
  // friends.
  virtual BeginUploadResult begin_upload(std::uint32_t from, std::uint32_t to, std::string_view name,
                                         std::uint64_t size, const Sha256& sha256) = 0;

  virtual std::optional<Upload> find_upload(std::uint64_t upload_id) = 0;

  // Removes an unfinished upload's row. False if there was none.
  virtual bool delete_upload(std::uint64_t upload_id) = 0;

  // Turns the upload into a published file (same id) and puts a file notice into the
  // recipient's inbox, in one transaction. The caller has already verified and moved the bytes.
  // Throws StoreError(not_found) if the upload does not exist.
  virtual PublishResult publish_upload(std::uint64_t upload_id) = 0;

  // Published files and unfinished uploads where `user_id` is sender or recipient and (peer !=
  // 0) the other party is `peer`; oldest first.
  virtual std::vector<FileRecord> list_files(std::uint32_t user_id, std::uint32_t peer) = 0;

  // A published file or an unfinished upload by id; nullopt if neither exists.
  virtual std::optional<FileRecord> find_file(std::uint64_t id) = 0;

  // Unfinished uploads not begun or resumed since `cutoff_ms` (candidates for expiry).
  virtual std::vector<Upload> stale_uploads(std::int64_t cutoff_ms) = 0;

  // ---- rooms (schema 5). Each call is one transaction. ----
  // Every call naming a room throws StoreError(not_allowed) "you are not a member of room ID"
  // when the caller is not a member, whether or not the room exists (JOIN and DECLINE: when the
  // caller is not invited).

  // Creates a room (id from the room id space, never reused) with `owner` as its owner and only
  // member. `name` is already validated. Throws StoreError(resource_exhausted) if the owner
  // already owns `max_owned` rooms, StoreError(not_found) for an unknown owner.
  virtual RoomView create_room(std::uint32_t owner, std::string_view name, std::uint32_t max_owned) = 0;

  // Applies one change, authorised by the actor's role, as RoomChangeRequest in
  // proto/occhat.proto describes it, and stores a room event in the inbox of every member
  // after the change (plus the subject who left or was removed; INVITED only to the invitee,
  // DECLINED only to the inviter). Besides not_allowed (non-member, or the role does not
  // allow it) it throws StoreError(invalid_argument) for a wrong number of users or a user
  // who is not a member, StoreError(not_allowed) for an invitee who is not the actor's friend,
  // StoreError(resource_exhausted) when the member limit would be passed, and
  // StoreError(conflict) for an owner leaving a room that has other members. Invitees who
  // blocked the actor are skipped silently (stored nothing, told nothing). A JOIN by a member
  // changes nothing and returns the room (a retried JOIN succeeds).
  virtual RoomChangeResult change_room(const RoomChange& change) = 0;

  // The user's rooms and pending invitations.
  virtual RoomLists rooms(std::uint32_t user_id) = 0;

  // Members of `room_id` with id > after_id, by id, at most `limit`.
  virtual RoomMembersPage room_members(std::uint32_t user_id, std::uint32_t room_id, std::uint32_t after_id,
                                       std::uint32_t limit) = 0;

  // Whether `user_id` is a member of `room_id` (false for an unknown room).
  virtual bool is_room_member(std::uint32_t user_id, std::uint32_t room_id) = 0;

  // Stores a room message once and one inbox item per member (the sender included; members who
  // blocked the sender excluded), each with the member's next seq, in one transaction.
  // `mention_candidates` are the ids named as @ID in order of first mention; the ones who are
  // members are kept. client_msg_id dedupes as in send_message (checked first).
  virtual RoomSendResult send_room_message(std::uint32_t from, std::uint32_t room_id, std::string_view text,
                                           std::string_view client_msg_id,
                                           const std::vector<std::uint32_t>& mention_candidates) = 0;

  // The room's messages the caller may see (those after they joined) with id < before_id
  // (0: no bound), the newest `limit`, oldest first.
  virtual HistoryPage room_history(std::uint32_t user_id, std::uint32_t room_id, std::uint32_t limit,
                                   std::uint64_t before_id) = 0;

  // ---- read markers (schema 6). Each call is one transaction. ----
  // A conversation is a friend's user id or a room id (the id spaces never meet). The user's
  // marker there is the newest message id they have read; sending a message moves it to that
  // message (send_message, send_room_message), and so does reading the newest page.

  // Moves the marker forward to `up_to_id` (0: the conversation's newest message; never past
  // it). Throws StoreError(not_found) for an unknown user, StoreError(invalid_argument) for
  // oneself, StoreError(not_allowed) for a room the user is not a member of.
  virtual void mark_read(std::uint32_t user_id, std::uint32_t conversation, std::uint64_t up_to_id) = 0;
  // Messages from others after the marker (in a room: after joining too, and none from users
  // the user blocks), counted up to kMaxUnreadCount.
  virtual std::uint32_t unread_count(std::uint32_t user_id, std::uint32_t conversation) = 0;

  // As begin_upload, to a room the sender is a member of (resumes by (room, size, sha256)).
  virtual BeginUploadResult begin_room_upload(std::uint32_t from, std::uint32_t room_id, std::string_view name,
                                              std::uint64_t size, const Sha256& sha256) = 0;

  // Every file and unfinished upload of the room (every member's), oldest first.
  virtual std::vector<FileRecord> list_room_files(std::uint32_t user_id, std::uint32_t room_id) = 0;

  // ---- blocking (schema 5). Each call is one transaction. ----

  // `user_id` blocks `other`: ends their friendship and pending requests both ways. While it
  // lasts, add_friend from `other` stores nothing (and answers requested), room invitations
  // from `other` skip `user_id`, and `other`'s room messages put nothing into `user_id`'s inbox.
  // Idempotent. Throws StoreError(invalid_argument) for oneself, StoreError(not_found) for an
  // unknown user.
  virtual void block_user(std::uint32_t user_id, std::uint32_t other) = 0;
  // Lifts the block only. False if there was none; StoreError(not_found) for an unknown user.
  virtual bool unblock_user(std::uint32_t user_id, std::uint32_t other) = 0;
  // The users `user_id` blocks, by id.
  virtual std::vector<User> blocked_users(std::uint32_t user_id) = 0;

  // ---- operators (occhat-server user ... / stats; schema 6) --------------------------------
  // Users with id > after_id, by id, at most `limit`.
  virtual std::vector<UserRecord> list_users(std::uint32_t after_id, std::uint32_t limit) = 0;
  virtual StoreStats stats() = 0;
  // Disabling ends every session of the user and records an account event (a running server
  // closes the user's connections when it sees it); a disabled account cannot log in. False for
  // an unknown id.
  virtual bool set_user_disabled(std::uint32_t id, bool disabled) = 0;
  virtual bool user_disabled(std::uint32_t id) = 0;
  // Replaces the password hash, ends every session and records an account event. False for an
  // unknown id.
  virtual bool reset_password(std::uint32_t id, std::string_view password_hash) = 0;
  // Account events (a user whose live connections must close) with seq > after_seq, oldest first.
  // Written by whoever changes an account outside the server's own requests (an operator's
  // command in another process); the server polls them.
  virtual std::vector<AccountEvent> account_events(std::uint64_t after_seq) = 0;
  // Records an account event for `user_id` by itself (after delete_user by an operator, say).
  virtual void record_account_event(std::uint32_t user_id) = 0;

  // ---- export and import (occhat-server export/import; the tables in dump_tables.hpp) ------
  // Hands every row of the dumped tables to `sink` (tables in kDumpTables order, rows by key),
  // read in one transaction: a consistent snapshot while the server writes, without blocking it.
  virtual void export_rows(const DumpRowSink& sink) = 0;
  // Inserts the rows `source` supplies in one transaction (each batch in kDumpTables order, so
  // a dump need not fit in memory), and moves the id
  // sequences (messages, room messages, rooms, files) past the imported ids. A row whose key, or
  // a message's (sender, client_msg_id), is present already is skipped (counted out). Without
  // `merge` throws StoreError(not_allowed) if the store holds any account (deleted ones too).
  // A row that does not fit (a reference to a missing record) throws StoreError(internal) and
  // nothing is stored; so does an exception from `source` (which passes through).
  virtual DumpCounts import_rows(const DumpRowSource& source, bool merge) = 0;
};

// What a commit waits for before it returns (and the server acknowledges).
enum class Durability {
  disk,     // fsynced: survives a power loss or kernel crash
  process,  // written to the OS, not fsynced: survives a crash or kill of the server only
};

struct StoreOptions {
  Durability durability = Durability::disk;
};

// The one place a backend is chosen. Opens one connection (one Store object) to the store at
// `location` and migrates it to the current schema; call it again for more connections.
//   PATH, sqlite:PATH, sqlite:///ABS/PATH  a SQLite file, created owner-only (0600) if missing;
//                                          its directory must exist
//   postgresql://... (postgres://...)      a PostgreSQL database (any libpq URI, given to libpq
//                                          as it is); StoreError(unavailable) if it cannot be
//                                          reached. `options.durability` is SQLite's only:
//                                          PostgreSQL commits as its synchronous_commit says
// Anything else of the form SCHEME://... is refused. Throws StoreError on failure
// (invalid_argument for a location it cannot use).
std::unique_ptr<Store> open_store(std::string_view location, const StoreOptions& options = {});

// The SQLite file `location` names (as open_store reads it), or nullopt for a PostgreSQL
// location. Throws StoreError(invalid_argument) for a location open_store would refuse.
std::optional<std::string> sqlite_file_of(std::string_view location);

}  // namespace occhat::store

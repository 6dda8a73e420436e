#pragma once
// occhat::Client — the C++ SDK every front end (CLI, Python, benchmarks) is built on.
//
// One Client holds one long-lived connection to an occhat-server. It owns an I/O thread
// (started by connect(), joined by disconnect() and the destructor); every public method is
// thread-safe and may be called from any thread, and any number of threads may wait in calls at
// once (answers are matched to calls by request id). Calls block until the server answers or
// Options::request_timeout passes; a call that timed out leaves the connection usable.
//
// Destruction: fails every call still waiting in another thread with unavailable, wakes every
// next_event(), waits for those calls to return, then joins the I/O thread. Starting a new call
// on a Client that is being destroyed is, as for any object, the caller's bug.
//
// Event handler: runs on the I/O thread. It must not make blocking calls (they throw conflict:
// only that thread could deliver their answer) and must not destroy the Client; it may call
// disconnect(), current_user(), connected().
//
// Errors: every failing call throws occhat::Error (see error.hpp), whose code() is stable:
//   unavailable        cannot connect, or the connection was lost
//   timeout            no answer in time
//   auth_failed        unknown id or wrong password
//   unauthenticated    the call needs login()/resume() first, or the token was revoked
//   rate_limited       Error::retry_after() says when to try again
//   ...                see occhat/proto/error_code.hpp
// No Asio or protobuf type appears in this header.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "occhat/error.hpp"
#include "occhat/proto/limits.hpp"

namespace occhat {

using UserId = std::uint32_t;

struct UserInfo {
  UserId id = 0;
  std::string nick;
  std::string email;  // empty unless this is the caller's own record
  bool discoverable = false;  // own record only: others may find you by nick (find_users)
};

struct Session {
  UserInfo user;
  std::string token;  // secret: lets resume() log in again without the password
  std::uint32_t revoked_sessions = 0;  // login: how many of revoke_tokens were live sessions
};

// One of the user's sessions (a login that has not been revoked), as sessions() lists them.
struct SessionInfo {
  std::string id;           // short and not secret: 12 hex digits (end_session() takes it)
  std::string client_name;  // e.g. "occhat-cli/0.1.0"
  std::string last_address; // IP address of the latest login or resume
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
  bool current = false;  // this connection's session
};

using MessageId = std::uint64_t;
// Position in a user's inbox: per recipient, strictly increasing, without gaps.
using Seq = std::uint64_t;

struct Friend {
  UserId id = 0;
  std::string nick;
  bool online = false;
  // Messages from this friend after your read marker (at most 9999). Reading the newest history
  // page, sending to them and mark_read() move the marker, from any of your devices.
  std::uint32_t unread = 0;
};

struct PendingFriendRequest {
  UserInfo user;              // the other user (id, nick)
  std::int64_t time_ms = 0;   // when the request was made, Unix ms
};

struct FriendRequests {
  std::vector<PendingFriendRequest> incoming;  // others asking you
  std::vector<PendingFriendRequest> outgoing;  // your requests not yet accepted
};

enum class AddFriendState { requested, now_friends, already_friends };

struct AddFriendResult {
  AddFriendState state = AddFriendState::requested;
  UserInfo user;  // the other user (id, nick)
};

// ---- rooms ----

// Room ids come from their own space (1000000 and up); user ids have 6 digits.
using RoomId = std::uint32_t;

enum class RoomRole { member, admin, owner };
// "member", "admin", "owner".
const char* to_string(RoomRole role) noexcept;

struct RoomRef {
  RoomId id = 0;
  std::string name;
};

struct Room {
  RoomId id = 0;
  std::string name;
  RoomRole role = RoomRole::member;  // the caller's role (an invitation: the role on joining)
  std::uint32_t members = 0;
  UserId owner = 0;
  std::int64_t created_ms = 0;
  UserInfo invited_by;  // only for RoomList::invites
  std::uint32_t unread = 0;  // RoomList::rooms: messages from others after your read marker (as Friend::unread)
};

struct RoomList {
  std::vector<Room> rooms;    // rooms you are a member of, by name then id
  std::vector<Room> invites;  // invitations you have not answered
};

struct RoomMember {
  UserId id = 0;
  std::string nick;
  RoomRole role = RoomRole::member;
  bool online = false;
  std::int64_t joined_ms = 0;
};

// What happened in a room (Event::room_event). `kind` is one of "invited" (actor invited you),
// "joined", "left", "removed" (actor removed subject), "role_changed" (subject now has `role`),
// "renamed" (room.name is the new name), "deleted", "declined" (subject declined your
// invitation), or "unknown" for a kind this SDK version does not know.
struct RoomEvent {
  std::string kind;
  RoomRef room;
  UserInfo actor;
  UserInfo subject;
  RoomRole role = RoomRole::member;
};

struct Message {
  MessageId id = 0;
  UserId from = 0;
  UserId to = 0;
  std::string from_nick;
  std::string to_nick;  // only in a "sent" event of a 1:1 message: the recipient's nick
  std::string text;  // valid UTF-8; may contain newlines and control characters: escape for display
  std::int64_t time_ms = 0;  // server time when stored, Unix ms
  std::optional<RoomRef> room;  // set for a room message (then `to` is 0)
  std::vector<UserId> mentions;  // room members the text names as @ID, in order of first mention
};

struct SendResult {
  MessageId id = 0;
  std::int64_t time_ms = 0;
  bool duplicate = false;  // the client_msg_id was stored before: this is the original's id
};

struct HistoryPage {
  std::vector<Message> messages;  // oldest first
  bool more = false;              // older ones exist: pass messages.front().id as before_id
};

using FileId = std::uint64_t;

// A file exchanged between two friends. `name` is display text chosen by the sender: never use
// it as a path without sanitising it (the CLI's download does).
struct FileInfo {
  FileId id = 0;
  std::string name;
  std::uint64_t size = 0;
  std::string sha256;  // 64 lowercase hex digits
  UserId sender = 0;
  UserId recipient = 0;
  std::string sender_nick;
  std::int64_t time_ms = 0;
  std::string state;  // "available", or "uploading" while an upload is unfinished
  std::optional<RoomRef> room;  // set for a file sent to a room (then `recipient` is 0)
};

// Called as bytes move: `done` of `total` bytes of the file (including bytes that a resume
// skipped): once at the start (done = where the transfer resumes, 0 for a fresh one), then after
// each chunk the server acknowledged (upload) or that was written to disk (download); the last
// call has done == total. `done` never decreases. Runs on the calling thread; an exception thrown
// from it aborts the transfer and propagates unchanged (the partial state stays resumable).
using ProgressCallback = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct UploadResult {
  FileInfo file;
  std::uint64_t resumed_from = 0;  // the server already had this many bytes
  std::uint64_t bytes_sent = 0;    // file bytes sent by this call
};

// One page of a file history (Client::files_page): oldest first; `more`: older files exist
// (ask again with before_id = files.front().id).
struct FilePage {
  std::vector<FileInfo> files;
  bool more = false;
};

struct DownloadResult {
  FileInfo file;
  std::string path;                 // where the verified file now is
  std::uint64_t resumed_from = 0;   // bytes kept from an earlier partial download
  std::uint64_t bytes_received = 0; // file bytes received by this call
};

// Something that happened, pushed by the server or reported by the SDK. `type` is one of:
//   "message"         seq, time_ms, message          (sequenced: acknowledge with ack(seq))
//   "sent"            seq, time_ms, message          (sequenced) a message you sent, from any of
//                                                    your devices, this one included (carbons):
//                                                    1:1 (message->to, to_nick; `user` is the
//                                                    recipient) or to a room (message->room)
//   "friend_request"  seq, time_ms, user, accepted   (sequenced) user asked to be your friend,
//                                                    or (accepted=true) accepted your request
//   "file"            seq, time_ms, user, file       (sequenced) user sent you (or a room: file->room) a file
//   "room"            seq, time_ms, room_event       (sequenced) a membership or settings change
//   "presence"        user, online, snapshot         a friend came online or went offline;
//                                                    subscribe() starts with one per friend
//                                                    online then (snapshot=true)
//   "disconnected"                                   the connection was lost (SDK-made)
//   "unknown"         seq, time_ms                   an inbox item of a kind this SDK version
//                                                    does not know (sequenced: ack past it)
// For "message", `user` is the sender too (id, nick), like message->from / from_nick; a room
// message has message->room set.
// Events of one connection arrive in the server's order; sequenced ones by increasing seq.
struct Event {
  std::string type;
  Seq seq = 0;               // 0 for events outside the inbox (presence, disconnected)
  // When it happened, Unix ms: server time for sequenced events; for presence and disconnected
  // (which the server does not date) the local time the SDK received them.
  std::int64_t time_ms = 0;
  std::optional<Message> message;
  std::optional<FileInfo> file;
  std::optional<RoomEvent> room_event;
  UserInfo user;
  bool online = false;
  bool snapshot = false;  // presence: part of the snapshot a subscription starts with
  bool accepted = false;
};

struct InboxPage {
  std::vector<Event> events;  // sequenced events, oldest first
  bool more = false;          // more follow after events.back().seq
};

class Client {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{15000};
    std::string client_name = "occhat-sdk/0.1.0";
    // A ping is sent after this long without any frame sent, so the server (which drops
    // connections silent for its idle timeout, 30 s by default) keeps an idle client; its pong
    // is consumed by the SDK. If the server announces a shorter idle timeout, pings go out at a
    // third of it instead. 0 disables (then an idle connection is dropped by the server and the
    // next call throws unavailable).
    std::chrono::milliseconds keepalive_interval{10000};
    // A node that hangs or is cut off (stopped, frozen, behind a network partition) resets
    // nothing, and our pings still "succeed" (its kernel, or the network, takes them). So after
    // each ping the server must show a sign of life (its pong, or any other frame) within this
    // long, or the connection counts as lost exactly as after a reset: pending calls throw
    // unavailable, a "disconnected" event follows, and the next connect() with a list starts with
    // the next node. An idle client notices a dead node within keepalive_interval +
    // keepalive_timeout (20 s by default). As long as the interval, because the server answers a
    // connection's frames in order: the pong may wait behind a slow request, sent at least an
    // interval before the ping and allowed request_timeout (15 s); with the defaults a slow but
    // working server is never cut off. Requests keep their own request_timeout.
    // 0 disables the check (only a failed write is then noticed); needs keepalive_interval > 0.
    std::chrono::milliseconds keepalive_timeout{10000};
    // TLS (a server started with --tls-cert/--tls-key). TLS 1.2 or newer; the server's
    // certificate must chain to a trusted CA and be valid for the server name, or connect()
    // throws unavailable "TLS handshake with HOST:PORT failed: certificate verification failed:
    // <reason>". A plaintext client of a TLS server gets unavailable "... requires TLS"; a TLS client of a plaintext server unavailable "TLS handshake ... failed".
    bool tls = false;
    // PEM file of the CA certificate(s) to trust instead of the system's default store (e.g. the
    // ca.pem of scripts/make-certs.sh). Unreadable or not PEM: connect() throws invalid_argument.
    std::string tls_ca_file;
    // The name the certificate must be valid for (and the SNI sent); empty means the host part
    // of the address given to connect(). An IP literal is matched against IP address entries.
    std::string tls_server_name;
  };

  Client();
  explicit Client(Options options);
  ~Client();  // closes the connection and joins the I/O thread
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects to "HOST:PORT" ("[v6addr]:PORT" for IPv6 literals) and performs the version
  // handshake, both within Options::connect_timeout.
  // Throws invalid_argument (not HOST:PORT), unavailable (unresolvable, refused, unreachable,
  // or lost during the handshake), timeout, unsupported_version, conflict (already connected:
  // disconnect() first; after a lost connection connect() may be called directly).
  //
  // Failover: `server` may be a comma-separated list of the nodes of a cluster,
  // "HOST:PORT,HOST:PORT,..." (invalid_argument names a bad entry). connect() tries them in
  // turn, each within connect_timeout (the TLS server name is that entry's host, unless
  // Options::tls_server_name is set), and stays on the first that completes the handshake. When
  // every one fails it throws "cannot reach server LIST: A: why; B: why; ..." (timeout if they
  // all timed out, else unavailable). A node that is unreachable, times out, speaks another
  // protocol version or misbehaves is skipped; any other error is thrown at once. The first
  // connect() with a list starts with its first entry; after the connection was lost, the next
  // connect() with the same list starts with the entry AFTER the node that was lost (round
  // robin), after disconnect() with the same node again.
  void connect(const std::string& server);
  // The entry of the list (as given to connect()) the current or last connection reached;
  // empty before the first successful connect().
  std::string server() const;
  // Closes the connection (idempotent). Pending calls fail with unavailable; no "disconnected"
  // event is produced (that event reports losses the application did not ask for).
  void disconnect() noexcept;
  // True between a successful connect() and disconnect() or the loss of the connection.
  bool connected() const noexcept;

  // Every call below throws unavailable when not connected or when the connection is lost
  // while it waits, and timeout when no answer comes within Options::request_timeout.

  // Creates an account; returns its new 6-digit id. Does not log in.
  // Throws invalid_argument (bad email, nick or password), rate_limited.
  UserId register_user(const std::string& email, const std::string& nick, const std::string& password);

  // Logs this connection in. announce_presence=true makes the user count as online while the
  // connection lasts (long-lived clients); one-shot tools pass false.
  // revoke_tokens: tokens of earlier sessions to revoke once the login succeeded (a logout that
  // could not reach the server, a saved session being replaced); at most 16.
  // Throws auth_failed (same error for unknown id and wrong password), rate_limited.
  Session login(UserId id, const std::string& password, bool announce_presence = false,
                const std::vector<std::string>& revoke_tokens = {});

  // Logs this connection in with a token from an earlier login. Throws unauthenticated when the
  // token is unknown or revoked.
  Session resume(const std::string& token, bool announce_presence = false);

  // Revokes this connection's session token on the server. Throws unauthenticated if not logged in.
  void logout();

  // Looks a user up by id. Throws not_found, unauthenticated.
  UserInfo find_user(UserId id);

  // ---- your own account (all throw unauthenticated when not logged in) ----

  // Changes the password; every other session is revoked (its connections closed), this one
  // stays. Throws auth_failed (wrong current password), invalid_argument (bad new one),
  // rate_limited (too many wrong passwords).
  void change_password(const std::string& current_password, const std::string& new_password);
  // Changes the nick (rules as at registration; invalid_argument otherwise). Returns your record.
  UserInfo set_nick(const std::string& nick);
  // Lets others find you by nick (find_users), or stops it. Returns your record.
  UserInfo set_discoverable(bool discoverable);
  // Your sessions, oldest first.
  std::vector<SessionInfo> sessions();
  // Ends every session of yours, this one too (connections closed; this one is logged out).
  void logout_all();
  // Ends one session by its SessionInfo::id. Throws not_found. Ending this connection's own
  // session logs it out.
  void end_session(const std::string& session_id);
  // Deletes your account (see README "delete-account"); this connection is logged out. Throws
  // auth_failed (wrong password), rate_limited.
  void delete_account(const std::string& password);
  // Users who let themselves be found (set_discoverable) by nick, exactly (ASCII case ignored)
  // or every nick starting with `nick` (prefix); at most 20. Throws rate_limited (the same
  // limit as find_user), invalid_argument (an empty or over-long nick).
  std::vector<UserInfo> find_users(const std::string& nick, bool prefix = false);

  // ---- friends (all throw unauthenticated when not logged in) ----

  // Sends a friend request, or accepts the other user's pending one. Throws not_found (no such
  // user), invalid_argument (yourself).
  AddFriendResult add_friend(UserId id);
  // Ends a friendship, or withdraws / declines a pending request. Throws not_found if there is
  // neither.
  void remove_friend(UserId id);
  std::vector<Friend> friends();
  FriendRequests friend_requests();

  // ---- messages ----

  // Sends `text` to a friend; returns once the server has committed it. client_msg_id (0..64
  // bytes, unique per sender) makes a retry after a lost answer safe: the same id returns the
  // original message with duplicate=true. Empty: the SDK makes a random one (16 random bytes as
  // hex), which protects nothing across calls: to retry safely, pass your own id both times.
  // Throws not_allowed (not a friend), not_found (no such user), invalid_argument (empty, over
  // 8192 bytes, not UTF-8, to yourself).
  SendResult send_message(UserId to, const std::string& text, const std::string& client_msg_id = {});

  // Unacknowledged inbox events with seq > after_seq, oldest first, at most `limit` (1..1000;
  // invalid_argument otherwise). The server may return fewer (a frame holds at most 64 KiB):
  // continue from events.back().seq while `more`.
  InboxPage fetch_inbox(Seq after_seq = 0, std::uint32_t limit = proto::kMaxInboxFetchLimit);
  // Marks every inbox event with seq <= up_to_seq handled; the server never sends them again.
  void ack(Seq up_to_seq);
  // Asks the server to push this connection every unacknowledged inbox event after after_seq
  // (the backlog first, in order), then each new one as it is stored, plus friends' presence.
  // Events arrive through next_event() / the handler. Lasts as long as the connection: after a
  // reconnect, log in and subscribe again (from the last seq handled).
  void subscribe(Seq after_seq = 0);

  // ---- files ----

  // Sends the file at `path` to a friend (online or offline) under `name` (nullopt: the path's
  // base name; an explicitly empty name is stored by the server as "unnamed"). Hashes the file, then asks the server where an unfinished upload of the same
  // bytes to the same friend stands and continues from there (so re-running after an
  // interruption re-sends at most the chunks that were in flight), streams 1 MiB chunks with 4
  // in flight (constant memory: a few MiB whatever the file size), and returns once the server
  // has verified size and SHA-256 and published the file. If another client moves the same
  // upload on meanwhile (conflict), it asks for the server's offset once and continues.
  // Throws invalid_argument ("cannot read PATH: reason"; not a regular file), not_allowed (not a
  // friend), not_found (no such user), resource_exhausted (over the server's size limit, or its
  // disk is full), integrity (the file changed while it was sent).
  UploadResult upload_file(UserId to, const std::string& path, const std::optional<std::string>& name = std::nullopt,
                           const ProgressCallback& progress = {});

  // Abandons your own unfinished upload `upload_id` (FileInfo::id of a file in state
  // "uploading" that you send): the server deletes its bytes and frees its disk reservation and
  // your unfinished-upload quota slot. Throws not_found (no such unfinished upload of yours:
  // unknown, finished, or someone else's), conflict (it is being written right now).
  void cancel_upload(FileId upload_id);
  // Cancels the unfinished upload of the file at `path` to `to` (the one upload_file(to, path)
  // would resume: same recipient, size and SHA-256) and returns its id. Throws invalid_argument
  // (cannot read PATH), not_found ("no unfinished upload of PATH to ID"), conflict.
  FileId cancel_upload_file(UserId to, const std::string& path);
  // The same for your unfinished upload of the file at `path` to a room ("no unfinished upload
  // of PATH to room ROOM").
  FileId cancel_room_upload_file(RoomId room, const std::string& path);

  // Files exchanged with `peer` (both directions, oldest first); peer 0: with anyone. The newest
  // that fit in one frame (about 900); files_page() reaches older ones.
  std::vector<FileInfo> files(UserId peer = 0);
  // A page of that history: at most `limit` files (0: as many as fit in a frame) before file
  // `before_id` (0: the newest).
  FilePage files_page(UserId peer, FileId before_id = 0, std::uint32_t limit = 0);
  // Throws not_found, not_allowed (you are neither sender nor recipient).
  FileInfo file_info(FileId id);

  // Downloads file `id` to `path` (an existing `path` is replaced: checking is the caller's job).
  // Bytes go to "<path>.part", with the validator "<file_id> <sha256hex> <size>\n" in
  // "<path>.part.meta", and are renamed to `path` (then the meta file is deleted) only after the
  // whole file's SHA-256 matched. 1 MiB reads, 4 in flight, written in order (constant memory).
  // resume=true continues "<path>.part" from its size if the meta file matches the server's file
  // exactly and the part is not longer than the file; otherwise (and with resume=false) it
  // starts over. On a SHA-256 mismatch the bytes are moved to "<path>.corrupt", the meta file
  // is deleted and integrity is thrown ("...; kept aside as <path>.corrupt").
  // Only a regular file of the effective user with one link is used at "<path>.part" and
  // "<path>.part.meta": a symlink, hard link, FIFO, directory or another user's file there is
  // never followed, written or removed; invalid_argument "cannot write <path>.part: it is a
  // symbolic link (not followed, left as it is; remove it to download here)" is thrown instead.
  // Throws not_found, not_allowed (neither sender nor recipient), conflict (the file is still
  // being uploaded), invalid_argument ("cannot write <file>: reason").
  DownloadResult download_file(FileId id, const std::string& path, bool resume = false,
                               const ProgressCallback& progress = {});

  // Messages between you and `peer`, both directions, oldest first; `limit` 1..500; before_id 0
  // means the newest. Throws invalid_argument for a bad limit.
  // Reading the newest page (before_id 0) marks the conversation read up to its newest message.
  HistoryPage history(UserId peer, std::uint32_t limit = proto::kDefaultHistoryLimit, MessageId before_id = 0);

  // Moves your read marker of the conversation with `peer` (a friend, or a former one) up to
  // message `up_to_id` (0: everything there now), so Friend::unread counts only what came
  // after. Throws not_found (no such user), invalid_argument (yourself).
  void mark_read(UserId peer, MessageId up_to_id = 0);
  // The same for a room you are a member of (Room::unread).
  void mark_room_read(RoomId room, MessageId up_to_id = 0);

  // ---- rooms (all throw unauthenticated when not logged in, and not_allowed "you are not a
  // member of room ID" for a room you are not in, whether or not it exists) ----

  // Creates a room named `name` (1..64 characters) with you as its owner. Throws
  // invalid_argument (bad name).
  Room create_room(const std::string& name);
  // Invites friends (any member may). Members and users already invited are skipped. Throws
  // not_allowed (someone is not your friend), resource_exhausted (the room would be over the
  // server's member limit).
  void invite_to_room(RoomId room, const std::vector<UserId>& users);
  // Answers an invitation. join_room throws not_allowed without one, resource_exhausted when
  // the room is full.
  Room join_room(RoomId room);
  void decline_room(RoomId room);
  // Leaves a room. The owner must transfer_room() or delete_room() first (conflict), unless
  // they are its only member: then leaving deletes it.
  void leave_room(RoomId room);
  // Owner: removes anyone; admin: removes plain members.
  void remove_from_room(RoomId room, UserId user);
  // Owner only: makes a member an admin, or (admin=false) a plain member again.
  void set_room_admin(RoomId room, UserId user, bool admin = true);
  // Owner only: hands ownership to another member; you become an admin.
  void transfer_room(RoomId room, UserId new_owner);
  // Owner and admins.
  void rename_room(RoomId room, const std::string& name);
  // Owner only: deletes the room with its history and files.
  void delete_room(RoomId room);
  RoomList rooms();
  // Every member, by id (several round trips for a big room).
  std::vector<RoomMember> room_members(RoomId room);

  // Sends to every member of a room, as send_message does to a friend.
  SendResult send_room_message(RoomId room, const std::string& text, const std::string& client_msg_id = {});
  // The room's messages from when you joined, oldest first; as history().
  HistoryPage room_history(RoomId room, std::uint32_t limit = proto::kDefaultHistoryLimit, MessageId before_id = 0);
  // Sends a file to a room (every member is notified), as upload_file does to a friend.
  UploadResult upload_room_file(RoomId room, const std::string& path,
                                const std::optional<std::string>& name = std::nullopt,
                                const ProgressCallback& progress = {});
  // The room's files (every member's), oldest first, as files() / files_page().
  std::vector<FileInfo> room_files(RoomId room);
  FilePage room_files_page(RoomId room, FileId before_id = 0, std::uint32_t limit = 0);

  // ---- blocking ----

  // Blocks a user: ends any friendship or pending request with them, and from now on their
  // friend requests, room invitations and room messages never reach you (they are not told).
  // Idempotent. Throws not_found (no such user), invalid_argument (yourself).
  void block_user(UserId id);
  void unblock_user(UserId id);
  std::vector<UserInfo> blocked_users();

  // The logged-in user, if any (no server round trip). Cleared by logout(), disconnect() and the
  // loss of the connection (a session belongs to its connection).
  std::optional<UserInfo> current_user() const;

  // Pushes: either poll with next_event() or install a handler (called on the I/O thread; keep it
  // short). With a handler installed, next_event() receives nothing.
  // When the connection is lost (not on disconnect()) an Event{type="disconnected"} is pushed.
  // next_event() returns nullopt after `timeout` or when the Client is being destroyed. Events
  // survive disconnect() and a later connect() (so the "disconnected" event is never missed).
  std::optional<Event> next_event(std::chrono::milliseconds timeout);
  // Installs (or with nullptr removes) the handler. Events queued before it was installed are
  // passed to it at once, on the calling thread. An exception thrown by the handler is ignored.
  void set_event_handler(std::function<void(const Event&)> handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace occhat

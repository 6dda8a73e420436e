// Authorisation sweep (hardening issue, item 6), on a real occhat-server process with hand-built
// frames. For EVERY Envelope field (= frame type) a probe tries to act on another user's data —
// their messages, inbox, files, uploads, friends, session — and must be refused with the code
// docs/PROTOCOL.md documents, leak nothing of the victims in any answer, and leave the victims'
// data unchanged.
//
// The list of types is taken from wire::Envelope::descriptor(), not written down here: a new
// Envelope field without an entry in kProbes fails with "no authorisation probe for ...".
//
// Cast: alice and bob are friends with a conversation, a published file, an unfinished upload,
// pending inbox items and a pending friend request of alice's to dave; and a room of alice's
// that bob joined, with a message and a file in it. mallory is the attacker:
// a stranger to everyone, or (second test) alice's friend but not bob's.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "occhat/proto/sha256.hpp"
#include "raw_client.hpp"
#include "raw_peer.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace occhat::test;
using occhat::ErrorCode;
namespace fs = std::filesystem;
namespace gp = google::protobuf;

// ---- a connection that answers calls by request id and keeps pushes aside ----------------------

class Conn : public RawPeer {
 public:
  using RawPeer::RawPeer;

  // The answer to `body`; an empty Envelope if the server closed the connection or timed out.
  wire::Envelope call(const wire::Envelope& body) {
    wire::Envelope answer;
    const auto r = exchange(body, answer);
    if (r != RawClient::Read::frame) {
      closed_ = r == RawClient::Read::closed;
      if (r == RawClient::Read::timeout) ADD_FAILURE() << "no answer to " << body.ShortDebugString();
    }
    return answer;
  }

  // True once the server closed the connection (seen by a call, or within `timeout`).
  bool closed_by_server(std::chrono::milliseconds timeout = 3s) { return closed_ || raw().closed_by_server(timeout); }

 private:
  bool closed_ = false;
};

// ---- request builders ----------------------------------------------------------------------------

// What the snapshots and probes ask for: more than the victims have.
constexpr std::uint32_t kInboxLimit = 1000;
constexpr std::uint32_t kHistoryLimit = 500;

// An Envelope with field `number` set to its default (empty) message: any frame type, built from
// the descriptor alone.
wire::Envelope bare_body(int number) {
  wire::Envelope e;
  const auto* field = wire::Envelope::descriptor()->FindFieldByNumber(number);
  e.GetReflection()->MutableMessage(&e, field);
  return e;
}

std::string sha_of(const std::string& data) {
  proto::Sha256 h;
  h.update(data);
  const auto d = h.finish();
  return std::string(d.begin(), d.end());
}

std::string random_text(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

std::string field_name(int number) {
  const auto* field = wire::Envelope::descriptor()->FindFieldByNumber(number);
  return field ? std::string(field->name()) + " (" + std::to_string(number) + ")" : std::to_string(number);
}

// Room requests (issue 13), built here: occhat/proto/requests.hpp is the SDK's to extend.
namespace room_body {

wire::Envelope create(std::string_view name) {
  wire::Envelope e;
  e.mutable_create_room_request()->set_name(std::string(name));
  return e;
}

wire::Envelope change(std::uint32_t room, wire::RoomChangeRequest::Change kind, std::uint32_t user = 0) {
  wire::Envelope e;
  auto* r = e.mutable_room_change_request();
  r->set_room_id(room);
  r->set_change(kind);
  if (user != 0) r->add_users(user);
  if (kind == wire::RoomChangeRequest::RENAME) r->set_name("mallory was here");
  return e;
}

wire::Envelope send(std::uint32_t room, std::string_view text, std::string_view client_msg_id = {}) {
  auto e = rq::send_message(0, text, client_msg_id);
  e.mutable_send_message_request()->set_room_id(room);
  return e;
}

wire::Envelope history(std::uint32_t room) {
  auto e = rq::history(0, 500);
  e.mutable_history_request()->set_room_id(room);
  return e;
}

wire::Envelope members(std::uint32_t room) {
  wire::Envelope e;
  e.mutable_list_room_members_request()->set_room_id(room);
  return e;
}

wire::Envelope files(std::uint32_t room) {
  auto e = rq::list_files(0);
  e.mutable_list_files_request()->set_room_id(room);
  return e;
}

wire::Envelope begin_upload(std::uint32_t room) {
  auto e = rq::begin_upload(0, "x", 10, sha_of("0123456789"));
  e.mutable_begin_upload_request()->set_room_id(room);
  return e;
}

wire::Envelope list() {
  wire::Envelope e;
  e.mutable_list_rooms_request();
  return e;
}

wire::Envelope block(std::uint32_t user, bool unblock = false) {
  wire::Envelope e;
  e.mutable_block_user_request()->set_user_id(user);
  e.mutable_block_user_request()->set_unblock(unblock);
  return e;
}

}  // namespace room_body

// ---- the world: victims, their data, the attacker ---------------------------------------------

constexpr std::uint64_t kNoSuchFile = 987654321;

struct World {
  // No lookup limit: the sweep checks with find after every probe that mallory is still mallory
  // (the limit itself: raw_enumeration_test.cpp).
  ServerProcess server{{}, {"--find-rate", "0"}};
  Conn alice{server}, bob{server}, mallory{server};
  std::uint32_t alice_id = 0, bob_id = 0, mallory_id = 0, dave_id = 0, ghost_id = 0;
  std::string alice_token, bob_token, mallory_token;
  std::string alice_revoked_token;  // alice logged out of it
  std::uint64_t msg_ab = 0, msg_ba = 0;
  std::uint64_t file_id = 0;    // published, alice -> bob
  std::uint64_t upload_id = 0;  // unfinished, alice -> bob
  std::string upload_data;      // what the upload announced (sha/size); first kUploaded bytes sent
  static constexpr std::size_t kUploaded = 4000;
  std::uint32_t room_id = 0;        // alice owns it, bob is a member
  std::uint64_t room_msg = 0;       // alice's message in it
  std::uint64_t room_file_id = 0;   // bob's file in it
  bool mallory_is_alices_friend = false;
  // Strings that belong to the victims only: none may appear in any answer to the attacker.
  std::vector<std::string> secrets;

  std::string part_path() const {
    return (fs::path(server.data_dir()) / "files" / "uploads" / (std::to_string(upload_id) + ".part")).string();
  }
};

std::uint32_t sign_up(Conn& c, const std::string& nick, const std::string& email, std::string* token = nullptr) {
  const auto r = c.call(rq::register_user(email, nick, kPassword));
  EXPECT_TRUE(r.has_register_response()) << r.ShortDebugString();
  const auto id = r.register_response().user_id();
  const auto l = c.call(rq::login(id, kPassword));
  EXPECT_TRUE(l.has_login_ok()) << l.ShortDebugString();
  if (token) *token = l.login_ok().token();
  return id;
}

void set_up(World& w, bool mallory_is_alices_friend) {
  w.mallory_is_alices_friend = mallory_is_alices_friend;
  const std::string tag = random_text(12, 7);
  const std::string alice_email = "alice-" + tag + "@secret.example.org";
  const std::string bob_email = "bob-" + tag + "@secret.example.org";
  w.alice_id = sign_up(w.alice, "alice", alice_email, &w.alice_revoked_token);
  ASSERT_TRUE(w.alice.call(rq::logout()).has_ok());
  const auto relogin = w.alice.call(rq::login(w.alice_id, kPassword));
  ASSERT_TRUE(relogin.has_login_ok());
  w.alice_token = relogin.login_ok().token();
  w.bob_id = sign_up(w.bob, "bob", bob_email, &w.bob_token);
  w.mallory_id = sign_up(w.mallory, "mallory", "mallory@example.org", &w.mallory_token);
  {
    Conn d(w.server);
    const auto r = d.call(rq::register_user("dave-" + tag + "@secret.example.org", "dave", kPassword));
    w.dave_id = r.register_response().user_id();
  }
  for (std::uint32_t id = 999999;; --id) {
    if (id != w.alice_id && id != w.bob_id && id != w.mallory_id && id != w.dave_id) {
      w.ghost_id = id;
      break;
    }
  }
  befriend(w.alice, w.alice_id, w.bob, w.bob_id);
  if (mallory_is_alices_friend) befriend(w.mallory, w.mallory_id, w.alice, w.alice_id);
  // alice's pending request to dave: nobody but dave may accept it.
  ASSERT_EQ(w.alice.call(rq::add_friend(w.dave_id)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);

  const std::string text_ab = "alice-to-bob-" + tag, text_ba = "bob-to-alice-" + tag;
  const auto sent_ab = w.alice.call(rq::send_message(w.bob_id, text_ab, "cid-alice-1"));
  ASSERT_TRUE(sent_ab.has_message_sent()) << sent_ab.ShortDebugString();
  w.msg_ab = sent_ab.message_sent().message_id();
  const auto sent_ba = w.bob.call(rq::send_message(w.alice_id, text_ba, "cid-bob-1"));
  ASSERT_TRUE(sent_ba.has_message_sent());
  w.msg_ba = sent_ba.message_sent().message_id();

  // A published file alice -> bob.
  const std::string file_name = "file-name-" + tag + ".txt";
  const std::string file_data = "file-content-" + tag + random_text(3000, 11);
  const auto begun = w.alice.call(rq::begin_upload(w.bob_id, file_name, file_data.size(), sha_of(file_data)));
  ASSERT_TRUE(begun.has_upload_state()) << begun.ShortDebugString();
  w.file_id = begun.upload_state().upload_id();
  ASSERT_TRUE(w.alice.call(rq::upload_chunk(w.file_id, 0, file_data)).has_upload_state());
  ASSERT_TRUE(w.alice.call(rq::finish_upload(w.file_id)).has_file_info());

  // An unfinished upload alice -> bob.
  const std::string upload_name = "upload-name-" + tag + ".bin";
  w.upload_data = "upload-content-" + tag + random_text(10000, 13);
  const auto up = w.alice.call(rq::begin_upload(w.bob_id, upload_name, w.upload_data.size(), sha_of(w.upload_data)));
  ASSERT_TRUE(up.has_upload_state()) << up.ShortDebugString();
  w.upload_id = up.upload_state().upload_id();
  ASSERT_TRUE(w.alice.call(rq::upload_chunk(w.upload_id, 0, w.upload_data.substr(0, World::kUploaded))).has_upload_state());
  ASSERT_EQ(fs::file_size(w.part_path()), World::kUploaded);

  // alice's room with bob in it, a message and a file of bob's.
  const std::string room_name = "room-name-" + tag;
  const auto room = w.alice.call(room_body::create(room_name));
  ASSERT_TRUE(room.has_room_info()) << room.ShortDebugString();
  w.room_id = room.room_info().id();
  ASSERT_TRUE(w.alice.call(room_body::change(w.room_id, wire::RoomChangeRequest::INVITE, w.bob_id)).has_room_info());
  ASSERT_TRUE(w.bob.call(room_body::change(w.room_id, wire::RoomChangeRequest::JOIN)).has_room_info());
  const std::string room_text = "room-text-" + tag;
  const auto room_sent = w.alice.call(room_body::send(w.room_id, room_text, "cid-alice-room"));
  ASSERT_TRUE(room_sent.has_message_sent()) << room_sent.ShortDebugString();
  w.room_msg = room_sent.message_sent().message_id();
  const std::string room_file_name = "room-file-" + tag + ".txt";
  const std::string room_file_data = "room-content-" + tag;
  auto room_begin = rq::begin_upload(0, room_file_name, room_file_data.size(), sha_of(room_file_data));
  room_begin.mutable_begin_upload_request()->set_room_id(w.room_id);
  const auto room_up = w.bob.call(room_begin);
  ASSERT_TRUE(room_up.has_upload_state()) << room_up.ShortDebugString();
  w.room_file_id = room_up.upload_state().upload_id();
  ASSERT_TRUE(w.bob.call(rq::upload_chunk(w.room_file_id, 0, room_file_data)).has_upload_state());
  ASSERT_TRUE(w.bob.call(rq::finish_upload(w.room_file_id)).has_file_info());

  // bob handled his first inbox item (alice's friend request) and left the rest pending.
  ASSERT_TRUE(w.bob.call(rq::ack(1)).has_ok());

  // (Not the upload's SHA-256: probe 61 hands it to mallory, as if guessed, for her own upload.)
  w.secrets = {alice_email, bob_email, text_ab, text_ba, file_name, upload_name, "file-content-" + tag,
               "upload-content-" + tag, sha_of(file_data), w.alice_token,
               w.alice_revoked_token, w.bob_token, "cid-alice-1", "cid-bob-1", room_name, room_text,
               room_file_name, room_file_data, "cid-alice-room"};
}

// ---- checks ------------------------------------------------------------------------------------

// No secret of the victims in `answer` (raw bytes and text form).
void expect_no_leak(const World& w, const wire::Envelope& answer, const std::string& what) {
  const std::string bytes = answer.SerializeAsString();
  const std::string text = answer.DebugString();
  for (const auto& secret : w.secrets) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << what << " leaks a secret of the victims: " << text;
    EXPECT_EQ(text.find(secret), std::string::npos) << what << " leaks a secret of the victims: " << text;
  }
}

void expect_refused(const World& w, const wire::Envelope& answer, ErrorCode expected, const std::string& what) {
  EXPECT_TRUE(answer.has_error()) << what << " was not refused: " << answer.ShortDebugString();
  EXPECT_EQ(code_of(answer), expected) << what << ": " << answer.ShortDebugString();
  expect_no_leak(w, answer, what);
}

// The room answer for a non-member, the same whether the room exists or not.
void expect_not_member(const World& w, const wire::Envelope& answer, std::uint32_t room, const std::string& what) {
  expect_refused(w, answer, ErrorCode::not_allowed, what);
  EXPECT_EQ(answer.error().message(), "you are not a member of room " + std::to_string(room)) << what;
}

// The victims' room and rooms that do not exist: a non-member cannot tell them apart.
std::vector<std::uint32_t> probe_rooms(const World& w) { return {w.room_id, w.room_id + 1000, 4000000000u}; }

// A user id that is none of the victims': the attacker, or (when allowed) alice as the attacker's
// friend.
bool attacker_side(const World& w, std::uint32_t id) {
  return id == w.mallory_id || (w.mallory_is_alices_friend && id == w.alice_id);
}

// ---- snapshots of the victims' data, taken through their own connections ------------------------

using Snapshot = std::map<std::string, std::string>;

// Removes what the attacker may legitimately add to a victim's data (a friend request to them, a
// message or file from them as a friend): anything whose other party is the attacker.
bool involves_mallory(const World& w, const wire::InboxItem& item) {
  if (item.has_message()) return item.message().from() == w.mallory_id || item.message().to() == w.mallory_id;
  if (item.has_friend_request()) return item.friend_request().from().id() == w.mallory_id;
  if (item.has_file()) return item.file().file().sender() == w.mallory_id || item.file().file().recipient() == w.mallory_id;
  return false;
}

Snapshot snapshot(World& w) {
  Snapshot s;
  // First: reading the newest history page marks it read, which the friend lists' unread
  // counts below show (the same in every snapshot once read here).
  s["history.alice-bob"] = w.alice.call(rq::history(w.bob_id, kHistoryLimit)).ShortDebugString();
  s["history.bob-alice"] = w.bob.call(rq::history(w.alice_id, kHistoryLimit)).ShortDebugString();
  struct Victim {
    const char* name;
    Conn& conn;
    std::uint32_t id;
  };
  for (Victim v : {Victim{"alice", w.alice, w.alice_id}, Victim{"bob", w.bob, w.bob_id}}) {
    const std::string p = std::string(v.name) + ".";
    s[p + "self"] = v.conn.call(rq::find_user(v.id)).ShortDebugString();
    auto friends = v.conn.call(rq::list_friends());
    for (auto& f : *friends.mutable_friend_list()->mutable_friends()) {
      // What mallory writes to a victim who is her friend is her own conversation with them.
      if (f.id() == w.mallory_id) f.clear_unread();
    }
    s[p + "friends"] = friends.ShortDebugString();
    auto requests = v.conn.call(rq::list_friend_requests());
    auto* list = requests.mutable_friend_request_list();
    for (auto* side : {list->mutable_incoming(), list->mutable_outgoing()}) {
      for (int i = side->size() - 1; i >= 0; --i) {
        if (side->Get(i).user().id() == w.mallory_id) side->DeleteSubrange(i, 1);
      }
    }
    s[p + "requests"] = requests.ShortDebugString();
    auto inbox = v.conn.call(rq::fetch_inbox(0, kInboxLimit));
    auto* items = inbox.mutable_inbox_items()->mutable_items();
    for (int i = items->size() - 1; i >= 0; --i) {
      if (involves_mallory(w, items->Get(i))) items->DeleteSubrange(i, 1);
    }
    s[p + "inbox"] = inbox.ShortDebugString();
    auto files = v.conn.call(rq::list_files(0));
    auto* fl = files.mutable_file_list()->mutable_files();
    for (int i = fl->size() - 1; i >= 0; --i) {
      if (fl->Get(i).sender() == w.mallory_id || fl->Get(i).recipient() == w.mallory_id) fl->DeleteSubrange(i, 1);
    }
    s[p + "files"] = files.ShortDebugString();
  }
  s["file.info"] = w.bob.call(rq::get_file(w.file_id)).ShortDebugString();
  s["file.bytes"] = w.bob.call(rq::read_file(w.file_id, 0, 1024 * 1024)).ShortDebugString();
  s["upload.info"] = w.alice.call(rq::get_file(w.upload_id)).ShortDebugString();
  s["upload.part_size"] = std::to_string(fs::file_size(w.part_path()));
  s["room.history"] = w.alice.call(room_body::history(w.room_id)).ShortDebugString();
  s["room.members"] = w.alice.call(room_body::members(w.room_id)).ShortDebugString();
  s["room.files"] = w.bob.call(room_body::files(w.room_id)).ShortDebugString();
  s["room.file.bytes"] = w.alice.call(rq::read_file(w.room_file_id, 0, 1024)).ShortDebugString();
  s["alice.rooms"] = w.alice.call(room_body::list()).ShortDebugString();
  s["bob.rooms"] = w.bob.call(room_body::list()).ShortDebugString();
  {
    // Their tokens still work.
    Conn a(w.server), b(w.server);
    s["alice.token"] = a.call(rq::resume(w.alice_token)).has_login_ok() ? "valid" : "INVALID";
    s["bob.token"] = b.call(rq::resume(w.bob_token)).has_login_ok() ? "valid" : "INVALID";
  }
  return s;
}

void expect_same(const Snapshot& before, const Snapshot& after) {
  for (const auto& [key, value] : before) {
    const auto it = after.find(key);
    ASSERT_NE(it, after.end()) << key;
    EXPECT_EQ(it->second, value) << "the victims' " << key << " changed";
  }
}

// ---- the probe table -------------------------------------------------------------------------------

struct Ctx {
  World& w;
  Conn& m;  // the attacker's logged-in connection
  // Another connection of the attacker, logged in by resume (cheap) and used for requests that
  // end the connection.
  std::unique_ptr<Conn> fresh() {
    auto c = std::make_unique<Conn>(w.server);
    EXPECT_TRUE(c->call(rq::resume(w.mallory_token)).has_login_ok());
    return c;
  }
  // The connection is still logged in as mallory (find shows the email only to its owner).
  bool expect_still_mallory(Conn& c, const std::string& what) {
    const auto me = c.call(rq::find_user(w.mallory_id));
    EXPECT_EQ(me.user_info().email(), "mallory@example.org") << what << ": " << me.ShortDebugString();
    const auto other = c.call(rq::find_user(w.alice_id));
    EXPECT_TRUE(other.user_info().email().empty()) << what << ": " << other.ShortDebugString();
    return me.user_info().email() == "mallory@example.org" && other.user_info().email().empty();
  }
};

enum class Kind {
  pre_login,    // hello, ping, register, login, resume: accepted before login
  request,      // needs a login
  server_only,  // answers and pushes: a client that sends one commits a protocol error
};

struct Probe {
  Kind kind;
  // The request aimed at the victims' data, also sent by unauthenticated connections (null:
  // the bare message).
  std::function<wire::Envelope(const World&)> target;
  // The attack by a logged-in attacker (null for server-only types: the generic check runs).
  std::function<void(Ctx&)> attack;
};

// A server-only type sent by a logged-in client: PROTOCOL_ERROR, connection closed, nothing leaked.
void server_only_attack(Ctx& c, int number) {
  auto conn = c.fresh();
  const auto answer = conn->call(bare_body(number));
  expect_refused(c.w, answer, ErrorCode::protocol_error, "client-sent " + field_name(number));
  EXPECT_TRUE(conn->closed_by_server()) << field_name(number);
}

const std::map<int, Probe>& probes() {
  static const std::map<int, Probe> table = [] {
    std::map<int, Probe> t;
    const auto server_only = [&t](int number) { t[number] = Probe{Kind::server_only, nullptr, nullptr}; };
    for (int n : {1, 3, 5, 6, 11, 13, 17, 19, 31, 34, 36, 38, 40, 44, 46, 49, 51, 54, 58, 60, 62, 66, 69, 100}) server_only(n);

    // 2 hello: a second hello is a protocol error even when logged in.
    t[2] = {Kind::pre_login, nullptr, [](Ctx& c) {
              auto conn = c.fresh();
              const auto answer = conn->call(rq::hello(kClientName));
              expect_refused(c.w, answer, ErrorCode::protocol_error, "second hello");
              EXPECT_TRUE(conn->closed_by_server());
            }};
    // 4 ping: a pong and nothing else.
    t[4] = {Kind::pre_login, nullptr, [](Ctx& c) {
              const auto answer = c.m.call(rq::ping());
              EXPECT_TRUE(answer.has_pong()) << answer.ShortDebugString();
              expect_no_leak(c.w, answer, "ping");
            }};
    // 10 register: alice's email and nick make a new, separate account; alice's stays hers.
    t[10] = {Kind::pre_login,
             [](const World&) { return rq::register_user("not-an-email", "x", kPassword); },
             [](Ctx& c) {
               const auto answer = c.m.call(rq::register_user(c.w.secrets[0], "alice", "another password"));
               ASSERT_TRUE(answer.has_register_response()) << answer.ShortDebugString();
               const auto id = answer.register_response().user_id();
               EXPECT_NE(id, c.w.alice_id);
               EXPECT_NE(id, c.w.bob_id);
               c.expect_still_mallory(c.m, "register");
               // The impostor account sees nothing of alice's.
               Conn impostor(c.w.server);
               ASSERT_TRUE(impostor.call(rq::login(id, "another password")).has_login_ok());
               for (const auto& e : {impostor.call(rq::list_friends()), impostor.call(rq::history(c.w.bob_id, kHistoryLimit)),
                                     impostor.call(rq::fetch_inbox(0, kInboxLimit)), impostor.call(rq::list_files(0))}) {
                 EXPECT_FALSE(e.has_error()) << e.ShortDebugString();
                 expect_no_leak(c.w, e, "impostor account");
                 EXPECT_EQ(e.friend_list().friends_size() + e.message_list().messages_size() +
                               e.inbox_items().items_size() + e.file_list().files_size(),
                           0)
                     << e.ShortDebugString();
               }
               EXPECT_EQ(code_of(impostor.call(rq::get_file(c.w.file_id))), ErrorCode::not_allowed);
             }};
    // 12 login: alice's id with the wrong password fails exactly like an unknown id, on a fresh
    // connection and on mallory's own (which stays mallory's).
    t[12] = {Kind::pre_login, [](const World& w) { return rq::login(w.alice_id, "wrong password!"); },
             [](Ctx& c) {
               Conn anon(c.w.server);
               const auto as_alice = anon.call(rq::login(c.w.alice_id, kPassword + "x"));
               expect_refused(c.w, as_alice, ErrorCode::auth_failed, "login as alice");
               const auto ghost = anon.call(rq::login(c.w.ghost_id, kPassword + "x"));
               EXPECT_EQ(as_alice.error().message(), ghost.error().message()) << "login reveals which ids exist";
               expect_refused(c.w, anon.call(rq::list_friends()), ErrorCode::unauthenticated, "after failed login");
               const auto on_own = c.m.call(rq::login(c.w.bob_id, "mallory's guess"));
               expect_refused(c.w, on_own, ErrorCode::auth_failed, "login as bob on mallory's connection");
               c.expect_still_mallory(c.m, "failed login");
             }};
    // 14 resume: alice's revoked token, forged and altered tokens.
    t[14] = {Kind::pre_login, [](const World& w) { return rq::resume(w.alice_revoked_token); },
             [](Ctx& c) {
               std::string altered = c.w.alice_token;
               altered.back() = altered.back() == '0' ? '1' : '0';
               const std::vector<std::pair<std::string, std::string>> tokens = {
                   {"alice's revoked token", c.w.alice_revoked_token},
                   {"an altered token", altered},
                   {"a forged token", std::string(64, '0')},
                   {"an empty token", ""},
                   {"a short token", c.w.alice_token.substr(0, 32)},
                   {"a token with trailing garbage", c.w.alice_token + "00"}};
               // (The token is hex: an upper-case copy of a valid token is the same secret and
               // rightly accepted, so it is no probe.)
               for (const auto& [what, token] : tokens) {
                 Conn anon(c.w.server);
                 expect_refused(c.w, anon.call(rq::resume(token)), ErrorCode::unauthenticated, "resume " + what);
                 expect_refused(c.w, anon.call(rq::history(c.w.bob_id, kHistoryLimit)), ErrorCode::unauthenticated,
                                "history after resume with " + what);
                 expect_refused(c.w, c.m.call(rq::resume(token)), ErrorCode::unauthenticated,
                                "resume " + what + " on mallory's connection");
                 c.expect_still_mallory(c.m, "failed resume");
               }
             }};
    // 15 logout: revokes mallory's own token only.
    t[15] = {Kind::request, nullptr, [](Ctx& c) {
               Conn own(c.w.server);
               ASSERT_TRUE(own.call(rq::login(c.w.mallory_id, kPassword)).has_login_ok());
               EXPECT_TRUE(own.call(rq::logout()).has_ok());
               expect_refused(c.w, own.call(rq::history(c.w.bob_id, kHistoryLimit)), ErrorCode::unauthenticated, "after logout");
               expect_refused(c.w, own.call(rq::logout()), ErrorCode::unauthenticated, "second logout");
               EXPECT_FALSE(c.w.alice.call(rq::list_friends()).has_error()) << "alice's connection survives";
               c.expect_still_mallory(c.m, "other connection's logout");
             }};
    // 16 find_user: id and nick, never the email.
    t[16] = {Kind::request, [](const World& w) { return rq::find_user(w.alice_id); }, [](Ctx& c) {
               for (const auto id : {c.w.alice_id, c.w.bob_id, c.w.dave_id}) {
                 const auto answer = c.m.call(rq::find_user(id));
                 ASSERT_TRUE(answer.has_user_info()) << answer.ShortDebugString();
                 EXPECT_EQ(answer.user_info().id(), id);
                 EXPECT_TRUE(answer.user_info().email().empty()) << answer.ShortDebugString();
                 expect_no_leak(c.w, answer, "find_user");
               }
               expect_refused(c.w, c.m.call(rq::find_user(c.w.ghost_id)), ErrorCode::not_found, "find unknown");
             }};
    // 18 find_users: only users who opted in, never an email (alice has not opted in).
    t[18] = {Kind::request, [](const World&) { return rq::find_users("alice", true); }, [](Ctx& c) {
               for (const char* nick : {"alice", "bob", "a", "%"}) {
                 const auto answer = c.m.call(rq::find_users(nick, true));
                 ASSERT_TRUE(answer.has_user_list()) << answer.ShortDebugString();
                 EXPECT_EQ(answer.user_list().users_size(), 0) << answer.ShortDebugString();
                 expect_no_leak(c.w, answer, "find_users");
               }
             }};
    // 55 change_password: needs mallory's own current password; alice's is no use.
    t[55] = {Kind::request, [](const World&) { return rq::change_password(kPassword, "a new password!"); },
             [](Ctx& c) {
               auto conn = c.fresh();
               expect_refused(c.w, conn->call(rq::change_password("alice's password?", "a new password!")),
                              ErrorCode::auth_failed, "change_password with a wrong current password");
               c.expect_still_mallory(*conn, "failed change_password");
             }};
    // 56 update_profile: changes mallory's own record only, even to alice's nick.
    t[56] = {Kind::request, [](const World&) { return rq::set_nick("alice"); }, [](Ctx& c) {
               const std::string nick = c.m.call(rq::find_user(c.w.mallory_id)).user_info().nick();
               const auto answer = c.m.call(rq::set_nick("alice"));
               ASSERT_TRUE(answer.has_user_info()) << answer.ShortDebugString();
               EXPECT_EQ(answer.user_info().id(), c.w.mallory_id);
               EXPECT_EQ(c.m.call(rq::find_user(c.w.alice_id)).user_info().nick(), "alice");
               EXPECT_TRUE(c.m.call(rq::set_nick(nick)).has_user_info());
             }};
    // 57 list_sessions: mallory's own sessions only; alice's session cannot be ended by its id.
    t[57] = {Kind::request, nullptr, [](Ctx& c) {
               proto::Sha256 hash;
               std::array<std::uint8_t, 32> raw{};
               for (std::size_t i = 0; i < raw.size(); ++i) {
                 raw[i] = static_cast<std::uint8_t>(std::stoi(c.w.alice_token.substr(2 * i, 2), nullptr, 16));
               }
               hash.update(std::span<const std::uint8_t>(raw));
               const auto digest = hash.finish();
               std::string alice_session;
               for (std::size_t i = 0; i < 6; ++i) {  // SessionInfo.id: 12 hex digits of SHA-256(token)
                 alice_session += "0123456789abcdef"[digest[i] >> 4];
                 alice_session += "0123456789abcdef"[digest[i] & 0xf];
               }
               const auto answer = c.m.call(rq::list_sessions());
               ASSERT_TRUE(answer.has_session_list()) << answer.ShortDebugString();
               for (const auto& s : answer.session_list().sessions()) EXPECT_NE(s.id(), alice_session);
               expect_no_leak(c.w, answer, "list_sessions");
               expect_refused(c.w, c.m.call(rq::logout_session(alice_session)), ErrorCode::not_found,
                              "ending alice's session by its id");
               c.expect_still_mallory(c.m, "ending alice's session");
             }};
    // 59 delete_account: needs mallory's own password.
    t[59] = {Kind::request, [](const World&) { return rq::delete_account(kPassword); }, [](Ctx& c) {
               auto conn = c.fresh();
               expect_refused(c.w, conn->call(rq::delete_account("alice's password?")), ErrorCode::auth_failed,
                              "delete_account with a wrong password");
               c.expect_still_mallory(*conn, "failed delete_account");
             }};
    // 30 add_friend: a request, never a friendship nobody accepted; alice's pending request to
    // dave cannot be accepted by mallory.
    t[30] = {Kind::request, [](const World& w) { return rq::add_friend(w.bob_id); }, [](Ctx& c) {
               const auto to_bob = c.m.call(rq::add_friend(c.w.bob_id));
               EXPECT_EQ(to_bob.add_friend_result().state(), wire::AddFriendResult::REQUESTED) << to_bob.ShortDebugString();
               expect_no_leak(c.w, to_bob, "add bob");
               const auto to_alice = c.m.call(rq::add_friend(c.w.alice_id));
               EXPECT_EQ(to_alice.add_friend_result().state(), c.w.mallory_is_alices_friend
                                                                   ? wire::AddFriendResult::ALREADY_FRIENDS
                                                                   : wire::AddFriendResult::REQUESTED)
                   << to_alice.ShortDebugString();
               expect_no_leak(c.w, to_alice, "add alice");
               expect_refused(c.w, c.m.call(rq::send_message(c.w.bob_id, "hi after asking")), ErrorCode::not_allowed,
                              "send to bob after a request");
               // Withdraw what was asked (the victims' snapshots ignore mallory's requests).
               EXPECT_TRUE(c.m.call(rq::remove_friend(c.w.bob_id)).has_ok());
               if (!c.w.mallory_is_alices_friend) { EXPECT_TRUE(c.m.call(rq::remove_friend(c.w.alice_id)).has_ok()); }
               expect_refused(c.w, c.m.call(rq::add_friend(c.w.ghost_id)), ErrorCode::not_found, "add unknown");
               expect_refused(c.w, c.m.call(rq::add_friend(c.w.mallory_id)), ErrorCode::invalid_argument, "add self");
             }};
    // 32 remove_friend: mallory can only end her own relations.
    t[32] = {Kind::request, [](const World& w) { return rq::remove_friend(w.bob_id); }, [](Ctx& c) {
               expect_refused(c.w, c.m.call(rq::remove_friend(c.w.bob_id)), ErrorCode::not_found, "remove bob");
               expect_refused(c.w, c.m.call(rq::remove_friend(c.w.dave_id)), ErrorCode::not_found, "remove dave");
               if (!c.w.mallory_is_alices_friend) {
                 expect_refused(c.w, c.m.call(rq::remove_friend(c.w.alice_id)), ErrorCode::not_found, "remove alice");
               }
               expect_refused(c.w, c.m.call(rq::remove_friend(c.w.ghost_id)), ErrorCode::not_found, "remove unknown");
             }};
    // 33 list_friends: only mallory's own friends.
    t[33] = {Kind::request, nullptr, [](Ctx& c) {
               const auto answer = c.m.call(rq::list_friends());
               ASSERT_TRUE(answer.has_friend_list()) << answer.ShortDebugString();
               for (const auto& f : answer.friend_list().friends()) {
                 EXPECT_TRUE(attacker_side(c.w, f.id()) && f.id() != c.w.mallory_id) << answer.ShortDebugString();
               }
               EXPECT_EQ(answer.friend_list().friends_size(), c.w.mallory_is_alices_friend ? 1 : 0);
               expect_no_leak(c.w, answer, "list_friends");
             }};
    // 35 list_friend_requests: none of alice's pending requests.
    t[35] = {Kind::request, nullptr, [](Ctx& c) {
               const auto answer = c.m.call(rq::list_friend_requests());
               ASSERT_TRUE(answer.has_friend_request_list()) << answer.ShortDebugString();
               EXPECT_EQ(answer.friend_request_list().incoming_size(), 0) << answer.ShortDebugString();
               EXPECT_EQ(answer.friend_request_list().outgoing_size(), 0) << answer.ShortDebugString();
               expect_no_leak(c.w, answer, "list_friend_requests");
             }};
    // 37 send_message: to non-friends NOT_ALLOWED, also with a victim's client_msg_id (which must
    // not answer with the victim's message).
    t[37] = {Kind::request, [](const World& w) { return rq::send_message(w.bob_id, "hi bob", "cid-alice-1"); },
             [](Ctx& c) {
               expect_refused(c.w, c.m.call(rq::send_message(c.w.bob_id, "hi bob")), ErrorCode::not_allowed, "send to bob");
               expect_refused(c.w, c.m.call(rq::send_message(c.w.bob_id, "hi bob", "cid-alice-1")), ErrorCode::not_allowed,
                              "send to bob with alice's client id");
               if (c.w.mallory_is_alices_friend) {
                 // Allowed (they are friends) — but always a new message, never the victims'.
                 for (const char* cid : {"cid-bob-1", "cid-alice-1"}) {
                   const auto sent = c.m.call(rq::send_message(c.w.alice_id, "hi", cid));
                   ASSERT_TRUE(sent.has_message_sent()) << sent.ShortDebugString();
                   EXPECT_FALSE(sent.message_sent().duplicate()) << cid;
                   EXPECT_NE(sent.message_sent().message_id(), c.w.msg_ab);
                   EXPECT_NE(sent.message_sent().message_id(), c.w.msg_ba);
                 }
               } else {
                 expect_refused(c.w, c.m.call(rq::send_message(c.w.alice_id, "hi", "cid-bob-1")), ErrorCode::not_allowed,
                                "send to alice with bob's client id");
               }
               expect_refused(c.w, c.m.call(rq::send_message(c.w.ghost_id, "hi")), ErrorCode::not_found, "send to unknown");
               for (const auto room : probe_rooms(c.w)) {
                 expect_not_member(c.w, c.m.call(room_body::send(room, "hi room")), room, "send to a room");
                 expect_not_member(c.w, c.m.call(room_body::send(room, "hi room", "cid-alice-room")), room,
                                   "send to a room with alice's client id");
               }
             }};
    // 39 fetch_inbox: only mallory's own items, whatever the cursor.
    t[39] = {Kind::request, [](const World&) { return rq::fetch_inbox(0, kInboxLimit); }, [](Ctx& c) {
               for (const std::uint64_t after : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 62}) {
                 const auto answer = c.m.call(rq::fetch_inbox(after, kInboxLimit));
                 ASSERT_TRUE(answer.has_inbox_items()) << answer.ShortDebugString();
                 for (const auto& item : answer.inbox_items().items()) {
                   if (item.has_message()) { EXPECT_EQ(item.message().to(), c.w.mallory_id) << item.ShortDebugString(); }
                   if (item.has_file()) { EXPECT_EQ(item.file().file().recipient(), c.w.mallory_id); }
                   if (item.has_friend_request()) { EXPECT_TRUE(attacker_side(c.w, item.friend_request().from().id())); }
                 }
                 expect_no_leak(c.w, answer, "fetch_inbox");
               }
             }};
    // 41 ack: moves mallory's own cursor only (bob's pending items stay: see the snapshot).
    t[41] = {Kind::request, [](const World&) { return rq::ack(~std::uint64_t{0}); }, [](Ctx& c) {
               for (const std::uint64_t up_to : {std::uint64_t{2}, std::uint64_t{100}, ~std::uint64_t{0}}) {
                 const auto answer = c.m.call(rq::ack(up_to));
                 EXPECT_TRUE(answer.has_ok()) << answer.ShortDebugString();
               }
             }};
    // 42 subscribe: pushes only mallory's own items (checked live after the sweep).
    t[42] = {Kind::request, [](const World&) { return rq::subscribe(0); }, [](Ctx& c) {
               const auto answer = c.m.call(rq::subscribe(0));
               EXPECT_TRUE(answer.has_ok()) << answer.ShortDebugString();
             }};
    // 43 history: only mallory's own conversations.
    t[43] = {Kind::request, [](const World& w) { return rq::history(w.bob_id, kHistoryLimit); }, [](Ctx& c) {
               for (const auto peer : {c.w.alice_id, c.w.bob_id, c.w.dave_id, c.w.mallory_id, std::uint32_t{0}}) {
                 for (const std::uint64_t before : {std::uint64_t{0}, c.w.msg_ba + 1, c.w.msg_ab + 1}) {
                   const auto answer = c.m.call(rq::history(peer, kHistoryLimit, before));
                   ASSERT_TRUE(answer.has_message_list()) << answer.ShortDebugString();
                   for (const auto& m : answer.message_list().messages()) {
                     EXPECT_TRUE(m.from() == c.w.mallory_id || m.to() == c.w.mallory_id) << m.ShortDebugString();
                     EXPECT_NE(m.id(), c.w.msg_ab);
                     EXPECT_NE(m.id(), c.w.msg_ba);
                   }
                   expect_no_leak(c.w, answer, "history with " + std::to_string(peer));
                 }
               }
               for (const auto room : probe_rooms(c.w)) {
                 expect_not_member(c.w, c.m.call(room_body::history(room)), room, "room history");
               }
             }};
    // 45 create_room: mallory's own room, never the victims'; she is its only member.
    t[45] = {Kind::request, [](const World&) { return room_body::create(""); }, [](Ctx& c) {
               const auto answer = c.m.call(room_body::create("mallory's"));
               ASSERT_TRUE(answer.has_room_info()) << answer.ShortDebugString();
               EXPECT_NE(answer.room_info().id(), c.w.room_id);
               EXPECT_EQ(answer.room_info().members(), 1u);
               expect_no_leak(c.w, answer, "create_room");
               const auto own = answer.room_info().id();
               // Her own room cannot pull the victims in: bob is no friend; alice must accept.
               expect_refused(c.w, c.m.call(room_body::change(own, wire::RoomChangeRequest::INVITE, c.w.bob_id)),
                              ErrorCode::not_allowed, "invite bob to her room");
               EXPECT_TRUE(c.m.call(room_body::change(own, wire::RoomChangeRequest::DELETE)).has_ok());
             }};
    // 47 room_change: every change on the victims' room (and on rooms that do not exist) is
    // refused alike; JOIN and DECLINE need an invitation.
    t[47] = {Kind::request,
             [](const World& w) { return room_body::change(w.room_id, wire::RoomChangeRequest::JOIN); },
             [](Ctx& c) {
               const auto* changes = wire::RoomChangeRequest::Change_descriptor();
               for (const auto room : probe_rooms(c.w)) {
                 for (int i = 0; i < changes->value_count(); ++i) {
                   const auto kind = static_cast<wire::RoomChangeRequest::Change>(changes->value(i)->number());
                   if (kind == wire::RoomChangeRequest::CHANGE_UNSPECIFIED) continue;
                   for (const auto user : {c.w.bob_id, c.w.mallory_id}) {
                     expect_not_member(c.w, c.m.call(room_body::change(room, kind, user)), room,
                                       "room change " + changes->value(i)->name() + " on " + std::to_string(room));
                   }
                 }
               }
             }};
    // 48 list_rooms: only her own rooms and invitations.
    t[48] = {Kind::request, [](const World&) { return room_body::list(); }, [](Ctx& c) {
               const auto answer = c.m.call(room_body::list());
               ASSERT_TRUE(answer.has_room_list()) << answer.ShortDebugString();
               for (const auto& r : answer.room_list().rooms()) EXPECT_NE(r.id(), c.w.room_id);
               EXPECT_EQ(answer.room_list().invites_size(), 0);
               expect_no_leak(c.w, answer, "list_rooms");
             }};
    // 50 list_room_members: refused.
    t[50] = {Kind::request, [](const World& w) { return room_body::members(w.room_id); }, [](Ctx& c) {
               for (const auto room : probe_rooms(c.w)) {
                 expect_not_member(c.w, c.m.call(room_body::members(room)), room, "room members");
               }
             }};
    // 52 block_user: only her own block list changes (bob, a stranger, loses nothing).
    t[52] = {Kind::request, [](const World& w) { return room_body::block(w.bob_id); }, [](Ctx& c) {
               EXPECT_TRUE(c.m.call(room_body::block(c.w.bob_id)).has_ok());
               EXPECT_TRUE(c.m.call(room_body::block(c.w.bob_id, /*unblock=*/true)).has_ok());
               expect_refused(c.w, c.m.call(room_body::block(c.w.ghost_id)), ErrorCode::not_found, "block unknown");
               expect_refused(c.w, c.m.call(room_body::block(c.w.mallory_id)), ErrorCode::invalid_argument, "block self");
             }};
    // 53 list_blocked: her own list only (empty again).
    t[53] = {Kind::request, nullptr, [](Ctx& c) {
               wire::Envelope request;
               request.mutable_list_blocked_request();
               const auto answer = c.m.call(request);
               ASSERT_TRUE(answer.has_blocked_list()) << answer.ShortDebugString();
               EXPECT_EQ(answer.blocked_list().users_size(), 0);
             }};
    // 61 begin_upload: friendship needed; never returns a victim's upload.
    t[61] = {Kind::request,
             [](const World& w) { return rq::begin_upload(w.bob_id, "x", w.upload_data.size(), sha_of(w.upload_data)); },
             [](Ctx& c) {
               const auto size = c.w.upload_data.size();
               const auto sha = sha_of(c.w.upload_data);
               expect_refused(c.w, c.m.call(rq::begin_upload(c.w.bob_id, "x", size, sha)), ErrorCode::not_allowed,
                              "begin upload to bob with alice's upload key");
               if (c.w.mallory_is_alices_friend) {
                 const auto own = c.m.call(rq::begin_upload(c.w.alice_id, "x", size, sha));
                 ASSERT_TRUE(own.has_upload_state()) << own.ShortDebugString();
                 EXPECT_NE(own.upload_state().upload_id(), c.w.upload_id);
                 EXPECT_EQ(own.upload_state().offset(), 0u) << "mallory resumed someone else's bytes";
               } else {
                 expect_refused(c.w, c.m.call(rq::begin_upload(c.w.alice_id, "x", size, sha)), ErrorCode::not_allowed,
                                "begin upload to alice");
               }
               expect_refused(c.w, c.m.call(rq::begin_upload(c.w.ghost_id, "x", 1, sha_of("x"))), ErrorCode::not_found,
                              "begin upload to unknown");
               for (const auto room : probe_rooms(c.w)) {
                 expect_not_member(c.w, c.m.call(room_body::begin_upload(room)), room, "begin upload to a room");
               }
             }};
    // 63 upload_chunk: another user's upload (or a published file) does not exist for mallory.
    t[63] = {Kind::request, [](const World& w) { return rq::upload_chunk(w.upload_id, World::kUploaded, "evil"); },
             [](Ctx& c) {
               for (const auto id : {c.w.upload_id, c.w.file_id}) {
                 for (const std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{World::kUploaded}}) {
                   expect_refused(c.w, c.m.call(rq::upload_chunk(id, offset, "evil bytes")), ErrorCode::not_found,
                                  "upload_chunk into " + std::to_string(id) + " at " + std::to_string(offset));
                 }
               }
             }};
    // 64 finish_upload: likewise.
    t[64] = {Kind::request, [](const World& w) { return rq::finish_upload(w.upload_id); }, [](Ctx& c) {
               for (const auto id : {c.w.upload_id, c.w.file_id}) {
                 expect_refused(c.w, c.m.call(rq::finish_upload(id)), ErrorCode::not_found,
                                "finish_upload of " + std::to_string(id));
               }
             }};
    // 65 list_files: only files mallory is a party to.
    t[65] = {Kind::request, [](const World& w) { return rq::list_files(w.bob_id); }, [](Ctx& c) {
               for (const auto peer : {c.w.alice_id, c.w.bob_id, std::uint32_t{0}, c.w.mallory_id}) {
                 const auto answer = c.m.call(rq::list_files(peer));
                 ASSERT_TRUE(answer.has_file_list()) << answer.ShortDebugString();
                 for (const auto& f : answer.file_list().files()) {
                   EXPECT_TRUE(f.sender() == c.w.mallory_id || f.recipient() == c.w.mallory_id) << f.ShortDebugString();
                 }
                 expect_no_leak(c.w, answer, "list_files with " + std::to_string(peer));
               }
               for (const auto room : probe_rooms(c.w)) {
                 expect_not_member(c.w, c.m.call(room_body::files(room)), room, "list a room's files");
               }
             }};
    // 67 get_file: NOT_ALLOWED for a file between alice and bob (published or uploading).
    t[67] = {Kind::request, [](const World& w) { return rq::get_file(w.file_id); }, [](Ctx& c) {
               expect_refused(c.w, c.m.call(rq::get_file(c.w.file_id)), ErrorCode::not_allowed, "get_file");
               expect_refused(c.w, c.m.call(rq::get_file(c.w.upload_id)), ErrorCode::not_allowed, "get_file uploading");
               expect_refused(c.w, c.m.call(rq::get_file(kNoSuchFile)), ErrorCode::not_found, "get_file unknown");
               expect_refused(c.w, c.m.call(rq::get_file(c.w.room_file_id)), ErrorCode::not_allowed, "get a room file");
             }};
    // 68 read_file: NOT_ALLOWED, no bytes.
    t[68] = {Kind::request, [](const World& w) { return rq::read_file(w.file_id, 0, 1024); }, [](Ctx& c) {
               for (const std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{13}}) {
                 expect_refused(c.w, c.m.call(rq::read_file(c.w.file_id, offset, 1024 * 1024)), ErrorCode::not_allowed,
                                "read_file");
                 expect_refused(c.w, c.m.call(rq::read_file(c.w.upload_id, offset, 1024)), ErrorCode::not_allowed,
                                "read_file uploading");
               }
               expect_refused(c.w, c.m.call(rq::read_file(kNoSuchFile, 0, 10)), ErrorCode::not_found, "read unknown");
               expect_refused(c.w, c.m.call(rq::read_file(c.w.room_file_id, 0, 1024)), ErrorCode::not_allowed,
                              "read a room file");
             }};
    // 70 cancel_upload: another user's upload (or a published file) does not exist for mallory;
    // the victim's upload and its part file stay (the snapshot compares them).
    t[70] = {Kind::request, [](const World& w) { return rq::cancel_upload(w.upload_id); }, [](Ctx& c) {
               for (const auto id : {c.w.upload_id, c.w.file_id, std::uint64_t{kNoSuchFile}}) {
                 expect_refused(c.w, c.m.call(rq::cancel_upload(id)), ErrorCode::not_found,
                                "cancel_upload of " + std::to_string(id));
               }
             }};
    // 90 mark_read: her own read markers only. A victims' room is refused like every room
    // request; marking a conversation with a victim moves only her marker (the snapshot compares
    // the victims' friend lists, unread counts included).
    t[90] = {Kind::request, [](const World& w) { return rq::mark_read(w.bob_id, 0); }, [](Ctx& c) {
               for (const auto room : probe_rooms(c.w)) {
                 expect_not_member(c.w, c.m.call(rq::mark_read(0, room)), room, "mark a room read");
               }
               for (const auto peer : {c.w.alice_id, c.w.bob_id}) {
                 const auto answer = c.m.call(rq::mark_read(peer, 0, c.w.msg_ab));
                 EXPECT_TRUE(answer.has_ok()) << answer.ShortDebugString();
               }
               expect_refused(c.w, c.m.call(rq::mark_read(c.w.bob_id, c.w.room_id)), ErrorCode::invalid_argument,
                              "mark_read with both peer and room");
             }};
    return t;
  }();
  return table;
}

// Every Envelope field, from the descriptor: a field without a probe fails the sweep.
std::vector<int> envelope_fields() {
  std::vector<int> out;
  const auto* d = wire::Envelope::descriptor();
  for (int i = 0; i < d->field_count(); ++i) out.push_back(d->field(i)->number());
  return out;
}

void run_sweep(World& w) {
  const Snapshot before = snapshot(w);
  // mallory's pushes: a subscribed connection of her own, watching while everything runs.
  Ctx ctx{w, w.mallory};
  auto watcher = ctx.fresh();
  ASSERT_TRUE(watcher->call(rq::subscribe(0)).has_ok());

  for (const int number : envelope_fields()) {
    SCOPED_TRACE("probe for " + field_name(number));
    const auto it = probes().find(number);
    if (it == probes().end()) {
      ADD_FAILURE() << "no authorisation probe for " << field_name(number)
                    << ": add one to kProbes in tests/integration/authz_sweep_test.cpp";
      continue;
    }
    if (it->second.kind == Kind::server_only) {
      server_only_attack(ctx, number);
    } else {
      ASSERT_TRUE(it->second.attack) << field_name(number);
      it->second.attack(ctx);
    }
    // The attacker's main connection must still be alive and hers.
    // (Otherwise the probes that follow would attack as someone else: stop here.)
    ASSERT_TRUE(ctx.expect_still_mallory(w.mallory, "after " + field_name(number)))
        << "mallory's connection changed identity during the probe for " << field_name(number);
  }
  // No field of the table is stale.
  const auto fields = envelope_fields();
  for (const auto& [number, probe] : probes()) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), number), fields.end()) << "probe for unknown field " << number;
  }

  const Snapshot after = snapshot(w);
  expect_same(before, after);

  // Live traffic between the victims reaches none of mallory's connections.
  const std::string live = w.secrets[2] + "-live";
  w.secrets.push_back(live);
  ASSERT_TRUE(w.alice.call(rq::send_message(w.bob_id, live)).has_message_sent());
  ASSERT_TRUE(w.bob.call(rq::send_message(w.alice_id, live + "-reply")).has_message_sent());
  {
    // bob and alice come online and go again: presence goes to their friends only.
    Conn bob_online(w.server), alice_online(w.server);
    ASSERT_TRUE(bob_online.call(rq::resume(w.bob_token, /*announce_presence=*/true)).has_login_ok());
    ASSERT_TRUE(alice_online.call(rq::resume(w.alice_token, /*announce_presence=*/true)).has_login_ok());
  }
  for (Conn* conn : {watcher.get(), &w.mallory}) {
    for (const auto& push : conn->drain_pushes(500ms)) {
      expect_no_leak(w, push, "push to mallory");
      if (push.has_presence_event()) {
        EXPECT_TRUE(attacker_side(w, push.presence_event().user_id())) << push.ShortDebugString();
      } else {
        ASSERT_TRUE(push.has_inbox_items()) << push.ShortDebugString();
        for (const auto& item : push.inbox_items().items()) {
          if (item.has_message()) { EXPECT_EQ(item.message().to(), w.mallory_id) << item.ShortDebugString(); }
        }
      }
    }
  }
  // ... while bob does get it.
  const auto bob_inbox = w.bob.call(rq::fetch_inbox(0, kInboxLimit));
  EXPECT_NE(bob_inbox.SerializeAsString().find(live), std::string::npos);
}

// ---- tests --------------------------------------------------------------------------------------

TEST(AuthzSweep, StrangerIsRefusedEverywhere) {
  World w;
  ASSERT_NO_FATAL_FAILURE(set_up(w, /*mallory_is_alices_friend=*/false));
  run_sweep(w);
}

TEST(AuthzSweep, AlicesFriendCannotReachBobOrTheirConversation) {
  World w;
  ASSERT_NO_FATAL_FAILURE(set_up(w, /*mallory_is_alices_friend=*/true));
  run_sweep(w);
}

// Before login (fresh connection), after logout, and after a failed resume: everything but hello,
// ping, register, login and resume is UNAUTHENTICATED — aimed at real victims' data or not — and
// the connection stays open. A client sending a server-only type gets UNAUTHENTICATED or
// PROTOCOL_ERROR.
TEST(AuthzSweep, UnauthenticatedConnectionsAreRefused) {
  World w;
  ASSERT_NO_FATAL_FAILURE(set_up(w, false));
  const Snapshot before = snapshot(w);

  std::vector<std::pair<std::string, std::unique_ptr<Conn>>> conns;
  conns.emplace_back("fresh connection", std::make_unique<Conn>(w.server));
  {
    auto c = std::make_unique<Conn>(w.server);
    ASSERT_TRUE(c->call(rq::login(w.mallory_id, kPassword)).has_login_ok());
    ASSERT_TRUE(c->call(rq::logout()).has_ok());
    conns.emplace_back("connection after logout", std::move(c));
  }
  {
    auto c = std::make_unique<Conn>(w.server);
    ASSERT_EQ(code_of(c->call(rq::resume(w.alice_revoked_token))), ErrorCode::unauthenticated);
    conns.emplace_back("connection after a failed resume", std::move(c));
  }
  for (auto& [where, conn] : conns) {
    SCOPED_TRACE(where);
    for (const int number : envelope_fields()) {
      const auto it = probes().find(number);
      if (it == probes().end()) {
        ADD_FAILURE() << "no authorisation probe for " << field_name(number);
        continue;
      }
      const Probe& probe = it->second;
      if (number == wire::Envelope::kHelloFieldNumber) continue;  // a second hello: see the sweep
      std::vector<wire::Envelope> requests = {bare_body(number)};
      if (probe.target) requests.push_back(probe.target(w));
      for (const auto& request : requests) {
        const std::string what = where + ": " + request.ShortDebugString();
        const auto answer = conn->call(request);
        expect_no_leak(w, answer, what);
        switch (probe.kind) {
          case Kind::pre_login:
            // Not gated by the login (ping answers pong; the others answer on their merits: an
            // invalid field, wrong credentials, a bad token — never "not logged in").
            if (number == wire::Envelope::kPingFieldNumber) {
              EXPECT_TRUE(answer.has_pong()) << what;
            } else {
              EXPECT_TRUE(!answer.has_error() || answer.error().message() != "not logged in")
                  << what << ": " << answer.ShortDebugString();
            }
            break;
          case Kind::request:
            EXPECT_EQ(code_of(answer), ErrorCode::unauthenticated) << what << ": " << answer.ShortDebugString();
            break;
          case Kind::server_only: {
            const auto code = code_of(answer);
            EXPECT_TRUE(code == ErrorCode::unauthenticated || code == ErrorCode::protocol_error)
                << what << ": " << answer.ShortDebugString();
            if (code == ErrorCode::protocol_error) {
              // That ended the connection: continue on a new one of the same kind.
              EXPECT_TRUE(conn->closed_by_server());
              conn = std::make_unique<Conn>(w.server);
            }
            break;
          }
        }
      }
    }
    // Still refused afterwards, and still open.
    EXPECT_EQ(code_of(conn->call(rq::history(w.bob_id, kHistoryLimit))), ErrorCode::unauthenticated) << where;
  }
  expect_same(before, snapshot(w));
}

// A connection that logs out stops receiving the user's pushes at once and is unauthenticated.
TEST(AuthzSweep, LogoutEndsTheConnectionsSubscription) {
  World w;
  ASSERT_NO_FATAL_FAILURE(set_up(w, false));
  Conn second(w.server);
  ASSERT_TRUE(second.call(rq::resume(w.bob_token)).has_login_ok());
  ASSERT_TRUE(second.call(rq::subscribe(0)).has_ok());
  second.drain_pushes(300ms);  // the backlog
  // A second login for bob whose token the connection will revoke.
  Conn leaving(w.server);
  const auto login = leaving.call(rq::login(w.bob_id, kPassword));
  ASSERT_TRUE(login.has_login_ok());
  ASSERT_TRUE(leaving.call(rq::subscribe(0)).has_ok());
  leaving.drain_pushes(300ms);
  ASSERT_TRUE(leaving.call(rq::logout()).has_ok());

  const std::string text = "after-logout-" + random_text(10, 3);
  w.secrets.push_back(text);
  ASSERT_TRUE(w.alice.call(rq::send_message(w.bob_id, text)).has_message_sent());
  for (const auto& push : leaving.drain_pushes(500ms)) {
    expect_no_leak(w, push, "push after logout");
    ADD_FAILURE() << "a logged-out connection got a push: " << push.ShortDebugString();
  }
  expect_refused(w, leaving.call(rq::fetch_inbox(0, kInboxLimit)), ErrorCode::unauthenticated, "fetch after logout");
  // bob's other connection still gets it, and bob's other token still works.
  bool seen = false;
  for (const auto& push : second.drain_pushes(2s)) seen = seen || push.SerializeAsString().find(text) != std::string::npos;
  EXPECT_TRUE(seen);
  Conn again(w.server);
  EXPECT_TRUE(again.call(rq::resume(w.bob_token)).has_login_ok());
  EXPECT_EQ(code_of(again.call(rq::resume(login.login_ok().token()))), ErrorCode::unauthenticated);
}

// Token theft: mallory resumed alice's token on her own connection while it was valid. alice logs
// out (revoking that token, per docs/PROTOCOL.md "A token stays valid until logout"). mallory's
// connection must lose alice's identity at once: a final UNAUTHENTICATED push, then the server
// closes it; no push carries anything of alice's after the logout.
TEST(AuthzSweep, RevokedTokenEndsEveryConnectionUsingIt) {
  World w;
  ASSERT_NO_FATAL_FAILURE(set_up(w, false));
  Conn alice2(w.server);
  const auto login = alice2.call(rq::login(w.alice_id, kPassword));
  ASSERT_TRUE(login.has_login_ok());
  const std::string stolen = login.login_ok().token();
  Conn thief(w.server);
  ASSERT_TRUE(thief.call(rq::resume(stolen)).has_login_ok());
  ASSERT_TRUE(thief.call(rq::subscribe(0)).has_ok());
  thief.drain_pushes(300ms);
  ASSERT_TRUE(alice2.call(rq::logout()).has_ok());  // alice revokes the stolen token

  const std::string text = "after-revocation-" + random_text(10, 5);
  w.secrets.push_back(text);
  ASSERT_TRUE(w.bob.call(rq::send_message(w.alice_id, text)).has_message_sent());
  bool told = false;
  for (const auto& push : thief.drain_pushes(500ms)) {
    expect_no_leak(w, push, "push after revocation");
    if (push.has_error() && push.error().code() == static_cast<wire::ErrorCode>(ErrorCode::unauthenticated)) told = true;
  }
  EXPECT_TRUE(told) << "the thief's connection was not told that its session was revoked";
  // The connection is closed: whatever it asks gets no answer at all.
  EXPECT_EQ(thief.call(rq::history(w.bob_id, kHistoryLimit)).body_case(), wire::Envelope::BODY_NOT_SET);
  // alice's other connections with other tokens are unaffected (her original login in set_up).
  EXPECT_TRUE(w.alice.call(rq::history(w.bob_id, kHistoryLimit)).has_message_list());
}

}  // namespace

#include "session_seeds.hpp"

#include <fstream>
#include <stdexcept>

#include "occhat/proto/requests.hpp"
#include "occhat/proto/sha256.hpp"

namespace occhat::fuzz {
namespace {

namespace rq = proto::requests;

// Frames with request ids 1, 2, ... in order, as a client would pipeline them.
std::string conversation(const std::vector<wire::Envelope>& requests) {
  std::string bytes;
  std::uint32_t request_id = 1;
  for (const auto& request : requests) {
    if (!proto::encode_frame(request_id++, request, bytes)) throw std::runtime_error("seed request does not encode");
  }
  return bytes;
}

std::string sha256_of(std::string_view data) {
  proto::Sha256 hash;
  hash.update(data);
  const auto digest = hash.finish();
  return std::string(digest.begin(), digest.end());
}

// A 12-byte frame header by hand, for streams the encoder refuses to make.
std::string raw_header(std::uint32_t payload_size, std::uint16_t type, std::uint16_t flags, std::uint32_t request_id) {
  std::string header;
  proto::encode_header({payload_size, type, flags, request_id}, header);
  return header;
}

// Room requests (issue 13; not in occhat/proto/requests.hpp yet).
wire::Envelope create_room(std::string_view name) {
  wire::Envelope e;
  e.mutable_create_room_request()->set_name(std::string(name));
  return e;
}

wire::Envelope room_change(std::uint32_t room, wire::RoomChangeRequest::Change kind, std::vector<std::uint32_t> users = {},
                           std::string_view name = {}) {
  wire::Envelope e;
  auto* r = e.mutable_room_change_request();
  r->set_room_id(room);
  r->set_change(kind);
  for (const auto user : users) r->add_users(user);
  r->set_name(std::string(name));
  return e;
}

wire::Envelope room_send(std::uint32_t room, std::string_view text) {
  auto e = rq::send_message(0, text, "room-client-id");
  e.mutable_send_message_request()->set_room_id(room);
  return e;
}

wire::Envelope room_history(std::uint32_t room) {
  auto e = rq::history(0, 10);
  e.mutable_history_request()->set_room_id(room);
  return e;
}

wire::Envelope room_members(std::uint32_t room) {
  wire::Envelope e;
  e.mutable_list_room_members_request()->set_room_id(room);
  return e;
}

wire::Envelope list_rooms() {
  wire::Envelope e;
  e.mutable_list_rooms_request();
  return e;
}

wire::Envelope block(std::uint32_t user, bool unblock) {
  wire::Envelope e;
  e.mutable_block_user_request()->set_user_id(user);
  e.mutable_block_user_request()->set_unblock(unblock);
  return e;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> session_seeds(const Accounts& accounts) {
  const auto alice = accounts.alice;
  const auto bob = accounts.bob;
  const auto carol = accounts.carol;
  const auto hello = rq::hello("occhat-fuzz-seed");
  const std::string file_text = "hello, bob: the notes from today";
  const std::string file_sha = sha256_of(file_text);
  // hello and resume as `who` (announcing presence), then `rest`.
  const auto logged_in = [&](const Account& who, std::vector<wire::Envelope> rest) {
    rest.insert(rest.begin(), {hello, rq::resume(who.token, true)});
    return conversation(rest);
  };

  std::vector<std::pair<std::string, std::string>> seeds;
  seeds.emplace_back("hello", conversation({hello}));
  seeds.emplace_back("hello_ping", conversation({hello, rq::ping(), rq::ping()}));
  seeds.emplace_back("hello_wrong_version", conversation({rq::hello("old", 99), rq::ping()}));
  seeds.emplace_back("request_before_hello", conversation({rq::list_friends(), hello}));
  seeds.emplace_back("request_before_login", conversation({hello, rq::send_message(bob.id, "hi"), rq::list_files(0)}));
  seeds.emplace_back("register_and_login",
                     conversation({hello, rq::register_user("dave@fuzz.invalid", "dave", kFuzzPassword),
                                   rq::login(carol.id, kFuzzPassword, true), rq::find_user(carol.id)}));
  seeds.emplace_back("register_invalid", conversation({hello, rq::register_user("not-an-email", "", "short")}));
  seeds.emplace_back("login_wrong_password", conversation({hello, rq::login(alice.id, "wrong password")}));
  seeds.emplace_back("resume_bad_token", conversation({hello, rq::resume(std::string(64, '0')), rq::list_friends()}));
  seeds.emplace_back("alice_friends",
                     logged_in(alice, {rq::find_user(bob.id), rq::find_user(carol.id), rq::list_friends(),
                                       rq::list_friend_requests(), rq::add_friend(carol.id), rq::add_friend(alice.id),
                                       rq::remove_friend(carol.id), rq::find_user(1)}));
  seeds.emplace_back("carol_befriends_alice",
                     logged_in(carol, {rq::add_friend(alice.id), rq::list_friend_requests(), rq::remove_friend(alice.id)}));
  seeds.emplace_back("alice_messages",
                     logged_in(alice, {rq::send_message(bob.id, "hi bob", "client-id-1"),
                                       rq::send_message(bob.id, "hi bob", "client-id-1"),
                                       rq::send_message(carol.id, "hi stranger"), rq::send_message(bob.id, ""),
                                       rq::history(bob.id, 10), rq::history(bob.id, 1, 1), rq::fetch_inbox(0, 10),
                                       rq::ack(1)}));
  seeds.emplace_back("alice_pipelined_sends",
                     logged_in(alice, {rq::send_message(bob.id, "one"), rq::send_message(bob.id, "two"),
                                       rq::send_message(bob.id, "three"), rq::send_message(bob.id, "four"),
                                       rq::ping(), rq::send_message(bob.id, "five")}));
  seeds.emplace_back("bob_subscribes",
                     logged_in(bob, {rq::subscribe(0), rq::fetch_inbox(0, 1000), rq::ack(3), rq::subscribe(2), rq::ping()}));
  seeds.emplace_back("alice_uploads",
                     logged_in(alice, {rq::begin_upload(bob.id, "notes.txt", file_text.size(), file_sha),
                                       rq::upload_chunk(1, 0, file_text.substr(0, 10)),
                                       rq::upload_chunk(1, 10, file_text.substr(10)), rq::finish_upload(1),
                                       rq::list_files(bob.id), rq::get_file(1), rq::read_file(1, 0, 4096)}));
  seeds.emplace_back("alice_upload_conflicts",
                     logged_in(alice, {rq::begin_upload(bob.id, "../../etc/passwd", 4, sha256_of("oops")),
                                       rq::upload_chunk(1, 2, "xx"), rq::finish_upload(1),
                                       rq::begin_upload(carol.id, "x", 1, sha256_of("x"))}));
  seeds.emplace_back("bob_downloads",
                     logged_in(bob, {rq::list_files(0), rq::list_files(alice.id), rq::get_file(1),
                                     rq::read_file(1, 0, 1 << 20), rq::read_file(1, 5, 3), rq::read_file(1, 1 << 30, 1)}));
  seeds.emplace_back("carol_pries", logged_in(carol, {rq::history(alice.id), rq::get_file(1), rq::read_file(1, 0, 16),
                                                      rq::upload_chunk(1, 0, "x"), rq::finish_upload(1)}));
  using Change = wire::RoomChangeRequest;
  constexpr std::uint32_t kRoom = 1000000;  // the first room id
  seeds.emplace_back("alice_room",
                     logged_in(alice, {create_room("fuzz room"), room_change(kRoom, Change::INVITE, {bob.id}),
                                       room_send(kRoom, "hi @" + std::to_string(bob.id)), room_history(kRoom),
                                       room_members(kRoom), list_rooms(), room_change(kRoom, Change::RENAME, {}, "den"),
                                       room_change(kRoom, Change::MAKE_ADMIN, {bob.id}), block(carol.id, false),
                                       block(carol.id, true), room_change(kRoom, Change::DELETE)}));
  seeds.emplace_back("bob_room", logged_in(bob, {list_rooms(), room_change(kRoom, Change::JOIN), room_send(kRoom, "hello"),
                                                 room_change(kRoom, Change::LEAVE), room_change(kRoom, Change::DECLINE)}));
  seeds.emplace_back("carol_room_pries",
                     logged_in(carol, {room_history(kRoom), room_send(kRoom, "let me in"), room_members(kRoom),
                                       room_change(kRoom, Change::JOIN), room_change(kRoom, Change::REMOVE, {alice.id})}));
  seeds.emplace_back("alice_logs_out", logged_in(alice, {rq::logout(), rq::list_friends(), rq::resume(alice.token)}));
  seeds.emplace_back("garbage_after_login", logged_in(alice, {rq::ping()}) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  seeds.emplace_back("half_frame_after_login", logged_in(alice, {}) + raw_header(100, 37, 0, 9) + "\x08\x01");
  seeds.emplace_back("oversized_after_login", logged_in(alice, {}) + raw_header(0xffffffffu, 63, 0, 9));
  seeds.emplace_back("bad_flags_after_login", logged_in(alice, {}) + raw_header(0, 4, 1, 9));
  seeds.emplace_back("type_mismatch_after_login",
                     logged_in(alice, {}) + raw_header(2, 33, 0, 9) + std::string("\x22\x00", 2));
  return seeds;
}

void write_session_seeds(const Accounts& accounts, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : session_seeds(accounts)) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write seed " + (dir / name).string());
  }
}

}  // namespace occhat::fuzz

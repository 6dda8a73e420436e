#pragma once
// Builders for every request envelope a client sends: one function per request type, so the
// field names of a request are spelled in one place for the SDK, tests, benchmarks and the
// fuzz seed corpus. Pure; no validation (the server validates, and tests send bad values on
// purpose).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "occhat/proto/frame.hpp"

namespace occhat::proto::requests {

inline wire::Envelope hello(std::string_view client_name, std::uint32_t version = kProtocolVersion) {
  wire::Envelope e;
  e.mutable_hello()->set_protocol_version(version);
  e.mutable_hello()->set_client_name(client_name.data(), client_name.size());
  return e;
}

inline wire::Envelope ping() {
  wire::Envelope e;
  e.mutable_ping();
  return e;
}

inline wire::Envelope register_user(std::string_view email, std::string_view nick, std::string_view password) {
  wire::Envelope e;
  auto* r = e.mutable_register_request();
  r->set_email(email.data(), email.size());
  r->set_nick(nick.data(), nick.size());
  r->set_password(password.data(), password.size());
  return e;
}

inline wire::Envelope login(std::uint32_t user_id, std::string_view password, bool announce_presence = false,
                            const std::vector<std::string>& revoke_tokens = {}) {
  wire::Envelope e;
  auto* r = e.mutable_login_request();
  r->set_user_id(user_id);
  r->set_password(password.data(), password.size());
  r->set_announce_presence(announce_presence);
  for (const auto& token : revoke_tokens) r->add_revoke_tokens(token);
  return e;
}

inline wire::Envelope resume(std::string_view token, bool announce_presence = false) {
  wire::Envelope e;
  auto* r = e.mutable_resume_request();
  r->set_token(token.data(), token.size());
  r->set_announce_presence(announce_presence);
  return e;
}

inline wire::Envelope logout() {
  wire::Envelope e;
  e.mutable_logout_request();
  return e;
}

inline wire::Envelope logout_all() {
  wire::Envelope e;
  e.mutable_logout_request()->set_all(true);
  return e;
}

inline wire::Envelope logout_session(std::string_view session_id) {
  wire::Envelope e;
  e.mutable_logout_request()->set_session_id(session_id.data(), session_id.size());
  return e;
}

inline wire::Envelope change_password(std::string_view current_password, std::string_view new_password) {
  wire::Envelope e;
  auto* r = e.mutable_change_password_request();
  r->set_current_password(current_password.data(), current_password.size());
  r->set_new_password(new_password.data(), new_password.size());
  return e;
}

inline wire::Envelope set_nick(std::string_view nick) {
  wire::Envelope e;
  e.mutable_update_profile_request()->set_nick(nick.data(), nick.size());
  return e;
}

inline wire::Envelope set_discoverable(bool discoverable) {
  wire::Envelope e;
  e.mutable_update_profile_request()->set_discoverable(discoverable);
  return e;
}

inline wire::Envelope list_sessions() {
  wire::Envelope e;
  e.mutable_list_sessions_request();
  return e;
}

inline wire::Envelope delete_account(std::string_view password) {
  wire::Envelope e;
  e.mutable_delete_account_request()->set_password(password.data(), password.size());
  return e;
}

inline wire::Envelope find_users(std::string_view nick, bool prefix) {
  wire::Envelope e;
  auto* r = e.mutable_find_users_request();
  r->set_nick(nick.data(), nick.size());
  r->set_prefix(prefix);
  return e;
}

inline wire::Envelope find_user(std::uint32_t user_id) {
  wire::Envelope e;
  e.mutable_find_user_request()->set_user_id(user_id);
  return e;
}

inline wire::Envelope add_friend(std::uint32_t user_id) {
  wire::Envelope e;
  e.mutable_add_friend_request()->set_user_id(user_id);
  return e;
}

inline wire::Envelope remove_friend(std::uint32_t user_id) {
  wire::Envelope e;
  e.mutable_remove_friend_request()->set_user_id(user_id);
  return e;
}

inline wire::Envelope list_friends() {
  wire::Envelope e;
  e.mutable_list_friends_request();
  return e;
}

inline wire::Envelope list_friend_requests() {
  wire::Envelope e;
  e.mutable_list_friend_requests_request();
  return e;
}

inline wire::Envelope send_message(std::uint32_t to, std::string_view text, std::string_view client_msg_id = {}) {
  wire::Envelope e;
  auto* r = e.mutable_send_message_request();
  r->set_to(to);
  r->set_text(text.data(), text.size());
  r->set_client_msg_id(client_msg_id.data(), client_msg_id.size());
  return e;
}

inline wire::Envelope fetch_inbox(std::uint64_t after_seq, std::uint32_t limit = 0) {
  wire::Envelope e;
  auto* r = e.mutable_fetch_inbox_request();
  r->set_after_seq(after_seq);
  r->set_limit(limit);
  return e;
}

inline wire::Envelope ack(std::uint64_t up_to_seq) {
  wire::Envelope e;
  e.mutable_ack_request()->set_up_to_seq(up_to_seq);
  return e;
}

inline wire::Envelope subscribe(std::uint64_t after_seq) {
  wire::Envelope e;
  e.mutable_subscribe_request()->set_after_seq(after_seq);
  return e;
}

inline wire::Envelope history(std::uint32_t peer, std::uint32_t limit = 0, std::uint64_t before_id = 0) {
  wire::Envelope e;
  auto* r = e.mutable_history_request();
  r->set_peer(peer);
  r->set_limit(limit);
  r->set_before_id(before_id);
  return e;
}

inline wire::Envelope begin_upload(std::uint32_t to, std::string_view name, std::uint64_t size, std::string_view sha256) {
  wire::Envelope e;
  auto* r = e.mutable_begin_upload_request();
  r->set_to(to);
  r->set_name(name.data(), name.size());
  r->set_size(size);
  r->set_sha256(sha256.data(), sha256.size());
  return e;
}

inline wire::Envelope upload_chunk(std::uint64_t upload_id, std::uint64_t offset, std::string_view data) {
  wire::Envelope e;
  auto* r = e.mutable_upload_chunk();
  r->set_upload_id(upload_id);
  r->set_offset(offset);
  r->set_data(data.data(), data.size());
  return e;
}

// upload_chunk taking the bytes by move, not copying a chunk of up to 1 MiB; the caller may
// move them back out of mutable_upload_chunk()->mutable_data() to reuse the buffer.
inline wire::Envelope upload_chunk_moved(std::uint64_t upload_id, std::uint64_t offset, std::string&& data) {
  wire::Envelope e = upload_chunk(upload_id, offset, {});
  e.mutable_upload_chunk()->set_data(std::move(data));
  return e;
}

inline wire::Envelope finish_upload(std::uint64_t upload_id) {
  wire::Envelope e;
  e.mutable_finish_upload_request()->set_upload_id(upload_id);
  return e;
}

inline wire::Envelope list_files(std::uint32_t peer, std::uint64_t before_id = 0, std::uint32_t limit = 0) {
  wire::Envelope e;
  auto* r = e.mutable_list_files_request();
  r->set_peer(peer);
  r->set_before_id(before_id);
  r->set_limit(limit);
  return e;
}

inline wire::Envelope cancel_upload(std::uint64_t upload_id) {
  wire::Envelope e;
  e.mutable_cancel_upload_request()->set_upload_id(upload_id);
  return e;
}

inline wire::Envelope get_file(std::uint64_t file_id) {
  wire::Envelope e;
  e.mutable_get_file_request()->set_file_id(file_id);
  return e;
}

inline wire::Envelope read_file(std::uint64_t file_id, std::uint64_t offset, std::uint32_t length) {
  wire::Envelope e;
  auto* r = e.mutable_read_file_request();
  r->set_file_id(file_id);
  r->set_offset(offset);
  r->set_length(length);
  return e;
}

// ---- rooms ----

inline wire::Envelope send_room_message(std::uint32_t room_id, std::string_view text,
                                        std::string_view client_msg_id = {}) {
  wire::Envelope e = send_message(0, text, client_msg_id);
  e.mutable_send_message_request()->set_room_id(room_id);
  return e;
}

inline wire::Envelope room_history(std::uint32_t room_id, std::uint32_t limit = 0, std::uint64_t before_id = 0) {
  wire::Envelope e = history(0, limit, before_id);
  e.mutable_history_request()->set_room_id(room_id);
  return e;
}

inline wire::Envelope begin_room_upload(std::uint32_t room_id, std::string_view name, std::uint64_t size,
                                        std::string_view sha256) {
  wire::Envelope e = begin_upload(0, name, size, sha256);
  e.mutable_begin_upload_request()->set_room_id(room_id);
  return e;
}

inline wire::Envelope list_room_files(std::uint32_t room_id, std::uint64_t before_id = 0, std::uint32_t limit = 0) {
  wire::Envelope e = list_files(0, before_id, limit);
  e.mutable_list_files_request()->set_room_id(room_id);
  return e;
}

inline wire::Envelope create_room(std::string_view name) {
  wire::Envelope e;
  e.mutable_create_room_request()->set_name(name.data(), name.size());
  return e;
}

// Every membership or settings change (see RoomChangeRequest for who may do what).
inline wire::Envelope room_change(std::uint32_t room_id, wire::RoomChangeRequest::Change change,
                                  const std::vector<std::uint32_t>& users = {}, std::string_view name = {}) {
  wire::Envelope e;
  auto* r = e.mutable_room_change_request();
  r->set_room_id(room_id);
  r->set_change(change);
  for (const auto user : users) r->add_users(user);
  r->set_name(name.data(), name.size());
  return e;
}

inline wire::Envelope list_rooms() {
  wire::Envelope e;
  e.mutable_list_rooms_request();
  return e;
}

inline wire::Envelope list_room_members(std::uint32_t room_id, std::uint32_t after_id = 0) {
  wire::Envelope e;
  auto* r = e.mutable_list_room_members_request();
  r->set_room_id(room_id);
  r->set_after_id(after_id);
  return e;
}

// ---- blocking ----

inline wire::Envelope block_user(std::uint32_t user_id, bool unblock = false) {
  wire::Envelope e;
  auto* r = e.mutable_block_user_request();
  r->set_user_id(user_id);
  r->set_unblock(unblock);
  return e;
}

// ---- read markers ----

// Exactly one of peer and room_id is non-zero; up_to_id 0: everything there now.
inline wire::Envelope mark_read(std::uint32_t peer, std::uint32_t room_id, std::uint64_t up_to_id = 0) {
  wire::Envelope e;
  auto* r = e.mutable_mark_read_request();
  r->set_peer(peer);
  r->set_room_id(room_id);
  r->set_up_to_id(up_to_id);
  return e;
}

inline wire::Envelope list_blocked() {
  wire::Envelope e;
  e.mutable_list_blocked_request();
  return e;
}

}  // namespace occhat::proto::requests

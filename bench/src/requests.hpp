#pragma once
// Builders for the requests the bench sends (one place that knows the envelope fields).

#include <cstdint>
#include <string>
#include <string_view>

#include "occhat/proto/frame.hpp"

namespace occhat::bench::requests {

namespace wire = occhat::wire;

inline wire::Envelope hello() {
  wire::Envelope e;
  e.mutable_hello()->set_protocol_version(proto::kProtocolVersion);
  e.mutable_hello()->set_client_name("occhat-bench/0.1.0");
  return e;
}

inline wire::Envelope resume(const std::string& token, bool announce_presence) {
  wire::Envelope e;
  e.mutable_resume_request()->set_token(token);
  e.mutable_resume_request()->set_announce_presence(announce_presence);
  return e;
}

inline wire::Envelope login(std::uint32_t id, const std::string& password, bool announce_presence) {
  wire::Envelope e;
  e.mutable_login_request()->set_user_id(id);
  e.mutable_login_request()->set_password(password);
  e.mutable_login_request()->set_announce_presence(announce_presence);
  return e;
}

inline wire::Envelope subscribe(std::uint64_t after_seq) {
  wire::Envelope e;
  e.mutable_subscribe_request()->set_after_seq(after_seq);
  return e;
}

inline wire::Envelope ack(std::uint64_t up_to_seq) {
  wire::Envelope e;
  e.mutable_ack_request()->set_up_to_seq(up_to_seq);
  return e;
}

inline wire::Envelope ping() {
  wire::Envelope e;
  e.mutable_ping();
  return e;
}

inline wire::Envelope send_message(std::uint32_t to, std::string_view text) {
  wire::Envelope e;
  e.mutable_send_message_request()->set_to(to);
  e.mutable_send_message_request()->set_text(text.data(), text.size());
  return e;
}

inline wire::Envelope get_file(std::uint64_t id) {
  wire::Envelope e;
  e.mutable_get_file_request()->set_file_id(id);
  return e;
}

inline wire::Envelope read_file(std::uint64_t id, std::uint64_t offset, std::uint32_t length) {
  wire::Envelope e;
  auto* r = e.mutable_read_file_request();
  r->set_file_id(id);
  r->set_offset(offset);
  r->set_length(length);
  return e;
}

}  // namespace occhat::bench::requests

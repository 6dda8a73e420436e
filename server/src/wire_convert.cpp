#include "wire_convert.hpp"

#include <google/protobuf/io/coded_stream.h>

namespace occhat::server {

wire::Envelope error_body(ErrorCode code, std::string_view message, std::chrono::milliseconds retry_after) {
  wire::Envelope body;
  auto* error = body.mutable_error();
  error->set_code(static_cast<wire::ErrorCode>(code));
  error->set_message(std::string(message));
  error->set_retry_after_ms(static_cast<std::uint32_t>(retry_after.count()));
  return body;
}

namespace {

// Bytes an embedded message of `size` bytes costs inside its parent: tag, length, body.
std::size_t embedded_size(std::size_t size) {
  return 1 + google::protobuf::io::CodedOutputStream::VarintSize64(size) + size;
}

// Envelope overhead around a repeated list: the Envelope's tag (2 bytes for field numbers
// >= 16) and length (<= 3 bytes under a 64 KiB cap), plus `more = true` (2 bytes).
constexpr std::size_t kListOverhead = 2 + 3 + 2;

}  // namespace

void fill_message(wire::ChatMessage& out, const store::Message& message) {
  out.set_id(message.id);
  out.set_from(message.from);
  out.set_to(message.to);
  out.set_text(message.text);
  out.set_time_ms(message.time_ms);
  out.set_from_nick(message.from_nick);
  if (!message.to_nick.empty()) out.set_to_nick(message.to_nick);
  if (message.room_id != 0) {
    out.mutable_room()->set_id(message.room_id);
    out.mutable_room()->set_name(message.room_name);
    for (const std::uint32_t id : message.mentions) out.add_mentions(id);
  }
}

void fill_room_info(wire::RoomInfo& out, const store::RoomView& view) {
  out.set_id(view.room.id);
  out.set_name(view.room.name);
  out.set_role(static_cast<wire::RoomRole>(view.role));
  out.set_members(view.room.members);
  out.set_owner(view.room.owner);
  out.set_created_ms(view.room.created_ms);
  out.set_unread(view.unread);
  if (view.inviter != 0) {
    out.mutable_invited_by()->set_id(view.inviter);
    out.mutable_invited_by()->set_nick(view.inviter_nick);
  }
}

void fill_room_event(wire::RoomEvent& out, const store::RoomEvent& event) {
  out.set_kind(static_cast<wire::RoomEvent::Kind>(event.kind));
  out.mutable_room()->set_id(event.room_id);
  out.mutable_room()->set_name(event.room_name);
  out.mutable_actor()->set_id(event.actor);
  out.mutable_actor()->set_nick(event.actor_nick);
  if (event.subject != 0) {
    out.mutable_subject()->set_id(event.subject);
    out.mutable_subject()->set_nick(event.subject_nick);
  }
  out.set_role(static_cast<wire::RoomRole>(event.role));
}

void fill_file_info(wire::FileInfo& out, const store::FileRecord& file) {
  out.set_id(file.id);
  out.set_name(file.name);
  out.set_size(file.size);
  out.set_sha256(file.sha256.data(), file.sha256.size());
  out.set_sender(file.sender);
  out.set_recipient(file.recipient);
  out.set_time_ms(file.time_ms);
  out.set_state(file.state == store::FileRecord::State::uploading ? wire::FileInfo::UPLOADING
                                                                  : wire::FileInfo::AVAILABLE);
  out.set_sender_nick(file.sender_nick);
  if (file.room_id != 0) {
    out.mutable_room()->set_id(file.room_id);
    out.mutable_room()->set_name(file.room_name);
  }
}

void fill_inbox_item(wire::InboxItem& out, const store::InboxItem& item) {
  out.set_seq(item.seq);
  out.set_time_ms(item.time_ms);
  switch (item.kind) {
    case store::InboxItem::Kind::message:
    case store::InboxItem::Kind::room_message:
      // The user's own message (a 1:1 carbon, or their room message) is `sent`, not `message`.
      fill_message(item.message.from == item.user_id ? *out.mutable_sent() : *out.mutable_message(), item.message);
      break;
    case store::InboxItem::Kind::room_event:
      fill_room_event(*out.mutable_room_event(), item.room_event);
      break;
    case store::InboxItem::Kind::friend_request: {
      auto* notice = out.mutable_friend_request();
      notice->mutable_from()->set_id(item.other_user);
      notice->mutable_from()->set_nick(item.other_nick);
      notice->set_accepted(item.accepted);
      break;
    }
    case store::InboxItem::Kind::file:
      fill_file_info(*out.mutable_file()->mutable_file(), item.file);
      break;
  }
}

std::size_t pack_inbox_items(const std::vector<store::InboxItem>& items, std::size_t begin, std::size_t max_items,
                             std::size_t max_payload, wire::InboxItems& out) {
  std::size_t used = kListOverhead;
  std::size_t next = begin;
  while (next < items.size() && next - begin < max_items) {
    wire::InboxItem encoded;
    fill_inbox_item(encoded, items[next]);
    const std::size_t cost = embedded_size(encoded.ByteSizeLong());
    if (next > begin && used + cost > max_payload) break;
    used += cost;
    *out.add_items() = std::move(encoded);
    ++next;
  }
  return next;
}

wire::Envelope message_list_answer(const store::HistoryPage& page) {
  const std::size_t dropped = fit_message_list(page.messages, proto::kMaxControlPayload);
  wire::Envelope answer;
  auto* list = answer.mutable_message_list();
  for (std::size_t i = dropped; i < page.messages.size(); ++i) fill_message(*list->add_messages(), page.messages[i]);
  list->set_more(page.more || dropped > 0);
  return answer;
}

std::size_t fit_message_list(const std::vector<store::Message>& messages, std::size_t max_payload) {
  std::size_t used = kListOverhead;
  std::size_t keep = 0;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    wire::ChatMessage encoded;
    fill_message(encoded, *it);
    const std::size_t cost = embedded_size(encoded.ByteSizeLong());
    if (keep > 0 && used + cost > max_payload) break;
    used += cost;
    ++keep;
  }
  return messages.size() - keep;
}

}  // namespace occhat::server

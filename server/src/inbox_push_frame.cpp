#include "inbox_push_frame.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "wire_convert.hpp"

namespace occhat::server {
namespace {

// Protobuf wire types.
constexpr std::uint32_t kVarint = 0;
constexpr std::uint32_t kLengthDelimited = 2;

std::size_t varint_size(std::uint64_t value) {
  std::size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

std::uint64_t tag(std::uint32_t field, std::uint32_t wire_type) { return (std::uint64_t{field} << 3) | wire_type; }

// Sizes as protobuf counts them: proto3 fields at their default value are left out.
std::size_t varint_field_size(std::uint32_t field, std::uint64_t value) {
  return value == 0 ? 0 : varint_size(tag(field, kVarint)) + varint_size(value);
}
std::size_t string_field_size(std::uint32_t field, std::string_view value) {
  return value.empty() ? 0 : varint_size(tag(field, kLengthDelimited)) + varint_size(value.size()) + value.size();
}
std::size_t message_field_size(std::uint32_t field, std::size_t size) {
  return varint_size(tag(field, kLengthDelimited)) + varint_size(size) + size;  // present even when empty
}

class Writer {
 public:
  explicit Writer(char* out) : out_(out) {}
  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      *out_++ = static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    *out_++ = static_cast<char>(value);
  }
  void be32(std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) *out_++ = static_cast<char>(value >> shift);
  }
  void be16(std::uint16_t value) {
    *out_++ = static_cast<char>(value >> 8);
    *out_++ = static_cast<char>(value);
  }
  void varint_field(std::uint32_t field, std::uint64_t value) {
    if (value == 0) return;
    varint(tag(field, kVarint));
    varint(value);
  }
  void string_field(std::uint32_t field, std::string_view value) {
    if (value.empty()) return;
    message_header(field, value.size());
    out_ = std::copy(value.begin(), value.end(), out_);
  }
  void message_header(std::uint32_t field, std::size_t size) {
    varint(tag(field, kLengthDelimited));
    varint(size);
  }
  char* position() const noexcept { return out_; }

 private:
  char* out_;
};

// A 1:1 message item has only the fields below (fill_inbox_item / fill_message write the same).
bool is_direct_message(const store::InboxItem& item) {
  return item.kind == store::InboxItem::Kind::message && item.message.room_id == 0 && item.message.mentions.empty();
}

SharedFrame encode_direct_message_push(const store::InboxItem& item) {
  using wire::ChatMessage;
  using wire::InboxItem;
  const store::Message& m = item.message;
  // Field numbers from the generated code, so a renumbering in occhat.proto cannot go unnoticed.
  const std::size_t chat_size = varint_field_size(ChatMessage::kIdFieldNumber, m.id) +
                                varint_field_size(ChatMessage::kFromFieldNumber, m.from) +
                                varint_field_size(ChatMessage::kToFieldNumber, m.to) +
                                string_field_size(ChatMessage::kTextFieldNumber, m.text) +
                                varint_field_size(ChatMessage::kTimeMsFieldNumber, static_cast<std::uint64_t>(m.time_ms)) +
                                string_field_size(ChatMessage::kFromNickFieldNumber, m.from_nick) +
                                string_field_size(ChatMessage::kToNickFieldNumber, m.to_nick);
  // The user's own message (a carbon) is `sent`, not `message`.
  const std::uint32_t chat_field =
      m.from == item.user_id ? InboxItem::kSentFieldNumber : InboxItem::kMessageFieldNumber;
  const std::size_t item_size = varint_field_size(InboxItem::kSeqFieldNumber, item.seq) +
                                varint_field_size(InboxItem::kTimeMsFieldNumber, static_cast<std::uint64_t>(item.time_ms)) +
                                message_field_size(chat_field, chat_size);
  const std::size_t items_size = message_field_size(wire::InboxItems::kItemsFieldNumber, item_size);
  constexpr auto kType = static_cast<std::uint16_t>(wire::Envelope::kInboxItemsFieldNumber);
  const std::size_t payload_size = message_field_size(kType, items_size);
  if (payload_size > proto::max_payload_for(kType)) return nullptr;

  auto frame = std::make_shared<std::string>(proto::kHeaderSize + payload_size, '\0');
  Writer out(frame->data());
  out.be32(static_cast<std::uint32_t>(payload_size));
  out.be16(kType);
  out.be16(0);  // flags
  out.be32(proto::kPushRequestId);
  out.message_header(kType, items_size);
  out.message_header(wire::InboxItems::kItemsFieldNumber, item_size);
  out.varint_field(InboxItem::kSeqFieldNumber, item.seq);
  out.varint_field(InboxItem::kTimeMsFieldNumber, static_cast<std::uint64_t>(item.time_ms));
  out.message_header(chat_field, chat_size);
  out.varint_field(ChatMessage::kIdFieldNumber, m.id);
  out.varint_field(ChatMessage::kFromFieldNumber, m.from);
  out.varint_field(ChatMessage::kToFieldNumber, m.to);
  out.string_field(ChatMessage::kTextFieldNumber, m.text);
  out.varint_field(ChatMessage::kTimeMsFieldNumber, static_cast<std::uint64_t>(m.time_ms));
  out.string_field(ChatMessage::kFromNickFieldNumber, m.from_nick);
  out.string_field(ChatMessage::kToNickFieldNumber, m.to_nick);
  if (out.position() != frame->data() + frame->size()) return nullptr;  // cannot happen: sizes above
  return frame;
}

}  // namespace

SharedFrame encode_inbox_item_push(const store::InboxItem& item) {
  if (is_direct_message(item)) return encode_direct_message_push(item);
  wire::Envelope body;
  fill_inbox_item(*body.mutable_inbox_items()->add_items(), item);
  return encode_push(body);
}

}  // namespace occhat::server

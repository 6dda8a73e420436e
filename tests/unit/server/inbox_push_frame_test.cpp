// The push frame of an inbox item: a 1:1 message written straight into bytes must be exactly
// what the generated protobuf code produces, so every client decodes the same item.

#include "inbox_push_frame.hpp"

#include <gtest/gtest.h>

#include <string>

#include "wire_convert.hpp"

namespace occhat::server {
namespace {

constexpr std::uint32_t kAlice = 100001;
constexpr std::uint32_t kBob = 100002;

// What the push was before the direct encoding: an Envelope through libprotobuf.
std::string generated(const store::InboxItem& item) {
  wire::Envelope body;
  fill_inbox_item(*body.mutable_inbox_items()->add_items(), item);
  return *encode_push(body);
}

store::InboxItem message_item(std::uint32_t owner, std::string text) {
  store::InboxItem item;
  item.user_id = owner;
  item.seq = 42;
  item.time_ms = 1764543600123;
  item.kind = store::InboxItem::Kind::message;
  item.message.id = 7;
  item.message.from = kAlice;
  item.message.to = kBob;
  item.message.from_nick = "alice";
  item.message.text = std::move(text);
  item.message.time_ms = item.time_ms;
  item.other_user = owner == kBob ? kAlice : kBob;
  return item;
}

void expect_same_bytes(const store::InboxItem& item) {
  const SharedFrame frame = encode_inbox_item_push(item);
  ASSERT_TRUE(frame);
  EXPECT_EQ(*frame, generated(item));
}

TEST(InboxPushFrame, RecipientsMessageIsWhatProtobufWrites) { expect_same_bytes(message_item(kBob, "hello bob")); }

TEST(InboxPushFrame, SendersCarbonIsASentItemWithTheRecipientsNick) {
  auto carbon = message_item(kAlice, "hello bob");
  carbon.message.to_nick = "bob";
  expect_same_bytes(carbon);
  // And a client reads it as `sent` with the recipient's nick.
  const SharedFrame frame = encode_inbox_item_push(carbon);
  proto::FrameDecoder decoder;
  decoder.feed(std::string_view(*frame));
  proto::Frame decoded;
  ASSERT_EQ(decoder.next(decoded), proto::FrameDecoder::Status::frame);
  ASSERT_EQ(decoded.body.inbox_items().items_size(), 1);
  const auto& item = decoded.body.inbox_items().items(0);
  EXPECT_EQ(item.seq(), 42u);
  ASSERT_TRUE(item.has_sent());
  EXPECT_EQ(item.sent().text(), "hello bob");
  EXPECT_EQ(item.sent().to_nick(), "bob");
  EXPECT_EQ(item.sent().from_nick(), "alice");
}

TEST(InboxPushFrame, LongAndNonAsciiTextsLargeNumbersAndDefaults) {
  expect_same_bytes(message_item(kBob, std::string(4000, 'x')));    // two-byte lengths
  expect_same_bytes(message_item(kBob, std::string(20000, 'y')));   // three-byte lengths
  expect_same_bytes(message_item(kBob, "gr\xc3\xbc\xc3\x9f dich \xf0\x9f\x91\x8b"));
  auto big = message_item(kBob, "x");
  big.seq = UINT64_MAX;
  big.message.id = (std::uint64_t{1} << 63) + 5;
  big.time_ms = -1;  // int64 as a ten-byte varint
  big.message.time_ms = -1;
  expect_same_bytes(big);
  auto zero = message_item(kBob, "");  // fields at their defaults are left out
  zero.seq = 0;
  zero.time_ms = 0;
  zero.message = store::Message{};
  zero.message.from = kAlice;
  expect_same_bytes(zero);
}

TEST(InboxPushFrame, OtherKindsStillEncode) {
  auto room = message_item(kBob, "hi @100002");
  room.kind = store::InboxItem::Kind::room_message;
  room.message.to = 0;
  room.message.room_id = store::kMinRoomId;
  room.message.room_name = "lobby";
  room.message.mentions = {kBob};
  expect_same_bytes(room);
  store::InboxItem request;
  request.user_id = kBob;
  request.seq = 3;
  request.kind = store::InboxItem::Kind::friend_request;
  request.other_user = kAlice;
  request.other_nick = "alice";
  expect_same_bytes(request);
}

}  // namespace
}  // namespace occhat::server

// The frame codec (occhat::proto): round-trips, and every way a peer can send bad bytes.
// The decoder must report failure without throwing and never allocate for an announced size
// above the cap.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "occhat/proto/error_code.hpp"
#include "occhat/proto/frame.hpp"

namespace occhat::proto {
namespace {

using Status = FrameDecoder::Status;

wire::Envelope hello_envelope() {
  wire::Envelope env;
  env.mutable_hello()->set_protocol_version(kProtocolVersion);
  env.mutable_hello()->set_client_name("occhat-test/0.1.0");
  return env;
}

wire::Envelope login_envelope() {
  wire::Envelope env;
  env.mutable_login_request()->set_user_id(482913);
  env.mutable_login_request()->set_password("correct horse battery staple");
  env.mutable_login_request()->set_announce_presence(true);
  return env;
}

wire::Envelope error_envelope() {
  wire::Envelope env;
  env.mutable_error()->set_code(wire::RATE_LIMITED);
  env.mutable_error()->set_message("too many failed logins; retry in 30 s");
  env.mutable_error()->set_retry_after_ms(30000);
  return env;
}

// A raw 12-byte header, for hand-built (possibly invalid) frames.
std::string header(std::uint32_t size, std::uint16_t type, std::uint16_t flags, std::uint32_t request_id) {
  std::string out;
  encode_header({size, type, flags, request_id}, out);
  return out;
}

std::span<const std::uint8_t, kHeaderSize> header_span(const std::string& bytes) {
  return std::span<const std::uint8_t, kHeaderSize>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                                    kHeaderSize);
}

Status decode_all(const std::string& bytes, std::vector<Frame>& frames, FrameDecoder& decoder) {
  decoder.feed(bytes);
  Frame frame;
  Status status;
  while ((status = decoder.next(frame)) == Status::frame) frames.push_back(frame);
  return status;
}

TEST(Frame, HeaderLayoutIsBigEndian) {
  const std::string bytes = encode_frame(0x01020304, hello_envelope());
  ASSERT_GE(bytes.size(), kHeaderSize);
  const std::uint32_t payload = static_cast<std::uint32_t>(bytes.size() - kHeaderSize);
  EXPECT_EQ(bytes.substr(0, kHeaderSize), header(payload, wire::Envelope::kHello, 0, 0x01020304));
  // Payload size, then type 2 = Envelope.hello, flags 0, request id, all in network byte order.
  ASSERT_LT(payload, 256u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0);
  EXPECT_EQ(static_cast<unsigned char>(bytes[3]), payload);
  EXPECT_EQ(static_cast<unsigned char>(bytes[4]), 0);
  EXPECT_EQ(static_cast<unsigned char>(bytes[5]), 2);
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 1);
  EXPECT_EQ(static_cast<unsigned char>(bytes[11]), 4);
}

TEST(Frame, RoundTripsEveryAccountMessage) {
  std::vector<wire::Envelope> envs{hello_envelope(), login_envelope(), error_envelope()};
  wire::Envelope e;
  e.mutable_hello_ok()->set_protocol_version(1);
  e.mutable_hello_ok()->set_server_name("occhat-server/0.1.0");
  e.mutable_hello_ok()->set_max_payload(kMaxControlPayload);
  e.mutable_hello_ok()->set_max_bulk_payload(kMaxBulkPayload);
  envs.push_back(e);
  e.Clear();
  e.mutable_ping();
  envs.push_back(e);
  e.Clear();
  e.mutable_pong();
  envs.push_back(e);
  e.Clear();
  e.mutable_ok();
  envs.push_back(e);
  e.Clear();
  e.mutable_register_request()->set_email("a@x");
  e.mutable_register_request()->set_nick("alice ünïcode");
  e.mutable_register_request()->set_password("hunter2hunter2");
  envs.push_back(e);
  e.Clear();
  e.mutable_register_response()->set_user_id(999999);
  envs.push_back(e);
  e.Clear();
  e.mutable_login_ok()->mutable_user()->set_id(100000);
  e.mutable_login_ok()->mutable_user()->set_nick("alice");
  e.mutable_login_ok()->set_token(std::string(64, 'a'));
  envs.push_back(e);
  e.Clear();
  e.mutable_resume_request()->set_token(std::string(64, 'f'));
  envs.push_back(e);
  e.Clear();
  e.mutable_logout_request();
  envs.push_back(e);
  e.Clear();
  e.mutable_find_user_request()->set_user_id(123456);
  envs.push_back(e);
  e.Clear();
  e.mutable_user_info()->set_id(123456);
  e.mutable_user_info()->set_nick("bob");
  envs.push_back(e);

  std::uint32_t request_id = 1;
  for (const auto& env : envs) {
    SCOPED_TRACE(env.ShortDebugString());
    const std::string bytes = encode_frame(request_id, env);
    ASSERT_FALSE(bytes.empty());
    FrameDecoder decoder;
    decoder.feed(bytes);
    Frame frame;
    ASSERT_EQ(decoder.next(frame), Status::frame);
    EXPECT_EQ(frame.request_id, request_id);
    EXPECT_EQ(frame.body.SerializeAsString(), env.SerializeAsString());
    EXPECT_EQ(decoder.next(frame), Status::need_more);
    EXPECT_EQ(decoder.buffered(), 0u);
    ++request_id;
  }
}

TEST(Frame, EmptyMessageHasZeroLengthPayload) {
  wire::Envelope env;
  env.mutable_ping();
  const std::string bytes = encode_frame(9, env);
  // An empty sub-message still costs its tag and length byte: the type is on the wire twice.
  ASSERT_EQ(bytes.size(), kHeaderSize + 2);
  FrameDecoder decoder;
  decoder.feed(bytes);
  Frame frame;
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_TRUE(frame.body.has_ping());
}

TEST(Frame, PushIsRequestIdZero) {
  FrameDecoder decoder;
  decoder.feed(encode_frame(kPushRequestId, error_envelope()));
  Frame frame;
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_TRUE(frame.is_push());
  EXPECT_EQ(frame.body.error().retry_after_ms(), 30000u);
}

TEST(Frame, MaxRequestIdRoundTrips) {
  FrameDecoder decoder;
  decoder.feed(encode_frame(0xFFFFFFFFu, hello_envelope()));
  Frame frame;
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_EQ(frame.request_id, 0xFFFFFFFFu);
  EXPECT_FALSE(frame.is_push());
}

TEST(Frame, EncodeRejectsEmptyEnvelope) {
  std::string out = "keep";
  EXPECT_FALSE(encode_frame(1, wire::Envelope{}, out));
  EXPECT_EQ(out, "keep");
  EXPECT_TRUE(encode_frame(1, wire::Envelope{}).empty());
}

TEST(Frame, EncodeRejectsOversizedControlPayload) {
  wire::Envelope env;
  env.mutable_register_request()->set_password(std::string(kMaxControlPayload, 'p'));
  std::string out;
  EXPECT_FALSE(encode_frame(1, env, out));
  EXPECT_TRUE(out.empty());
}

TEST(Frame, EncodeAppends) {
  std::string out;
  ASSERT_TRUE(encode_frame(1, hello_envelope(), out));
  const std::size_t first = out.size();
  ASSERT_TRUE(encode_frame(2, login_envelope(), out));
  EXPECT_GT(out.size(), first);
  std::vector<Frame> frames;
  FrameDecoder decoder;
  EXPECT_EQ(decode_all(out, frames, decoder), Status::need_more);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].body.has_hello());
  EXPECT_TRUE(frames[1].body.has_login_request());
}

TEST(Frame, ManyFramesInOneFeed) {
  std::string stream;
  for (std::uint32_t i = 1; i <= 100; ++i) encode_frame(i, i % 2 ? hello_envelope() : login_envelope(), stream);
  std::vector<Frame> frames;
  FrameDecoder decoder;
  EXPECT_EQ(decode_all(stream, frames, decoder), Status::need_more);
  ASSERT_EQ(frames.size(), 100u);
  for (std::uint32_t i = 1; i <= 100; ++i) EXPECT_EQ(frames[i - 1].request_id, i);
}

TEST(Frame, ByteByByteFeeding) {
  std::string stream;
  encode_frame(1, hello_envelope(), stream);
  encode_frame(2, error_envelope(), stream);
  encode_frame(3, login_envelope(), stream);
  FrameDecoder decoder;
  std::vector<Frame> frames;
  for (char c : stream) {
    decoder.feed(std::string_view(&c, 1));
    Frame frame;
    Status status;
    while ((status = decoder.next(frame)) == Status::frame) frames.push_back(frame);
    ASSERT_EQ(status, Status::need_more);
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[2].body.login_request().password(), "correct horse battery staple");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Frame, TruncatedHeaderNeedsMore) {
  const std::string bytes = encode_frame(5, hello_envelope());
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    FrameDecoder decoder;
    decoder.feed(bytes.substr(0, n));
    Frame frame;
    EXPECT_EQ(decoder.next(frame), Status::need_more) << n;
    EXPECT_EQ(decoder.buffered(), n);
  }
}

TEST(Frame, TruncatedPayloadNeedsMoreThenCompletes) {
  const std::string bytes = encode_frame(5, login_envelope());
  for (std::size_t n = kHeaderSize; n < bytes.size(); ++n) {
    FrameDecoder decoder;
    decoder.feed(bytes.substr(0, n));
    Frame frame;
    ASSERT_EQ(decoder.next(frame), Status::need_more) << n;
    decoder.feed(bytes.substr(n));
    ASSERT_EQ(decoder.next(frame), Status::frame) << n;
    EXPECT_EQ(frame.request_id, 5u);
  }
}

TEST(Frame, FourGiBLengthIsRejectedFromTheHeaderAlone) {
  // Only the header arrives: the decoder must refuse at once instead of waiting for (or
  // reserving) 4 GiB.
  FrameDecoder decoder;
  decoder.feed(header(0xFFFFFFFFu, wire::Envelope::kHello, 0, 1));
  Frame frame;
  EXPECT_EQ(decoder.next(frame), Status::error);
  EXPECT_EQ(decoder.error(), DecodeError::too_large);
  EXPECT_LE(decoder.buffered(), kHeaderSize);
}

TEST(Frame, ControlCapBoundary) {
  FrameHeader h;
  const std::string at_cap = header(kMaxControlPayload, wire::Envelope::kLoginRequest, 0, 1);
  EXPECT_EQ(decode_header(header_span(at_cap), h), DecodeError::none);
  EXPECT_EQ(h.payload_size, kMaxControlPayload);
  const std::string over = header(kMaxControlPayload + 1, wire::Envelope::kLoginRequest, 0, 1);
  EXPECT_EQ(decode_header(header_span(over), h), DecodeError::too_large);
  EXPECT_EQ(h.request_id, 1u);
}

TEST(Frame, MaxPayloadForKnownAndUnknownTypes) {
  EXPECT_EQ(max_payload_for(wire::Envelope::kHello), kMaxControlPayload);
  EXPECT_EQ(max_payload_for(wire::Envelope::kUserInfo), kMaxControlPayload);
  EXPECT_EQ(max_payload_for(0), 0u);
  EXPECT_EQ(max_payload_for(9), 0u);     // a gap in the numbering
  EXPECT_EQ(max_payload_for(999), 0u);   // reserved but not defined yet
  EXPECT_EQ(max_payload_for(0xFFFF), 0u);
}

TEST(Frame, UnknownTypeIsRejected) {
  for (std::uint16_t type : {std::uint16_t{0}, std::uint16_t{9}, std::uint16_t{500}, std::uint16_t{0xFFFF}}) {
    FrameDecoder decoder;
    decoder.feed(header(0, type, 0, 77));
    Frame frame;
    EXPECT_EQ(decoder.next(frame), Status::error) << type;
    EXPECT_EQ(decoder.error(), DecodeError::unknown_type) << type;
    FrameHeader h;
    EXPECT_EQ(decode_header(header_span(header(0, type, 0, 77)), h), DecodeError::unknown_type);
    EXPECT_EQ(h.request_id, 77u);  // so the error answer can echo it
  }
}

TEST(Frame, NonZeroFlagsAreRejected) {
  std::string bytes = encode_frame(1, hello_envelope());
  bytes[7] = 1;
  FrameDecoder decoder;
  decoder.feed(bytes);
  Frame frame;
  EXPECT_EQ(decoder.next(frame), Status::error);
  EXPECT_EQ(decoder.error(), DecodeError::bad_flags);
}

TEST(Frame, GarbagePayloadIsRejected) {
  // 0xFF is a field with wire type 7, which does not exist in protobuf.
  const std::string payload(8, '\xFF');
  FrameDecoder decoder;
  decoder.feed(header(static_cast<std::uint32_t>(payload.size()), wire::Envelope::kHello, 0, 1) + payload);
  Frame frame;
  EXPECT_EQ(decoder.next(frame), Status::bad_frame);
  EXPECT_EQ(decoder.error(), DecodeError::bad_payload);
  EXPECT_EQ(decoder.header().request_id, 1u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(decoder.bad_payload().data()), decoder.bad_payload().size()),
            payload);
}

TEST(Frame, DecodingGoesOnAfterABadPayload) {
  // The header gave the bad frame's length, so the next frame is found and decoded.
  const std::string bad = header(3, wire::Envelope::kHello, 0, 1) + std::string(3, '\xFF');
  FrameDecoder decoder;
  decoder.feed(bad + encode_frame(2, hello_envelope()));
  Frame frame;
  EXPECT_EQ(decoder.next(frame), Status::bad_frame);
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_EQ(frame.request_id, 2u);
  EXPECT_EQ(decoder.error(), DecodeError::none);
  EXPECT_EQ(decoder.next(frame), Status::need_more);
}

TEST(Frame, BorrowedBytesAreDecodedInPlaceAndTheTailIsKept) {
  const std::string first = encode_frame(1, hello_envelope());
  const std::string second = encode_frame(2, login_envelope());
  std::string chunk = first + second.substr(0, 5);
  FrameDecoder decoder;
  decoder.feed_borrowed({reinterpret_cast<const std::uint8_t*>(chunk.data()), chunk.size()});
  Frame frame;
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_EQ(frame.request_id, 1u);
  ASSERT_EQ(decoder.next(frame), Status::need_more);
  // need_more copied the partial second frame: the caller may reuse its buffer now.
  EXPECT_EQ(decoder.buffered(), 5u);
  chunk.assign(chunk.size(), '\0');
  std::string rest = second.substr(5);
  decoder.feed_borrowed({reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()});
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_EQ(frame.request_id, 2u);
  EXPECT_TRUE(frame.body.has_login_request());
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Frame, AFeedWhileBorrowedBytesAreUndrainedKeepsThem) {
  const std::string first = encode_frame(1, hello_envelope());
  const std::string second = encode_frame(2, hello_envelope());
  std::string borrowed = first + second;
  FrameDecoder decoder;
  decoder.feed_borrowed({reinterpret_cast<const std::uint8_t*>(borrowed.data()), borrowed.size()});
  Frame frame;
  ASSERT_EQ(decoder.next(frame), Status::frame);
  decoder.feed(encode_frame(3, hello_envelope()));  // copies the undrained rest first
  borrowed.assign(borrowed.size(), '\0');
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_EQ(frame.request_id, 2u);
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_EQ(frame.request_id, 3u);
}

TEST(Frame, ALimitedDecoderRefusesBiggerPayloadsBeforeBufferingThem) {
  wire::Envelope chunk;
  chunk.mutable_upload_chunk()->set_data(std::string(8000, 'x'));
  const std::string big = encode_frame(1, chunk);
  FrameDecoder decoder;
  decoder.limit_payload(4096);
  decoder.feed(encode_frame(2, hello_envelope()));
  Frame frame;
  ASSERT_EQ(decoder.next(frame), Status::frame);  // small frames pass
  decoder.feed(std::string_view(big).substr(0, kHeaderSize));  // the header alone is enough
  EXPECT_EQ(decoder.next(frame), Status::error);
  EXPECT_EQ(decoder.error(), DecodeError::too_large);
  FrameDecoder lifted;
  lifted.limit_payload(4096);
  lifted.limit_payload(SIZE_MAX);
  lifted.feed(big);
  EXPECT_EQ(lifted.next(frame), Status::frame);
}

TEST(Frame, KeepBorrowedLetsTheCallerReuseItsBufferBetweenFrames) {
  std::string borrowed = encode_frame(1, hello_envelope()) + encode_frame(2, hello_envelope());
  FrameDecoder decoder;
  decoder.feed_borrowed({reinterpret_cast<const std::uint8_t*>(borrowed.data()), borrowed.size()});
  Frame frame;
  ASSERT_EQ(decoder.next(frame), Status::frame);
  decoder.keep_borrowed();
  borrowed.assign(borrowed.size(), '\0');
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_EQ(frame.request_id, 2u);
}

TEST(Frame, ABigBufferIsFreedOnceEmpty) {
  wire::Envelope chunk;
  chunk.mutable_upload_chunk()->set_data(std::string(512 * 1024, 'x'));
  const std::string bytes = encode_frame(1, chunk);
  FrameDecoder decoder(4096);
  Frame frame;
  decoder.feed(std::string_view(bytes).substr(0, 1000));
  ASSERT_EQ(decoder.next(frame), Status::need_more);
  decoder.feed(std::string_view(bytes).substr(1000));
  ASSERT_EQ(decoder.next(frame), Status::frame);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_LE(decoder.capacity(), 4096u);
}

TEST(Frame, InvalidUtf8InAStringFieldIsRejectedSilently) {
  // resume_request (field 14) whose token (a proto3 string) is the lone byte 0xFF. libprotobuf
  // would log a line per such frame; a hostile peer must not be able to write to our stderr.
  const std::string payload("\x72\x03\x0a\x01\xff", 5);
  FrameDecoder decoder;
  decoder.feed(header(static_cast<std::uint32_t>(payload.size()), wire::Envelope::kResumeRequest, 0, 1) + payload);
  Frame frame;
  testing::internal::CaptureStderr();
  const auto status = decoder.next(frame);
  const std::string logged = testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, Status::bad_frame);
  EXPECT_EQ(decoder.error(), DecodeError::bad_payload);
  EXPECT_EQ(logged, "");
}

TEST(Frame, PayloadOfAnotherTypeIsRejected) {
  // A login payload announced as hello.
  const std::string login = encode_frame(1, login_envelope());
  const std::string payload = login.substr(kHeaderSize);
  FrameDecoder decoder;
  decoder.feed(header(static_cast<std::uint32_t>(payload.size()), wire::Envelope::kHello, 0, 1) + payload);
  Frame frame;
  EXPECT_EQ(decoder.next(frame), Status::bad_frame);
  EXPECT_EQ(decoder.error(), DecodeError::type_mismatch);
}

TEST(Frame, EmptyPayloadIsTypeMismatch) {
  // A valid header with no payload: the Envelope has nothing set.
  FrameDecoder decoder;
  decoder.feed(header(0, wire::Envelope::kPing, 0, 1));
  Frame frame;
  EXPECT_EQ(decoder.next(frame), Status::bad_frame);
  EXPECT_EQ(decoder.error(), DecodeError::type_mismatch);
}

TEST(Frame, DecodePayloadChecksSize) {
  const std::string bytes = encode_frame(1, hello_envelope());
  FrameHeader h;
  ASSERT_EQ(decode_header(header_span(bytes), h), DecodeError::none);
  const auto* payload = reinterpret_cast<const std::uint8_t*>(bytes.data() + kHeaderSize);
  wire::Envelope env;
  EXPECT_EQ(decode_payload(h, {payload, h.payload_size}, env), DecodeError::none);
  EXPECT_TRUE(env.has_hello());
  EXPECT_EQ(decode_payload(h, {payload, h.payload_size - 1}, env), DecodeError::bad_payload);
}

TEST(Frame, ErrorIsSticky) {
  FrameDecoder decoder;
  decoder.feed(header(0, 0xFFFF, 0, 1));
  Frame frame;
  ASSERT_EQ(decoder.next(frame), Status::error);
  // Valid bytes after an error do not revive the stream.
  decoder.feed(encode_frame(2, hello_envelope()));
  EXPECT_EQ(decoder.next(frame), Status::error);
  EXPECT_EQ(decoder.error(), DecodeError::unknown_type);
}

TEST(Frame, ValidFrameThenGarbage) {
  std::string stream = encode_frame(1, hello_envelope()) + header(0, 0xFFFF, 0, 2);
  std::vector<Frame> frames;
  FrameDecoder decoder;
  EXPECT_EQ(decode_all(stream, frames, decoder), Status::error);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].body.has_hello());
}

TEST(Frame, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(rng() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    FrameDecoder decoder;
    decoder.feed(bytes);
    Frame frame;
    Status status;
    int frames = 0;
    while ((status = decoder.next(frame)) == Status::frame) ++frames;
    EXPECT_NE(status, Status::frame);
    // Buffered bytes never exceed what was fed.
    EXPECT_LE(decoder.buffered(), bytes.size());
  }
}

TEST(Frame, DecodeErrorTextIsDistinct) {
  const DecodeError all[] = {DecodeError::none,       DecodeError::unknown_type, DecodeError::bad_flags,
                             DecodeError::too_large,  DecodeError::bad_payload,  DecodeError::type_mismatch};
  for (std::size_t i = 0; i < std::size(all); ++i) {
    EXPECT_FALSE(decode_error_text(all[i]).empty());
    for (std::size_t j = i + 1; j < std::size(all); ++j) EXPECT_NE(decode_error_text(all[i]), decode_error_text(all[j]));
  }
}

TEST(ErrorCodeNames, StableLowerCaseNames) {
  EXPECT_EQ(error_code_name(ErrorCode::auth_failed), "auth_failed");
  EXPECT_EQ(error_code_name(ErrorCode::rate_limited), "rate_limited");
  EXPECT_EQ(error_code_name(ErrorCode::invalid_argument), "invalid_argument");
  EXPECT_EQ(error_code_from_wire(wire::UNAUTHENTICATED), ErrorCode::unauthenticated);
  EXPECT_EQ(error_code_from_wire(9999), ErrorCode::internal);
}

}  // namespace
}  // namespace occhat::proto

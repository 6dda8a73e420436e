#include <gtest/gtest.h>

#include "occhat/proto/frame.hpp"

// Replaced by the full codec suite (frame_test.cpp); keeps the unit target non-empty.
TEST(FrameSmoke, HelloRoundTrips) {
  occhat::wire::Envelope env;
  env.mutable_hello()->set_protocol_version(occhat::proto::kProtocolVersion);
  occhat::proto::FrameDecoder decoder;
  decoder.feed(occhat::proto::encode_frame(7, env));
  occhat::proto::Frame frame;
  ASSERT_EQ(decoder.next(frame), occhat::proto::FrameDecoder::Status::frame);
  EXPECT_EQ(frame.request_id, 7u);
  EXPECT_EQ(frame.body.hello().protocol_version(), occhat::proto::kProtocolVersion);
}

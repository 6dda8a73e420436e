// libFuzzer entry point: arbitrary bytes through the incremental frame decoder. Must never
// crash, hang or allocate beyond the caps, whatever the input.
#include <cstddef>
#include <cstdint>

#include "occhat/proto/frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  occhat::proto::FrameDecoder decoder;
  // Feed in two pieces to exercise the partial-frame path too.
  const std::size_t split = size / 2;
  decoder.feed({data, split});
  occhat::proto::Frame frame;
  while (decoder.next(frame) == occhat::proto::FrameDecoder::Status::frame) {
  }
  decoder.feed({data + split, size - split});
  while (decoder.next(frame) == occhat::proto::FrameDecoder::Status::frame) {
    // Re-encoding a decoded frame must succeed: the decoder accepted only valid envelopes.
    std::string again;
    if (!occhat::proto::encode_frame(frame.request_id, frame.body, again)) __builtin_trap();
  }
  return 0;
}

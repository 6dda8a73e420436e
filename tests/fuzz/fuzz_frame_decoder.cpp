// libFuzzer entry point: arbitrary bytes through the incremental frame decoder. Must never
// crash, hang or allocate beyond the caps, whatever the input.
#include <cstddef>
#include <cstdint>

#include "occhat/proto/frame.hpp"

namespace {

using Status = occhat::proto::FrameDecoder::Status;

// Decodes until the decoder wants more or gives up, skipping bad frames as the server does.
void drain(occhat::proto::FrameDecoder& decoder) {
  occhat::proto::Frame frame;
  for (;;) {
    const Status status = decoder.next(frame);
    if (status == Status::need_more || status == Status::error) return;
    if (status != Status::frame) continue;
    // Re-encoding a decoded frame must succeed: the decoder accepted only valid envelopes.
    std::string again;
    if (!occhat::proto::encode_frame(frame.request_id, frame.body, again)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // In two pieces to exercise the partial-frame path too: copied as the SDK feeds, then
  // borrowed as the server does.
  const std::size_t split = size / 2;
  occhat::proto::FrameDecoder copying;
  copying.feed({data, split});
  drain(copying);
  copying.feed({data + split, size - split});
  drain(copying);
  occhat::proto::FrameDecoder borrowing(4096);
  borrowing.feed_borrowed({data, split});
  drain(borrowing);
  borrowing.feed_borrowed({data + split, size - split});
  drain(borrowing);
  return 0;
}

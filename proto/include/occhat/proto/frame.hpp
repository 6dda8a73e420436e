#pragma once
// The occhat frame codec: bytes in, typed messages out. Pure (no I/O), never throws on bad
// input, and checks every announced size against a hard cap before allocating for it.
//
// A frame is a fixed 12-byte header followed by a protobuf-encoded wire::Envelope:
//
//   offset  size  field
//        0     4  payload_size  big-endian; bytes of payload after the header
//        4     2  type          big-endian; the number of the Envelope field that is set
//        6     2  flags         big-endian; must be 0 in protocol version 1
//        8     4  request_id    big-endian; echoed by the response; 0 marks a server push
//       12     n  payload       wire::Envelope with exactly the field `type` set
//
// Thread safety: all functions are reentrant; a FrameDecoder is not shared between threads.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "occhat/proto/occhat.pb.h"

namespace occhat::proto {

inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 12;
// Cap for ordinary (control) payloads.
inline constexpr std::uint32_t kMaxControlPayload = 64 * 1024;
// Cap for bulk payloads (file chunks): 1 MiB of data plus room for the message around it.
inline constexpr std::uint32_t kMaxBulkPayload = 1024 * 1024 + 4096;
// Request id 0 is reserved for server pushes.
inline constexpr std::uint32_t kPushRequestId = 0;

struct FrameHeader {
  std::uint32_t payload_size = 0;
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint32_t request_id = 0;
};

struct Frame {
  std::uint32_t request_id = 0;
  wire::Envelope body;
  bool is_push() const noexcept { return request_id == kPushRequestId; }
};

enum class DecodeError {
  none = 0,
  unknown_type,   // type is not a field of Envelope
  bad_flags,      // a flag bit this version does not know is set
  too_large,      // payload_size exceeds the cap for its type
  bad_payload,    // the payload is not a valid Envelope
  type_mismatch,  // the payload's set field differs from the header's type (or none is set)
};

std::string_view decode_error_text(DecodeError error) noexcept;

// The largest payload accepted for `type`, or 0 if `type` is not a known Envelope field.
std::uint32_t max_payload_for(std::uint16_t type) noexcept;

// Parses the fixed header and validates type, flags and the size cap. On failure `out` may be
// partly filled (request_id is valid whenever the 12 bytes were present).
DecodeError decode_header(std::span<const std::uint8_t, kHeaderSize> bytes, FrameHeader& out) noexcept;

// Parses a payload whose header already passed decode_header.
DecodeError decode_payload(const FrameHeader& header, std::span<const std::uint8_t> payload,
                           wire::Envelope& out) noexcept;

// Appends the 12-byte encoding of `header` to `out`, as given and unchecked: encode_frame's first
// step, and how tests and fuzz seeds write the invalid headers the decoder must refuse.
void encode_header(const FrameHeader& header, std::string& out);

// Appends one encoded frame to `out`. Returns false (appending nothing) if `body` has no field
// set or its encoding exceeds the cap of its type: a caller bug, never a peer's.
bool encode_frame(std::uint32_t request_id, const wire::Envelope& body, std::string& out);

// Convenience for tests and small callers: the encoded frame as a string (empty on failure).
std::string encode_frame(std::uint32_t request_id, const wire::Envelope& body);

// Incremental decoder over a byte stream: the one decoder of the server, the SDK and the fuzz
// targets. Feed bytes as they arrive; call next() until it returns need_more or error.
// - A frame whose header is invalid ends the stream (Status::error): its boundary is unknown.
// - A frame whose header is valid but whose payload is not (Status::bad_frame) is skipped; the
//   stream goes on. A server answers such a frame (e.g. a field that is not UTF-8) and keeps the
//   connection; a client treats it as fatal.
// Memory: buffers at most one header plus one capped payload beyond what was consumed. A buffer
// that grew beyond `keep_capacity` is freed once it is empty, so an idle stream that once carried
// a big frame holds no memory.
class FrameDecoder {
 public:
  enum class Status {
    frame,      // `out` holds the next frame
    need_more,  // every byte fed is consumed or kept: feed more
    bad_frame,  // the next frame's payload is invalid (error(), header(), bad_payload()); skipped
    error,      // the next frame's header is invalid (error(), header()): close the stream
  };

  explicit FrameDecoder(std::size_t keep_capacity = SIZE_MAX) noexcept : keep_capacity_(keep_capacity) {}

  // Copies `bytes` into the decoder.
  void feed(std::span<const std::uint8_t> bytes);
  void feed(std::string_view bytes);
  // Without a copy: frames are decoded where `bytes` are, which must stay valid and unchanged
  // until next() returned need_more or error (need_more keeps an incomplete tail in the
  // decoder's own buffer), or keep_borrowed() was called.
  void feed_borrowed(std::span<const std::uint8_t> bytes);
  // Copies the borrowed bytes not yet decoded into the decoder's own buffer, so the caller may
  // reuse them (e.g. before it suspends between two frames of one read).
  void keep_borrowed();

  // Payloads larger than `max_payload` (besides their type's cap) are too_large from now on;
  // SIZE_MAX lifts the limit. A server keeps frames small until the peer logged in.
  void limit_payload(std::size_t max_payload) noexcept { payload_limit_ = max_payload; }

  Status next(Frame& out);

  // Why the last next() returned bad_frame or error.
  DecodeError error() const noexcept { return error_; }
  // The header of the frame the last next() returned (after error: as far as it was decoded;
  // request_id is valid whenever its 12 bytes had arrived).
  const FrameHeader& header() const noexcept { return header_; }
  // The payload the last next() reported as bad_frame (empty otherwise); valid until the next call.
  std::span<const std::uint8_t> bad_payload() const noexcept {
    return {reinterpret_cast<const std::uint8_t*>(bad_payload_.data()), bad_payload_.size()};
  }
  // Bytes received but not yet returned as frames.
  std::size_t buffered() const noexcept { return borrowed_.size() + buffer_.size() - consumed_; }
  // Bytes of memory the decoder holds for its buffer.
  std::size_t capacity() const noexcept { return buffer_.capacity(); }

 private:
  std::span<const std::uint8_t> unconsumed() const noexcept;
  void consume(std::size_t bytes) noexcept;

  std::string buffer_;
  std::size_t consumed_ = 0;
  std::span<const std::uint8_t> borrowed_;  // non-empty only while buffer_ holds nothing unconsumed
  std::size_t keep_capacity_;
  std::size_t payload_limit_ = SIZE_MAX;
  FrameHeader header_;
  std::string bad_payload_;
  DecodeError error_ = DecodeError::none;
  bool broken_ = false;  // a header was invalid: the stream cannot be resynchronised
};

}  // namespace occhat::proto

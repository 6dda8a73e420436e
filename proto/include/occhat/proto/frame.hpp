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

// Incremental decoder over a byte stream. Feed bytes as they arrive; call next() until it
// stops returning Status::frame. After Status::error the stream is unusable (close it).
// Memory: buffers at most one header plus one capped payload beyond what was consumed.
class FrameDecoder {
 public:
  enum class Status { frame, need_more, error };

  void feed(std::span<const std::uint8_t> bytes);
  void feed(std::string_view bytes);
  Status next(Frame& out);

  DecodeError error() const noexcept { return error_; }
  // Bytes received but not yet returned as frames.
  std::size_t buffered() const noexcept { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  std::size_t consumed_ = 0;
  DecodeError error_ = DecodeError::none;
};

}  // namespace occhat::proto

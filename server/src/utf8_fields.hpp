#pragma once
// proto3 `string` fields must hold UTF-8, and protobuf's parser rejects a whole frame when one
// does not. A frame that is well-formed apart from that is a bad argument (rule 5: "nick ...
// valid UTF-8" -> INVALID_ARGUMENT), not a broken stream, so the session answers it without
// closing the connection. This finds the offending field.

#include <optional>
#include <span>
#include <string>

#include "occhat/proto/frame.hpp"

namespace occhat::server {

// For a payload that decode_payload() rejected: the name of a top-level string field of the
// request that is not valid UTF-8, if the payload is otherwise a well-formed single-field
// Envelope of the header's type. nullopt means the frame is genuinely malformed.
std::optional<std::string> invalid_utf8_field(const proto::FrameHeader& header, std::span<const std::uint8_t> payload);

}  // namespace occhat::server

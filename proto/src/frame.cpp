#include "occhat/proto/frame.hpp"

#include <google/protobuf/stubs/logging.h>

#include <array>
#include <limits>

namespace occhat::proto {
namespace {

// Envelope fields whose payload carries file data and so may use the bulk cap.
constexpr std::array<int, 2> kBulkTypes{wire::Envelope::kUploadChunk, wire::Envelope::kFileChunk};

std::uint32_t read_be32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::uint16_t read_be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

void append_be32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void append_be16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// Caps indexed by type, computed once from the schema so a new Envelope field is known to the
// codec without touching this file.
struct CapTable {
  static constexpr std::size_t kSize = 1024;
  std::array<std::uint32_t, kSize> cap{};

  CapTable() {
    const auto* descriptor = wire::Envelope::descriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const int number = descriptor->field(i)->number();
      if (number <= 0 || static_cast<std::size_t>(number) >= kSize) continue;
      cap[number] = kMaxControlPayload;
      for (int bulk : kBulkTypes) {
        if (bulk == number) cap[number] = kMaxBulkPayload;
      }
    }
  }
};

const CapTable& caps() {
  static const CapTable table;
  return table;
}

}  // namespace

std::string_view decode_error_text(DecodeError error) noexcept {
  switch (error) {
    case DecodeError::none: return "no error";
    case DecodeError::unknown_type: return "unknown frame type";
    case DecodeError::bad_flags: return "unknown frame flags";
    case DecodeError::too_large: return "frame larger than allowed for its type";
    case DecodeError::bad_payload: return "malformed frame payload";
    case DecodeError::type_mismatch: return "frame payload does not match its type";
  }
  return "unknown decode error";
}

std::uint32_t max_payload_for(std::uint16_t type) noexcept {
  if (type >= CapTable::kSize) return 0;
  return caps().cap[type];
}

DecodeError decode_header(std::span<const std::uint8_t, kHeaderSize> bytes, FrameHeader& out) noexcept {
  out.payload_size = read_be32(bytes.data());
  out.type = read_be16(bytes.data() + 4);
  out.flags = read_be16(bytes.data() + 6);
  out.request_id = read_be32(bytes.data() + 8);
  const std::uint32_t cap = max_payload_for(out.type);
  if (cap == 0) return DecodeError::unknown_type;
  if (out.flags != 0) return DecodeError::bad_flags;
  if (out.payload_size > cap) return DecodeError::too_large;
  return DecodeError::none;
}

DecodeError decode_payload(const FrameHeader& header, std::span<const std::uint8_t> payload,
                           wire::Envelope& out) noexcept {
  if (payload.size() != header.payload_size) return DecodeError::bad_payload;
  out.Clear();
  // A peer's string field with invalid UTF-8 would make libprotobuf write a line to stderr per
  // frame: log spam any client could cause on the server, and a second stderr line where the
  // CLI promises one. The decode error we return says all there is to say.
  const google::protobuf::LogSilencer quiet;
  if (!out.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return DecodeError::bad_payload;
  if (static_cast<int>(out.body_case()) != header.type) return DecodeError::type_mismatch;
  return DecodeError::none;
}

void encode_header(const FrameHeader& header, std::string& out) {
  append_be32(out, header.payload_size);
  append_be16(out, header.type);
  append_be16(out, header.flags);
  append_be32(out, header.request_id);
}

bool encode_frame(std::uint32_t request_id, const wire::Envelope& body, std::string& out) {
  const int type = static_cast<int>(body.body_case());
  if (type == 0 || type > std::numeric_limits<std::uint16_t>::max()) return false;
  const std::size_t size = body.ByteSizeLong();
  if (size > max_payload_for(static_cast<std::uint16_t>(type))) return false;
  const std::size_t start = out.size();
  out.reserve(start + kHeaderSize + size);
  encode_header({static_cast<std::uint32_t>(size), static_cast<std::uint16_t>(type), 0, request_id}, out);
  out.resize(start + kHeaderSize + size);
  if (!body.SerializeToArray(out.data() + start + kHeaderSize, static_cast<int>(size))) {
    out.resize(start);
    return false;
  }
  return true;
}

std::string encode_frame(std::uint32_t request_id, const wire::Envelope& body) {
  std::string out;
  encode_frame(request_id, body, out);
  return out;
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void FrameDecoder::feed(std::string_view bytes) {
  if (broken_) return;
  keep_borrowed();
  // Drop consumed bytes before growing so the buffer stays within one frame plus new input.
  if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

void FrameDecoder::feed_borrowed(std::span<const std::uint8_t> bytes) {
  if (broken_) return;
  keep_borrowed();
  if (buffer_.size() == consumed_) {
    borrowed_ = bytes;
  } else {
    feed(bytes);
  }
}

void FrameDecoder::keep_borrowed() {
  if (borrowed_.empty()) return;
  buffer_.assign(reinterpret_cast<const char*>(borrowed_.data()), borrowed_.size());
  consumed_ = 0;
  borrowed_ = {};
}

std::span<const std::uint8_t> FrameDecoder::unconsumed() const noexcept {
  if (!borrowed_.empty()) return borrowed_;
  return {reinterpret_cast<const std::uint8_t*>(buffer_.data()) + consumed_, buffer_.size() - consumed_};
}

void FrameDecoder::consume(std::size_t bytes) noexcept {
  if (!borrowed_.empty()) {
    borrowed_ = borrowed_.subspan(bytes);
    return;
  }
  consumed_ += bytes;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
    if (buffer_.capacity() > keep_capacity_) std::string().swap(buffer_);
  }
}

FrameDecoder::Status FrameDecoder::next(Frame& out) {
  if (broken_) return Status::error;
  error_ = DecodeError::none;
  if (!bad_payload_.empty()) std::string().swap(bad_payload_);
  const auto data = unconsumed();
  if (data.size() < kHeaderSize) {
    keep_borrowed();
    return Status::need_more;
  }
  header_ = FrameHeader{};
  error_ = decode_header(data.first<kHeaderSize>(), header_);
  if (error_ == DecodeError::none && header_.payload_size > payload_limit_) error_ = DecodeError::too_large;
  if (error_ != DecodeError::none) {
    broken_ = true;
    return Status::error;
  }
  if (data.size() - kHeaderSize < header_.payload_size) {
    keep_borrowed();
    return Status::need_more;
  }
  const auto payload = data.subspan(kHeaderSize, header_.payload_size);
  error_ = decode_payload(header_, payload, out.body);
  if (error_ != DecodeError::none) {
    bad_payload_.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
    consume(kHeaderSize + header_.payload_size);
    return Status::bad_frame;
  }
  out.request_id = header_.request_id;
  consume(kHeaderSize + header_.payload_size);
  return Status::frame;
}

}  // namespace occhat::proto

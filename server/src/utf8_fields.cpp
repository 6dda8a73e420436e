#include "utf8_fields.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/unknown_field_set.h>

#include "occhat/proto/utf8.hpp"

namespace occhat::server {

std::optional<std::string> invalid_utf8_field(const proto::FrameHeader& header, std::span<const std::uint8_t> payload) {
  using google::protobuf::FieldDescriptor;
  using google::protobuf::UnknownField;
  using google::protobuf::UnknownFieldSet;

  // Schema-less parse: checks the wire structure only, never UTF-8.
  UnknownFieldSet envelope;
  if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return std::nullopt;
  if (envelope.field_count() != 1 || envelope.field(0).number() != header.type ||
      envelope.field(0).type() != UnknownField::TYPE_LENGTH_DELIMITED) {
    return std::nullopt;
  }
  const FieldDescriptor* body = wire::Envelope::descriptor()->FindFieldByNumber(header.type);
  if (!body || body->type() != FieldDescriptor::TYPE_MESSAGE) return std::nullopt;

  UnknownFieldSet request;
  if (!request.ParseFromString(envelope.field(0).length_delimited())) return std::nullopt;
  for (int i = 0; i < request.field_count(); ++i) {
    const UnknownField& field = request.field(i);
    const FieldDescriptor* descriptor = body->message_type()->FindFieldByNumber(field.number());
    if (!descriptor || descriptor->type() != FieldDescriptor::TYPE_STRING ||
        field.type() != UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    if (!proto::is_valid_utf8(field.length_delimited())) return descriptor->name();
  }
  return std::nullopt;
}

}  // namespace occhat::server

#include "push_bus.hpp"

namespace occhat::server {

SharedFrame encode_push(const wire::Envelope& body) {
  auto frame = std::make_shared<std::string>();
  if (!proto::encode_frame(proto::kPushRequestId, body, *frame)) return nullptr;
  return frame;
}

}  // namespace occhat::server

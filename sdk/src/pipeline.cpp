#include "pipeline.hpp"

#include "convert.hpp"
#include "occhat/proto/frame.hpp"

namespace occhat::detail {

Pipeline::Pipeline(std::shared_ptr<Connection> conn, std::function<std::uint32_t()> next_request_id,
                   std::chrono::milliseconds timeout)
    : conn_(std::move(conn)), next_request_id_(std::move(next_request_id)), timeout_(timeout) {}

Pipeline::~Pipeline() { abandon(); }

void Pipeline::send(const wire::Envelope& request) {
  const std::uint32_t id = next_request_id_();
  std::string frame;
  if (!proto::encode_frame(id, request, frame)) {
    throw Error(ErrorCode::invalid_argument, body_name(request) + " is too large to send");
  }
  calls_.push_back(InFlight{id, body_name(request), conn_->pending().add(id)});
  conn_->send(std::move(frame));
}

wire::Envelope Pipeline::wait_oldest(wire::Envelope::BodyCase expected) { return wait_oldest(expected, timeout_); }

wire::Envelope Pipeline::wait_oldest(wire::Envelope::BodyCase expected, std::chrono::milliseconds timeout) {
  if (calls_.empty()) throw Error(ErrorCode::internal, "no request in flight");
  InFlight call = std::move(calls_.front());
  calls_.pop_front();
  // If remove() finds nothing, the answer (or a failure) won the race and is being delivered.
  if (call.answer.wait_for(timeout) != std::future_status::ready && conn_->pending().remove(call.id)) {
    throw Error(ErrorCode::timeout, "no answer to " + call.name + " from " + conn_->label() + " within " +
                                        std::to_string(timeout.count()) + " ms");
  }
  auto result = call.answer.get();
  if (auto* error = std::get_if<Error>(&result)) throw *error;
  auto& answer = std::get<wire::Envelope>(result);
  if (answer.has_error()) throw from_wire(answer.error());
  if (answer.body_case() != expected) {
    throw Error(ErrorCode::protocol_error,
                "server " + conn_->label() + " answered " + call.name + " with " + body_name(answer));
  }
  return std::move(answer);
}

void Pipeline::abandon() noexcept {
  for (const auto& call : calls_) conn_->pending().remove(call.id);
  calls_.clear();
}

wire::Envelope Pipeline::call(const wire::Envelope& request, wire::Envelope::BodyCase expected) {
  if (!calls_.empty()) throw Error(ErrorCode::internal, "call() with requests in flight");
  send(request);
  return wait_oldest(expected);
}

}  // namespace occhat::detail

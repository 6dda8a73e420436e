// Messages to friends and rooms: send, history ("room" instead of "to"/"peer" for a room).

#include "daemon/jsonrpc.hpp"
#include "daemon/method_handlers.hpp"
#include "event_format.hpp"
#include "occhat/proto/limits.hpp"
#include "result_json.hpp"

namespace occhat::cli::daemon::handlers {

Json send(Call& call) {
  const Destination to = call.params.destination("to");
  const std::string text = call.params.string("text");
  const std::string client_id = call.params.optional_string("client_id").value_or(std::string());
  call.params.finish();
  if (text.empty()) throw invalid_params("the message text is empty");
  // No pacing here (unlike `occhat send`): a rate_limited error carries retry_after_ms, and the
  // caller decides whether to wait.
  const SendResult sent = to.room != 0 ? call.client.send_room_message(to.room, text, client_id)
                                       : call.client.send_message(to.user, text, client_id);
  return send_result_json(sent, to);
}

Json history(Call& call) {
  const Destination peer = call.params.destination("peer");
  const auto limit = call.params.optional_uint("limit", 1, proto::kMaxHistoryLimit).value_or(proto::kDefaultHistoryLimit);
  const MessageId before = call.params.optional_uint("before", 1, UINT64_MAX).value_or(0);
  call.params.finish();
  const auto n = static_cast<std::uint32_t>(limit);
  const HistoryPage page = peer.room != 0 ? call.client.room_history(peer.room, n, before)
                                          : call.client.history(peer.user, n, before);
  Json messages = Json::array();
  for (const Message& m : page.messages) messages.push_back(message_json(m));
  return Json{{"messages", std::move(messages)}, {"more", page.more}};
}

}  // namespace occhat::cli::daemon::handlers

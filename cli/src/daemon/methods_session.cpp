// The daemon's own methods (hello, the event subscription) and the inbox.

#include "daemon/jsonrpc.hpp"
#include "daemon/method_handlers.hpp"
#include "event_format.hpp"
#include "occhat/proto/limits.hpp"

namespace occhat::cli::daemon::handlers {

Json hello(Call& call) {
  call.params.finish();
  Json json = hello_json(call.link);
  Json names = Json::array();
  for (const Method& m : methods()) names.push_back(m.name);
  json["methods"] = std::move(names);
  return json;
}

Json subscribe(Call& call) {
  call.params.finish();
  const std::size_t replayed = call.hub.subscribe(call.peer);
  return Json{{"subscribed", true}, {"replayed", replayed}};
}

Json unsubscribe(Call& call) {
  call.params.finish();
  call.hub.unsubscribe(call.peer);
  return Json{{"subscribed", false}};
}

Json ack(Call& call) {
  const Seq seq = call.params.uint("seq", 1, UINT64_MAX);
  call.params.finish();
  const Seq acked = call.hub.ack(seq, [&](Seq up_to) { call.client.ack(up_to); });
  return Json{{"acked", acked}};
}

Json inbox(Call& call) {
  const Seq after = call.params.optional_uint("after", 0, UINT64_MAX).value_or(0);
  const auto limit = call.params.optional_uint("limit", 1, proto::kMaxInboxFetchLimit).value_or(proto::kMaxInboxFetchLimit);
  call.params.finish();
  const InboxPage page = call.client.fetch_inbox(after, static_cast<std::uint32_t>(limit));
  Json events = Json::array();
  for (const Event& e : page.events) events.push_back(event_json(e));
  if (!page.events.empty()) call.hub.fetched(page.events.back().seq);
  return Json{{"events", std::move(events)}, {"more", page.more}};
}

}  // namespace occhat::cli::daemon::handlers

#include "inbox_handlers.hpp"

#include <fmt/format.h>

#include "log.hpp"
#include "occhat/proto/limits.hpp"
#include "request_error.hpp"
#include "server_context.hpp"
#include "session.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

constexpr std::uint32_t kMaxFetchLimit = proto::kMaxInboxFetchLimit;

}  // namespace

// Store jobs are named locals, never temporaries inside the co_await expression (g++ 12; see
// run_on.hpp).

asio::awaitable<wire::Envelope> handle_fetch_inbox(ServerContext& server, Session& session,
                                                   const wire::FetchInboxRequest& request) {
  const std::uint32_t me = session.user_id().value();
  const std::uint32_t limit = request.limit() == 0 ? kMaxFetchLimit : request.limit();
  if (limit > kMaxFetchLimit) throw RequestError(ErrorCode::invalid_argument, fmt::format("limit must be 1 to {}", kMaxFetchLimit));
  const std::uint64_t after = request.after_seq();
  auto fetch_job = [me, after, limit](store::Store& store) { return store.fetch_inbox(me, after, limit); };
  const store::InboxPage page = co_await server.store.run(std::move(fetch_job));
  wire::Envelope answer;
  auto* items = answer.mutable_inbox_items();
  const std::size_t end = pack_inbox_items(page.items, 0, page.items.size(), proto::kMaxControlPayload, *items);
  items->set_more(page.more || end < page.items.size());
  co_return answer;
}

asio::awaitable<wire::Envelope> handle_ack(ServerContext& server, Session& session, const wire::AckRequest& request) {
  const std::uint32_t me = session.user_id().value();
  const std::uint64_t up_to = request.up_to_seq();
  auto ack_job = [me, up_to](store::Store& store) { return store.ack(me, up_to); };
  const std::uint64_t acked = co_await server.store.run(std::move(ack_job));
  session.acknowledged(acked);
  wire::Envelope answer;
  answer.mutable_ok();
  co_return answer;
}

asio::awaitable<wire::Envelope> handle_subscribe(ServerContext&, Session& session,
                                                 const wire::SubscribeRequest& request) {
  const std::uint64_t after = request.after_seq();
  log_debug("conn {} user {} subscribed after seq {}", session.id(), session.user_id().value(), after);
  session.after_reply([&session, after] { session.subscribe(after); });
  wire::Envelope answer;
  answer.mutable_ok();
  co_return answer;
}

}  // namespace occhat::server

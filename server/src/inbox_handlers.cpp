#include "inbox_handlers.hpp"

#include <fmt/format.h>

#include "log.hpp"
#include "occhat/proto/limits.hpp"
#include "request_error.hpp"
#include "server_context.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

constexpr std::uint32_t kMaxFetchLimit = proto::kMaxInboxFetchLimit;

}  // namespace

// Store jobs are named locals, never temporaries inside the co_await expression (g++ 12; see
// run_on.hpp).

asio::awaitable<Reply> handle_fetch_inbox(ServerContext& server, const RequestContext& context,
                                          const wire::FetchInboxRequest& request) {
  const std::uint32_t me = context.user_id.value();
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

asio::awaitable<Reply> handle_ack(ServerContext& server, const RequestContext& context, const wire::AckRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint64_t up_to = request.up_to_seq();
  auto ack_job = [me, up_to](store::Store& store) { return store.ack(me, up_to); };
  const std::uint64_t acked = co_await server.store.run(std::move(ack_job));
  Reply reply;
  reply.body.mutable_ok();
  reply.effects.emplace_back(effect::Acknowledged{acked});
  co_return reply;
}

asio::awaitable<Reply> handle_subscribe(ServerContext& server, const RequestContext& context,
                                        const wire::SubscribeRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint64_t after = request.after_seq();
  log_debug("conn {} user {} subscribed after seq {}", context.connection_id, me, after);
  // Who is online is asked of the bus only when the effect registers the subscription (see
  // Session::subscribe), so no presence change falls between the snapshot and the stream.
  auto friends_job = [me](store::Store& store) { return store.friends(me); };
  std::vector<store::Friend> friends = co_await server.store.run(std::move(friends_job));
  Reply reply;
  reply.body.mutable_ok();
  reply.effects.emplace_back(effect::Subscribe{after, std::move(friends)});
  co_return reply;
}

}  // namespace occhat::server

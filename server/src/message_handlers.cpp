#include "message_handlers.hpp"

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "log.hpp"
#include "occhat/proto/limits.hpp"
#include "request_error.hpp"
#include "room_handlers.hpp"
#include "send_stages.hpp"
#include "server_context.hpp"
#include "validation.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

using proto::kDefaultHistoryLimit;
using proto::kMaxHistoryLimit;

}  // namespace

// Store jobs are named locals, never temporaries inside the co_await expression (g++ 12; see
// run_on.hpp).

asio::awaitable<Reply> handle_send_message(ServerContext& server, const RequestContext& context,
                                           const wire::SendMessageRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t to = request.to();
  if (auto wait = server.send_limiter.take(me, SendRateLimiter::Clock::now())) {
    throw RequestError(ErrorCode::rate_limited,
                       // Rounded up: "retry in 0.0 s" for a 48 ms wait would tell the user to retry too early.
                       fmt::format("too many messages; retry in {:.1f} s", std::ceil(static_cast<double>(wait->count()) / 100.0) / 10.0),
                       *wait);
  }
  server.cluster_limits.message_token_taken(me);  // the other nodes take it from their bucket too
  // Room sends count against the same per-user rate as 1:1 sends (taken above).
  if (request.room_id() != 0) co_return co_await handle_send_room_message(server, context, request);
  if (to == me) throw RequestError(ErrorCode::invalid_argument, "you cannot send a message to yourself");
  validate_message_text(request.text());
  validate_client_msg_id(request.client_msg_id());
  // Where the send's time goes (--metrics-listen): stamped here, in the job and at its commit.
  std::optional<SendTiming> timing;
  if (server.time_stages) {
    timing.emplace();
    timing->read = context.read_at;
    timing->handled = SendTiming::Clock::now();
  }
  SendTiming* const timed = timing ? &*timing : nullptr;
  // Views, not copies: the request outlives the job (its frame stays in the pipelined
  // request's coroutine until the answer is queued). `timed` lives in this coroutine's frame,
  // which waits for the job.
  auto send_job = [me, to, text = std::string_view(request.text()),
                   client_msg_id = std::string_view(request.client_msg_id()), timed](store::Store& store) {
    if (timed) timed->job_started = SendTiming::Clock::now();
    auto sent = store.send_message(me, to, text, client_msg_id);
    if (timed) timed->job_finished = SendTiming::Clock::now();
    return sent;
  };
  // Returns once committed with synchronous=FULL: the answer below means "durably stored". In
  // order with the sender's other sends, pipelined ones included (store_executor.hpp).
  store::SendResult result = co_await server.store.run_in_order(sender_order_key(me), std::move(send_job),
                                                                timed ? &timed->durable : nullptr);
  if (timed) timed->resumed = SendTiming::Clock::now();
  if (!result.duplicate) server.metrics.messages_stored.fetch_add(1, std::memory_order_relaxed);
  if (result.duplicate) {
    log_debug("user {} resent message {} (duplicate client id; nothing stored)", me, result.message_id);
  } else {
    // Never the text: only who, to whom and how much.
    log_debug("user {} sent message {} to user {} ({} bytes)", me, result.message_id, to, request.text().size());
  }
  Reply reply;
  auto* sent = reply.body.mutable_message_sent();
  sent->set_message_id(result.message_id);
  sent->set_time_ms(result.time_ms);
  sent->set_duplicate(result.duplicate);
  // The recipient's item and the sender's carbon (to every connection of the sender, this one
  // included: the SDK hands it to the application, which knows what it sent itself).
  if (result.item && result.carbon) {
    effect::DeliverMany deliver;
    deliver.items.reserve(2);
    deliver.items.push_back(std::move(*result.item));  // moved, not copied: text, nicks
    deliver.items.push_back(std::move(*result.carbon));
    deliver.timing = timing;
    reply.effects.emplace_back(std::move(deliver));
  }
  co_return reply;
}

asio::awaitable<Reply> handle_history(ServerContext& server, const RequestContext& context,
                                      const wire::HistoryRequest& request) {
  if (request.room_id() != 0) co_return co_await handle_room_history(server, context, request);
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t peer = request.peer();
  const std::uint32_t limit = history_limit(request.limit());
  const std::uint64_t before_id = request.before_id();
  auto history_job = [me, peer, limit, before_id](store::Store& store) {
    store::HistoryPage page = store.history(me, peer, limit, before_id);
    // The newest page is what a user reads when opening a conversation: it is read now.
    if (before_id == 0 && !page.messages.empty()) store.mark_read(me, peer, page.messages.back().id);
    return page;
  };
  co_return message_list_answer(co_await server.store.run(std::move(history_job)));
}

asio::awaitable<Reply> handle_mark_read(ServerContext& server, const RequestContext& context,
                                        const wire::MarkReadRequest& request) {
  const std::uint32_t me = context.user_id.value();
  if ((request.peer() == 0) == (request.room_id() == 0)) {
    throw RequestError(ErrorCode::invalid_argument, "mark_read needs exactly one of peer and room_id");
  }
  if (request.room_id() != 0 && request.room_id() < store::kMinRoomId) {
    throw RequestError(ErrorCode::invalid_argument, fmt::format("{} is not a room id", request.room_id()));
  }
  if (request.peer() >= store::kMinRoomId) {
    throw RequestError(ErrorCode::invalid_argument, fmt::format("{} is not a user id", request.peer()));
  }
  const std::uint32_t conversation = request.room_id() != 0 ? request.room_id() : request.peer();
  const std::uint64_t up_to = request.up_to_id();
  auto mark_job = [me, conversation, up_to](store::Store& store) { store.mark_read(me, conversation, up_to); };
  co_await server.store.run(std::move(mark_job));
  wire::Envelope answer;
  answer.mutable_ok();
  co_return answer;
}

}  // namespace occhat::server

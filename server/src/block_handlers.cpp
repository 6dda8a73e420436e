#include "block_handlers.hpp"

#include <fmt/format.h>

#include "log.hpp"
#include "request_error.hpp"
#include "server_context.hpp"

namespace occhat::server {

// Store jobs are named locals, never temporaries inside the co_await expression (g++ 12; see
// run_on.hpp).

asio::awaitable<Reply> handle_block_user(ServerContext& server, const RequestContext& context,
                                         const wire::BlockUserRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t other = request.user_id();
  if (other == me) throw RequestError(ErrorCode::invalid_argument, "you cannot block yourself");
  if (request.unblock()) {
    // Idempotent: lifting a block that is not there is fine too.
    auto unblock_job = [me, other](store::Store& store) { return store.unblock_user(me, other); };
    if (co_await server.store.run(std::move(unblock_job))) log_event("user {} unblocked user {}", me, other);
  } else {
    auto block_job = [me, other](store::Store& store) { store.block_user(me, other); };
    co_await server.store.run(std::move(block_job));
    log_event("user {} blocked user {}", me, other);
  }
  wire::Envelope answer;
  answer.mutable_ok();
  co_return answer;
}

asio::awaitable<Reply> handle_list_blocked(ServerContext& server, const RequestContext& context) {
  const std::uint32_t me = context.user_id.value();
  auto list_job = [me](store::Store& store) { return store.blocked_users(me); };
  const std::vector<store::User> users = co_await server.store.run(std::move(list_job));
  wire::Envelope answer;
  auto* list = answer.mutable_blocked_list();
  for (const auto& user : users) {
    auto* out = list->add_users();
    out->set_id(user.id);
    out->set_nick(user.nick);
  }
  co_return answer;
}

}  // namespace occhat::server

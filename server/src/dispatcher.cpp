#include "dispatcher.hpp"

#include <exception>

#include "account_handlers.hpp"
#include "account_settings_handlers.hpp"
#include "block_handlers.hpp"
#include "file_handlers.hpp"
#include "friend_handlers.hpp"
#include "inbox_handlers.hpp"
#include "log.hpp"
#include "message_handlers.hpp"
#include "occhat/store/store.hpp"
#include "request_error.hpp"
#include "room_handlers.hpp"
#include "server_context.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

constexpr const char* kServerName = "occhat-server/0.1.0";

using Case = wire::Envelope::BodyCase;

Reply error_reply(ErrorCode code, std::string_view message, std::chrono::milliseconds retry_after = {},
                  bool close = false) {
  Reply reply(error_body(code, message, retry_after));
  reply.close = close;
  return reply;
}

// Requests a connection may make before it has logged in.
bool allowed_before_login(Case body) {
  switch (body) {
    case Case::kHello:
    case Case::kPing:
    case Case::kRegisterRequest:
    case Case::kLoginRequest:
    case Case::kResumeRequest:
      return true;
    default:
      return false;
  }
}

// The hello's client name as the user's session list shows it: printable ASCII (anything else
// becomes '?', so the wire string stays valid UTF-8), at most 64 bytes.
std::string session_client_name(std::string_view name) {
  std::string out;
  for (const char c : name.substr(0, 64)) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte >= 0x7f ? '?' : c);
  }
  return out;
}

Reply hello(ServerContext& server, const RequestContext& context, const wire::Hello& request) {
  if (request.protocol_version() != proto::kProtocolVersion) {
    log_event("conn {} refused: protocol version {}", context.connection_id, request.protocol_version());
    return error_reply(ErrorCode::unsupported_version,
                       fmt::format("protocol version {} is not supported (this server speaks {})",
                                   request.protocol_version(), proto::kProtocolVersion),
                       {}, /*close=*/true);
  }
  log_event("conn {} hello from {}", context.connection_id, sanitize(request.client_name()));
  Reply reply;
  reply.effects.emplace_back(effect::HelloDone{session_client_name(request.client_name())});
  auto* ok = reply.body.mutable_hello_ok();
  ok->set_protocol_version(proto::kProtocolVersion);
  ok->set_server_name(kServerName);
  ok->set_max_payload(proto::kMaxControlPayload);
  ok->set_max_bulk_payload(proto::kMaxBulkPayload);
  ok->set_idle_timeout_ms(static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(server.idle_timeout).count()));
  return reply;
}

asio::awaitable<Reply> route(ServerContext& server, const RequestContext& context, const wire::Envelope& request) {
  switch (request.body_case()) {
    case Case::kPing: {
      Reply pong;
      pong.body.mutable_pong();
      co_return pong;
    }
    case Case::kRegisterRequest: co_return co_await handle_register(server, context, request.register_request());
    case Case::kLoginRequest: co_return co_await handle_login(server, context, request.login_request());
    case Case::kResumeRequest: co_return co_await handle_resume(server, context, request.resume_request());
    case Case::kLogoutRequest: co_return co_await handle_logout(server, context, request.logout_request());
    case Case::kFindUsersRequest: co_return co_await handle_find_users(server, context, request.find_users_request());
    case Case::kChangePasswordRequest:
      co_return co_await handle_change_password(server, context, request.change_password_request());
    case Case::kUpdateProfileRequest:
      co_return co_await handle_update_profile(server, context, request.update_profile_request());
    case Case::kListSessionsRequest: co_return co_await handle_list_sessions(server, context);
    case Case::kDeleteAccountRequest:
      co_return co_await handle_delete_account(server, context, request.delete_account_request());
    case Case::kFindUserRequest: co_return co_await handle_find_user(server, context, request.find_user_request());
    case Case::kAddFriendRequest: co_return co_await handle_add_friend(server, context, request.add_friend_request());
    case Case::kRemoveFriendRequest: co_return co_await handle_remove_friend(server, context, request.remove_friend_request());
    case Case::kListFriendsRequest: co_return co_await handle_list_friends(server, context);
    case Case::kListFriendRequestsRequest: co_return co_await handle_list_friend_requests(server, context);
    case Case::kSendMessageRequest: co_return co_await handle_send_message(server, context, request.send_message_request());
    case Case::kCreateRoomRequest: co_return co_await handle_create_room(server, context, request.create_room_request());
    case Case::kRoomChangeRequest: co_return co_await handle_room_change(server, context, request.room_change_request());
    case Case::kListRoomsRequest: co_return co_await handle_list_rooms(server, context);
    case Case::kListRoomMembersRequest:
      co_return co_await handle_list_room_members(server, context, request.list_room_members_request());
    case Case::kBlockUserRequest: co_return co_await handle_block_user(server, context, request.block_user_request());
    case Case::kListBlockedRequest: co_return co_await handle_list_blocked(server, context);
    case Case::kFetchInboxRequest: co_return co_await handle_fetch_inbox(server, context, request.fetch_inbox_request());
    case Case::kAckRequest: co_return co_await handle_ack(server, context, request.ack_request());
    case Case::kSubscribeRequest: co_return co_await handle_subscribe(server, context, request.subscribe_request());
    case Case::kHistoryRequest: co_return co_await handle_history(server, context, request.history_request());
    case Case::kMarkReadRequest: co_return co_await handle_mark_read(server, context, request.mark_read_request());
    case Case::kBeginUploadRequest: co_return co_await handle_begin_upload(server, context, request.begin_upload_request());
    case Case::kUploadChunk: co_return co_await handle_upload_chunk(server, context, request.upload_chunk());
    case Case::kFinishUploadRequest: co_return co_await handle_finish_upload(server, context, request.finish_upload_request());
    case Case::kListFilesRequest: co_return co_await handle_list_files(server, context, request.list_files_request());
    case Case::kGetFileRequest: co_return co_await handle_get_file(server, context, request.get_file_request());
    case Case::kReadFileRequest: co_return co_await handle_read_file(server, context, request.read_file_request());
    case Case::kCancelUploadRequest: co_return co_await handle_cancel_upload(server, context, request.cancel_upload_request());
    default:
      // A well-formed frame that is not a request (e.g. a client sending `pong`): the peer does
      // not speak our protocol.
      throw RequestError(ErrorCode::protocol_error, "not a request");
  }
}

// Every answer dispatch() gives, counted by request type and result code (metrics).
void count_answer(ServerMetrics& metrics, Case body, const Reply& reply) {
  const int code = reply.body.has_error() ? static_cast<int>(reply.body.error().code()) : 0;
  metrics.requests.count(static_cast<int>(body), code);
  if (code == static_cast<int>(ErrorCode::rate_limited)) metrics.rate_limited.fetch_add(1, std::memory_order_relaxed);
}

asio::awaitable<Reply> answer(ServerContext& server, const RequestContext& context, const wire::Envelope& request) {
  const Case body = request.body_case();
  if (!context.hello_done) {
    if (body != Case::kHello) {
      log_event("conn {} protocol error: first frame is not hello", context.connection_id);
      co_return error_reply(ErrorCode::protocol_error, "the first frame must be hello", {}, true);
    }
    co_return hello(server, context, request.hello());
  }
  if (body == Case::kHello) {
    log_event("conn {} protocol error: second hello", context.connection_id);
    co_return error_reply(ErrorCode::protocol_error, "hello was already received", {}, true);
  }
  if (!context.user_id && !allowed_before_login(body)) {
    co_return error_reply(ErrorCode::unauthenticated, "not logged in");
  }
  // Errors are turned into replies outside the catch blocks (no co_await is allowed in them).
  std::exception_ptr failure;
  try {
    co_return co_await route(server, context, request);
  } catch (...) {
    failure = std::current_exception();
  }
  try {
    std::rethrow_exception(failure);
  } catch (const RequestError& e) {
    if (e.code() == ErrorCode::protocol_error) {
      log_event("conn {} protocol error: {}", context.connection_id, e.what());
      co_return error_reply(e.code(), e.what(), {}, /*close=*/true);
    }
    co_return error_reply(e.code(), e.what(), e.retry_after());
  } catch (const store::StoreError& e) {
    log_event("conn {} store error: {}", context.connection_id, e.what());
    if (e.code() == ErrorCode::internal) co_return error_reply(ErrorCode::internal, "storage failure");
    co_return error_reply(e.code(), e.what());
  } catch (const std::exception& e) {
    log_event("conn {} internal error: {}", context.connection_id, e.what());
    co_return error_reply(ErrorCode::internal, "internal server error");
  } catch (...) {
    log_event("conn {} internal error: unknown exception", context.connection_id);
    co_return error_reply(ErrorCode::internal, "internal server error");
  }
}

}  // namespace

asio::awaitable<Reply> dispatch(ServerContext& server, RequestContext context, const wire::Envelope& request) {
  Reply reply = co_await answer(server, context, request);
  count_answer(server.metrics, request.body_case(), reply);
  co_return reply;
}

}  // namespace occhat::server

#include "account_settings_handlers.hpp"

#include <fmt/format.h>

#include "credentials.hpp"
#include "file_storage.hpp"
#include "log.hpp"
#include "request_error.hpp"
#include "run_on.hpp"
#include "server_context.hpp"
#include "session_ids.hpp"
#include "validation.hpp"

namespace occhat::server {
namespace {

// Store and crypto jobs are named locals, never temporaries inside the co_await expression
// (g++ 12; see run_on.hpp).

// Checks the user's current password as a login would, under the same throttle: a stolen token
// must not become a way to guess the password. Throws AUTH_FAILED or RATE_LIMITED.
asio::awaitable<void> require_password(ServerContext& server, const RequestContext& context,
                                       const std::string& password) {
  const std::uint32_t me = context.user_id.value();
  const std::string peer_address(context.peer_address);
  if (const auto wait = server.throttle.retry_after(me, peer_address); wait.count() > 0) {
    throw RequestError(ErrorCode::rate_limited,
                       fmt::format("too many wrong passwords; retry in {} s", (wait.count() + 999) / 1000), wait);
  }
  LoginThrottle::Attempt attempt(server.throttle, me, peer_address);
  auto lookup_job = [me](store::Store& store) { return store.password_hash(me); };
  const auto stored_hash = co_await server.store.run(std::move(lookup_job));
  auto verify_job = [hash = stored_hash.value_or(server.dummy_hash), password] { return verify_password(hash, password); };
  const bool verified = co_await run_on(server.crypto.get_executor(), std::move(verify_job));
  if (!stored_hash || !verified) {
    attempt.failed();
    log_event("conn {} wrong password for user {}", context.connection_id, me);
    throw RequestError(ErrorCode::auth_failed, "wrong password");
  }
  attempt.succeeded();
}

}  // namespace

asio::awaitable<Reply> handle_change_password(ServerContext& server, const RequestContext& context,
                                              const wire::ChangePasswordRequest& request) {
  const std::uint32_t me = context.user_id.value();
  validate_password(request.new_password());
  co_await require_password(server, context, request.current_password());
  auto hash_job = [password = request.new_password()] { return hash_password(password); };
  std::string hash = co_await run_on(server.crypto.get_executor(), std::move(hash_job));
  const auto keep = context.token_hash;
  auto store_job = [me, hash = std::move(hash), keep](store::Store& store) {
    if (!store.set_password_hash(me, hash)) throw store::StoreError(ErrorCode::not_found, "your account is gone");
    return store.delete_sessions(me, keep);
  };
  const std::uint32_t revoked = co_await server.store.run(std::move(store_job));
  log_event("conn {} user {} changed the password ({} other sessions revoked)", context.connection_id, me, revoked);
  Reply reply;
  reply.body.mutable_ok();
  reply.effects.emplace_back(effect::RevokeUserSessions{me, keep, "session revoked: the password was changed"});
  co_return reply;
}

asio::awaitable<Reply> handle_update_profile(ServerContext& server, const RequestContext& context,
                                             const wire::UpdateProfileRequest& request) {
  const std::uint32_t me = context.user_id.value();
  if (request.has_nick()) validate_nick(request.nick());
  std::optional<std::string> nick;
  if (request.has_nick()) nick = request.nick();
  std::optional<bool> discoverable;
  if (request.has_discoverable()) discoverable = request.discoverable();
  auto update_job = [me, nick, discoverable](store::Store& store) {
    if (nick) store.set_nick(me, *nick);
    if (discoverable) store.set_discoverable(me, *discoverable);
    return store.find_user(me);
  };
  const auto user = co_await server.store.run(std::move(update_job));
  if (!user) throw RequestError(ErrorCode::not_found, "your account is gone");
  log_event("conn {} user {} updated the profile", context.connection_id, me);
  wire::Envelope answer;
  auto* out = answer.mutable_user_info();
  out->set_id(user->id);
  out->set_nick(user->nick);
  out->set_email(user->email);
  out->set_discoverable(user->discoverable);
  co_return answer;
}

asio::awaitable<Reply> handle_list_sessions(ServerContext& server, const RequestContext& context) {
  const std::uint32_t me = context.user_id.value();
  auto list_job = [me](store::Store& store) { return store.sessions(me); };
  const std::vector<store::SessionRecord> sessions = co_await server.store.run(std::move(list_job));
  wire::Envelope answer;
  auto* list = answer.mutable_session_list();
  for (const auto& session : sessions) {
    auto* out = list->add_sessions();
    out->set_id(session_id(session.token_hash));
    out->set_client_name(session.client_name);
    out->set_last_address(session.last_address);
    out->set_created_ms(session.created_at * 1000);
    out->set_last_seen_ms(session.last_used_at * 1000);
    out->set_current(context.token_hash == session.token_hash);
  }
  co_return answer;
}

asio::awaitable<Reply> handle_delete_account(ServerContext& server, const RequestContext& context,
                                             const wire::DeleteAccountRequest& request) {
  const std::uint32_t me = context.user_id.value();
  co_await require_password(server, context, request.password());
  auto delete_job = [me](store::Store& store) { return store.delete_user(me); };
  store::DeletedUser deleted = co_await server.store.run(std::move(delete_job));
  log_event("conn {} user {} deleted the account", context.connection_id, me);
  if (!deleted.removed_files.empty() || !deleted.removed_uploads.empty()) {
    for (const std::uint64_t id : deleted.removed_uploads) server.reservations.erase(id);
    FileStorage* files = server.files;
    auto remove_job = [files, removed_files = deleted.removed_files, removed_uploads = deleted.removed_uploads] {
      for (const std::uint64_t id : removed_files) files->remove_published(id);
      for (const std::uint64_t id : removed_uploads) files->remove_part(id);
    };
    co_await run_on(server.file_io, std::move(remove_job));
  }
  Reply reply;
  reply.body.mutable_ok();
  if (!deleted.items.empty()) reply.effects.emplace_back(effect::DeliverMany{std::move(deleted.items), {}});
  reply.effects.emplace_back(effect::RevokeUserSessions{me, std::nullopt, "session revoked: the account was deleted"});
  reply.effects.emplace_back(effect::LogOut{});
  co_return reply;
}

}  // namespace occhat::server

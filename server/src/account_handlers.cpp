#include "account_handlers.hpp"

#include <fmt/format.h>

#include "credentials.hpp"
#include "log.hpp"
#include "request_error.hpp"
#include "run_on.hpp"
#include "server_context.hpp"
#include "user_ids.hpp"
#include "validation.hpp"

namespace occhat::server {
namespace {

const char* kWrongCredentials = "wrong id or password";
const char* kBadToken = "session token is not valid (log in again)";

void fill_user(wire::UserInfo& out, const store::User& user, bool own) {
  out.set_id(user.id);
  out.set_nick(user.nick);
  if (own) out.set_email(user.email);
}

}  // namespace

// Every job handed to run_on()/StoreExecutor::run() is a named local, never a temporary inside
// the co_await expression: g++ 12 relocates such temporaries bitwise, which corrupts captured
// std::strings (seen as a double free).

asio::awaitable<Reply> handle_register(ServerContext& server, const RequestContext& context,
                                       const wire::RegisterRequest& request) {
  validate_email(request.email());
  validate_nick(request.nick());
  validate_password(request.password());
  auto hash_job = [password = request.password()] { return hash_password(password); };
  std::string hash = co_await run_on(server.crypto.get_executor(), std::move(hash_job));
  auto insert_job = [email = request.email(), nick = request.nick(), hash = std::move(hash)](store::Store& store) {
    return create_user_with_new_id(store, email, nick, hash);
  };
  const auto id = co_await server.store.run(std::move(insert_job));
  log_event("conn {} registered user {}", context.connection_id, id);
  wire::Envelope answer;
  answer.mutable_register_response()->set_user_id(id);
  co_return answer;
}

asio::awaitable<Reply> handle_login(ServerContext& server, const RequestContext& context,
                                    const wire::LoginRequest& request) {
  const std::uint32_t id = request.user_id();
  const std::string peer_address(context.peer_address);
  if (const auto wait = server.throttle.retry_after(id, peer_address); wait.count() > 0) {
    const auto seconds = (wait.count() + 999) / 1000;
    log_event("conn {} login for user {} throttled ({} s left)", context.connection_id, id, seconds);
    throw RequestError(ErrorCode::rate_limited, fmt::format("too many failed logins; retry in {} s", seconds), wait);
  }
  LoginThrottle::Attempt attempt(server.throttle, id, peer_address);

  auto lookup_job = [id](store::Store& store) { return store.password_hash(id); };
  const auto stored_hash = co_await server.store.run(std::move(lookup_job));
  // An unknown id still pays for a full verification, so timing does not reveal which ids exist.
  auto verify_job = [hash = stored_hash.value_or(server.dummy_hash), password = request.password()] {
    return verify_password(hash, password);
  };
  const bool verified = co_await run_on(server.crypto.get_executor(), std::move(verify_job));
  if (!stored_hash || !verified) {
    attempt.failed();
    log_event("conn {} login failed for user {} from {}", context.connection_id, id, context.peer_address);
    throw RequestError(ErrorCode::auth_failed, kWrongCredentials);
  }

  std::string token = new_token();
  const auto token_hash = occhat::server::token_hash(token).value();
  auto session_job = [id, token_hash](store::Store& store) {
    store.create_session(id, token_hash);
    return store.find_user(id);
  };
  const auto user = co_await server.store.run(std::move(session_job));
  if (!user) throw RequestError(ErrorCode::auth_failed, kWrongCredentials);  // deleted meanwhile
  attempt.succeeded();
  log_event("conn {} logged in as user {}", context.connection_id, id);

  Reply reply;
  auto* ok = reply.body.mutable_login_ok();
  fill_user(*ok->mutable_user(), *user, true);
  ok->set_token(std::move(token));
  reply.effects.emplace_back(effect::LogIn{id, token_hash, request.announce_presence()});
  co_return reply;
}

asio::awaitable<Reply> handle_resume(ServerContext& server, const RequestContext& context,
                                     const wire::ResumeRequest& request) {
  const auto hash = token_hash(request.token());
  if (!hash) throw RequestError(ErrorCode::unauthenticated, kBadToken);
  auto resume_job = [hash = *hash](store::Store& store) -> std::optional<store::User> {
    const auto user_id = store.user_for_session(hash);
    if (!user_id) return std::nullopt;
    return store.find_user(*user_id);
  };
  const auto user = co_await server.store.run(std::move(resume_job));
  if (!user) throw RequestError(ErrorCode::unauthenticated, kBadToken);
  log_event("conn {} resumed session of user {}", context.connection_id, user->id);

  Reply reply;
  auto* ok = reply.body.mutable_login_ok();
  fill_user(*ok->mutable_user(), *user, true);
  ok->set_token(request.token());
  reply.effects.emplace_back(effect::LogIn{user->id, *hash, request.announce_presence()});
  co_return reply;
}

asio::awaitable<Reply> handle_logout(ServerContext& server, const RequestContext& context) {
  const auto user_id = context.user_id;
  const auto hash = context.token_hash;
  if (hash) {
    auto revoke_job = [hash = *hash](store::Store& store) { return store.delete_session(hash); };
    co_await server.store.run(std::move(revoke_job));
  }
  log_event("conn {} user {} logged out", context.connection_id, user_id.value_or(0));
  Reply reply;
  reply.body.mutable_ok();
  // Every other connection that used this token loses it too: a user who logs out because the
  // token leaked must cut off whoever holds it.
  if (user_id && hash) reply.effects.emplace_back(effect::RevokeToken{*user_id, *hash});
  reply.effects.emplace_back(effect::LogOut{});
  co_return reply;
}

asio::awaitable<Reply> handle_find_user(ServerContext& server, const RequestContext& context,
                                        const wire::FindUserRequest& request) {
  const std::uint32_t id = request.user_id();
  auto find_job = [id](store::Store& store) { return store.find_user(id); };
  const auto user = co_await server.store.run(std::move(find_job));
  if (!user) throw RequestError(ErrorCode::not_found, fmt::format("no user with id {}", id));
  wire::Envelope answer;
  // The email is private: only its owner sees it.
  fill_user(*answer.mutable_user_info(), *user, context.user_id == id);
  co_return answer;
}

}  // namespace occhat::server

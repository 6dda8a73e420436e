#include "account_handlers.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "credentials.hpp"
#include "log.hpp"
#include "occhat/proto/limits.hpp"
#include "session_ids.hpp"
#include "request_error.hpp"
#include "run_on.hpp"
#include "server_context.hpp"
#include "user_ids.hpp"
#include "validation.hpp"

namespace occhat::server {
namespace {

using namespace std::chrono_literals;

const char* kWrongCredentials = "wrong id or password";
const char* kBadToken = "session token is not valid (log in again)";

void fill_user(wire::UserInfo& out, const store::User& user, bool own) {
  out.set_id(user.id);
  out.set_nick(user.nick);
  if (own) {
    out.set_email(user.email);
    out.set_discoverable(user.discoverable);
  }
}

// A session revoked by a login that presented its token.
struct RevokedSession {
  std::uint32_t user_id = 0;
  store::TokenHash hash{};
};

// What a login's store job did.
struct SessionStart {
  std::optional<store::User> user;  // nullopt: deleted meanwhile
  std::vector<RevokedSession> revoked;
  bool hash_upgraded = false;  // a legacy password hash was replaced by a normal one
};

// Registrations waiting for or in their hash. They have a thread of their own (server.cpp), so
// logins never wait behind them; this bound keeps their queue short, so an honest registration
// during a flood gets a prompt "retry in 2 s" rather than an answer minutes later, and memory
// stays small. Beyond it: RATE_LIMITED (kBusyRetry), no token of the rate limits is taken.
constexpr std::size_t kMaxPendingRegistrations = 8;
constexpr std::chrono::milliseconds kBusyRetry = 2s;

// "0.4 s", "12 s", "3 min": rounded up, so the user never retries too early.
std::string retry_text(std::chrono::milliseconds wait) {
  const auto ms = wait.count();
  if (ms < 10'000) return fmt::format("{:.1f} s", std::ceil(static_cast<double>(ms) / 100.0) / 10.0);
  if (ms < 120'000) return fmt::format("{} s", (ms + 999) / 1000);
  return fmt::format("{} min", (ms + 59'999) / 60'000);
}

// Registrations are limited per client address and across the server (token buckets,
// --register-rate-per-address / --register-rate) and by kMaxPendingRegistrations, all before any
// hashing: each costs an argon2id hash (64 MiB, a core for ~0.1 s) and takes a user id for good.
// A refused attempt takes no token. Throws RATE_LIMITED with the time to wait.
void admit_registration(ServerContext& server, const RequestContext& context) {
  const auto now = GlobalRateLimiter::Clock::now();
  const std::string address(context.peer_address);
  const auto address_wait = server.register_per_address.wait(address, now);
  const auto global_wait = server.register_global.wait({}, now);
  if (address_wait.count() > 0 && address_wait >= global_wait) {
    log_event("conn {} registration from {} refused: address rate limit", context.connection_id,
              context.peer_address);
    throw RequestError(ErrorCode::rate_limited,
                       fmt::format("too many registrations from your address; retry in {}", retry_text(address_wait)),
                       address_wait);
  }
  if (global_wait.count() > 0) {
    log_event("conn {} registration refused: server-wide rate limit", context.connection_id);
    throw RequestError(ErrorCode::rate_limited,
                       fmt::format("the server takes no more registrations right now; retry in {}",
                                   retry_text(global_wait)),
                       global_wait);
  }
  if (server.pending_registrations >= kMaxPendingRegistrations) {
    throw RequestError(ErrorCode::rate_limited,
                       fmt::format("the server is busy with registrations; retry in {}", retry_text(kBusyRetry)),
                       kBusyRetry);
  }
  // Both have a token (checked above), so neither take() refuses.
  server.register_per_address.take(address, now);
  server.register_global.take({}, now);
}

// Counts a registration as pending while it waits for and runs its hash.
class PendingRegistration {
 public:
  explicit PendingRegistration(ServerContext& server) : server_(server) { ++server_.pending_registrations; }
  ~PendingRegistration() { --server_.pending_registrations; }
  PendingRegistration(const PendingRegistration&) = delete;
  PendingRegistration& operator=(const PendingRegistration&) = delete;

 private:
  ServerContext& server_;
};

// logout --all: every session of the user goes, and every live connection of them is closed
// (this one is only logged out).
asio::awaitable<Reply> logout_everywhere(ServerContext& server, const RequestContext& context) {
  const std::uint32_t me = context.user_id.value();
  auto revoke_job = [me](store::Store& store) { return store.delete_sessions(me, std::nullopt); };
  const std::uint32_t count = co_await server.store.run(std::move(revoke_job));
  log_event("conn {} user {} logged out everywhere ({} sessions)", context.connection_id, me, count);
  Reply reply;
  reply.body.mutable_ok();
  reply.effects.emplace_back(effect::RevokeUserSessions{me, std::nullopt, "session revoked: logged out everywhere"});
  reply.effects.emplace_back(effect::LogOut{});
  co_return reply;
}

// logout --session ID: ends the user's session with that id (only the user's own).
asio::awaitable<Reply> end_session(ServerContext& server, const RequestContext& context, const std::string& id) {
  const std::uint32_t me = context.user_id.value();
  auto end_job = [me, id](store::Store& store) -> std::optional<store::TokenHash> {
    for (const auto& session : store.sessions(me)) {
      if (session_id(session.token_hash) == id && store.delete_session(session.token_hash)) return session.token_hash;
    }
    return std::nullopt;
  };
  const auto ended = co_await server.store.run(std::move(end_job));
  if (!ended) throw RequestError(ErrorCode::not_found, fmt::format("you have no session {}", sanitize(id, 16)));
  log_event("conn {} user {} ended session {}", context.connection_id, me, id);
  Reply reply;
  reply.body.mutable_ok();
  reply.effects.emplace_back(effect::RevokeToken{me, *ended, "session revoked: ended from another session"});
  if (ended == context.token_hash) reply.effects.emplace_back(effect::LogOut{});
  co_return reply;
}

}  // namespace

// Every job handed to run_on()/StoreExecutor::run() is a named local, never a temporary inside
// the co_await expression: g++ 12 relocates such temporaries bitwise, which corrupts captured
// std::strings (seen as a double free).

asio::awaitable<Reply> handle_register(ServerContext& server, const RequestContext& context,
                                       const wire::RegisterRequest& request) {
  // First, so a closed server spends nothing on registrations and says so whatever was sent.
  if (!server.registration_open) {
    throw RequestError(ErrorCode::not_allowed, "registration is closed on this server");
  }
  validate_email(request.email());
  validate_nick(request.nick());
  validate_password(request.password());
  admit_registration(server, context);
  std::string hash;
  {
    PendingRegistration pending(server);
    auto hash_job = [password = request.password()] { return hash_password(password); };
    // Not server.crypto: that pool verifies logins, which must not queue behind registrations.
    asio::any_io_executor hashing = server.registration_crypto;
    if (!hashing) hashing = server.crypto.get_executor();
    hash = co_await run_on(std::move(hashing), std::move(hash_job));
  }
  auto insert_job = [email = request.email(), nick = request.nick(), hash = std::move(hash)](store::Store& store) {
    return create_user_with_new_id(store, email, nick, hash);
  };
  const NewUser created = co_await server.store.run(std::move(insert_job));
  const auto id = created.id;
  log_event("conn {} registered user {}", context.connection_id, id);
  if (const int percent = server.id_space_watch.observe(created.users)) {
    log_event("{}", id_space_warning(percent, created.users, server.id_space_watch.size()));
  }
  wire::Envelope answer;
  answer.mutable_register_response()->set_user_id(id);
  co_return answer;
}

asio::awaitable<Reply> handle_login(ServerContext& server, const RequestContext& context,
                                    const wire::LoginRequest& request) {
  const std::uint32_t id = request.user_id();
  const std::string peer_address(context.peer_address);
  if (static_cast<std::size_t>(request.revoke_tokens_size()) > proto::kMaxRevokeTokens) {
    throw RequestError(ErrorCode::invalid_argument,
                       fmt::format("at most {} tokens to revoke per login", proto::kMaxRevokeTokens));
  }
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
  // A legacy hash (imported from PyChat) is replaced by a normal one now that the plain password
  // is known, so the MD5 step is gone after the first login. If that hash cannot be computed the
  // login still succeeds and the next one tries again.
  std::optional<std::string> upgraded_hash;
  if (needs_rehash(*stored_hash)) {
    auto rehash_job = [password = request.password()]() -> std::optional<std::string> {
      try {
        return hash_password(password);
      } catch (const RequestError&) {
        return std::nullopt;
      }
    };
    upgraded_hash = co_await run_on(server.crypto.get_executor(), std::move(rehash_job));
  }

  std::string token = new_token();
  const auto token_hash = occhat::server::token_hash(token).value();
  // Tokens the client gave up while it could not tell the server: whoever holds a token may end
  // its session (as logout does), whosever it is. Malformed ones cannot name a session.
  std::vector<store::TokenHash> to_revoke;
  for (const auto& old_token : request.revoke_tokens()) {
    if (const auto hash = occhat::server::token_hash(old_token)) to_revoke.push_back(*hash);
  }
  store::SessionOrigin origin{std::string(context.client_name), peer_address};
  auto session_job = [id, token_hash, origin = std::move(origin), to_revoke = std::move(to_revoke),
                      verified_hash = *stored_hash, upgraded_hash = std::move(upgraded_hash)](store::Store& store) {
    // Only after the password: a disabled account is not revealed to someone guessing.
    if (store.user_disabled(id)) {
      throw RequestError(ErrorCode::auth_failed, "this account is disabled (ask the server's operator)");
    }
    SessionStart started;
    // Only if the hash is still the one just verified: a password changed meanwhile stays.
    if (upgraded_hash && store.password_hash(id) == verified_hash) {
      started.hash_upgraded = store.set_password_hash(id, *upgraded_hash);
    }
    store.create_session(id, token_hash, origin);
    for (const auto& hash : to_revoke) {
      const auto owner = store.user_for_session(hash);
      if (owner && store.delete_session(hash)) started.revoked.push_back({*owner, hash});
    }
    started.user = store.find_user(id);
    return started;
  };
  const auto [user, revoked, hash_upgraded] = co_await server.store.run(std::move(session_job));
  if (!user) throw RequestError(ErrorCode::auth_failed, kWrongCredentials);  // deleted meanwhile
  attempt.succeeded();
  log_event("conn {} logged in as user {}", context.connection_id, id);
  if (hash_upgraded) log_event("conn {} user {}: legacy password hash upgraded", context.connection_id, id);

  Reply reply;
  auto* ok = reply.body.mutable_login_ok();
  fill_user(*ok->mutable_user(), *user, true);
  ok->set_token(std::move(token));
  ok->set_revoked_sessions(static_cast<std::uint32_t>(revoked.size()));
  reply.effects.emplace_back(effect::LogIn{id, token_hash, request.announce_presence()});
  for (const auto& session : revoked) {
    log_event("conn {} login revoked an earlier session of user {}", context.connection_id, session.user_id);
    reply.effects.emplace_back(effect::RevokeToken{session.user_id, session.hash, "session revoked: logged out elsewhere"});
  }
  co_return reply;
}

asio::awaitable<Reply> handle_resume(ServerContext& server, const RequestContext& context,
                                     const wire::ResumeRequest& request) {
  const auto hash = token_hash(request.token());
  if (!hash) throw RequestError(ErrorCode::unauthenticated, kBadToken);
  store::SessionOrigin origin{std::string(context.client_name), std::string(context.peer_address)};
  auto resume_job = [hash = *hash, origin = std::move(origin)](store::Store& store) -> std::optional<store::User> {
    const auto user_id = store.user_for_session(hash, origin);
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

asio::awaitable<Reply> handle_logout(ServerContext& server, const RequestContext& context,
                                     const wire::LogoutRequest& request) {
  if (request.all()) co_return co_await logout_everywhere(server, context);
  if (!request.session_id().empty()) co_return co_await end_session(server, context, request.session_id());
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

asio::awaitable<Reply> handle_find_users(ServerContext& server, const RequestContext& context,
                                         const wire::FindUsersRequest& request) {
  validate_nick(request.nick());
  // The same budget as lookups by id: listing nicks by prefix must not be cheaper.
  if (auto wait = server.find_limiter.take(context.user_id.value(), SendRateLimiter::Clock::now())) {
    throw RequestError(ErrorCode::rate_limited, fmt::format("too many user lookups; retry in {}", retry_text(*wait)),
                       *wait);
  }
  auto find_job = [nick = request.nick(), prefix = request.prefix()](store::Store& store) {
    return store.find_users_by_nick(nick, prefix, proto::kMaxFindUsersResults);
  };
  const std::vector<store::User> users = co_await server.store.run(std::move(find_job));
  wire::Envelope answer;
  auto* list = answer.mutable_user_list();
  for (const auto& user : users) fill_user(*list->add_users(), user, false);
  co_return answer;
}

asio::awaitable<Reply> handle_find_user(ServerContext& server, const RequestContext& context,
                                        const wire::FindUserRequest& request) {
  const std::uint32_t id = request.user_id();
  // Ids are only 6 digits: unlimited lookups would let one account list every user's nick.
  if (auto wait = server.find_limiter.take(context.user_id.value(), SendRateLimiter::Clock::now())) {
    throw RequestError(ErrorCode::rate_limited, fmt::format("too many user lookups; retry in {}", retry_text(*wait)),
                       *wait);
  }
  auto find_job = [id](store::Store& store) { return store.find_user(id); };
  const auto user = co_await server.store.run(std::move(find_job));
  if (!user) throw RequestError(ErrorCode::not_found, fmt::format("no user with id {}", id));
  wire::Envelope answer;
  // The email is private: only its owner sees it.
  fill_user(*answer.mutable_user_info(), *user, context.user_id == id);
  co_return answer;
}

}  // namespace occhat::server

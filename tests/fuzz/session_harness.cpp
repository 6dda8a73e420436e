#include "session_harness.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "deterministic_random.hpp"
#include "loopback_connection.hpp"
#include "occhat/proto/requests.hpp"

namespace occhat::fuzz {
namespace {

namespace fs = std::filesystem;
namespace rq = proto::requests;

constexpr std::size_t kInputsPerEpoch = 20000;
constexpr std::uint64_t kRandomSeed = 0x0cc4a7f022;
// Generous: an input may hold dozens of registrations, each an argon2id hash.
constexpr auto kCloseDeadline = std::chrono::seconds(60);

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "occhat fuzz: %s\n", what);
  std::abort();
}

fs::path make_scratch_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/occhat-fuzz-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a scratch dir for the fuzzed server");
  return pattern;
}

std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1)));
}

void expect(bool ok, const wire::Envelope& answer, const char* step) {
  if (ok) return;
  std::fprintf(stderr, "occhat fuzz: set-up step '%s' failed: %s\n", step, answer.ShortDebugString().c_str());
  throw std::runtime_error("fuzz harness set-up failed");
}

// Registers and logs in one account on its own connection; the connection is returned so the
// caller can continue as that user.
Account sign_up(LoopbackConnection& connection, std::string_view nick) {
  auto answer = connection.call(rq::hello("occhat-fuzz"));
  expect(answer.has_hello_ok(), answer, "hello");
  answer = connection.call(rq::register_user(std::string(nick) + "@fuzz.invalid", nick, kFuzzPassword));
  expect(answer.has_register_response(), answer, "register");
  Account account;
  account.id = answer.register_response().user_id();
  answer = connection.call(rq::login(account.id, kFuzzPassword));
  expect(answer.has_login_ok(), answer, "login");
  account.token = answer.login_ok().token();
  return account;
}

}  // namespace

SessionHarness::SessionHarness() {
  install_deterministic_random();
  start();
}

SessionHarness::~SessionHarness() { stop(); }

void SessionHarness::start() {
  reset_deterministic_random(kRandomSeed);
  data_dir_ = make_scratch_dir();
  server::ServerOptions options;
  options.port = 0;
  options.data_dir = data_dir_ / "data";
  options.handle_signals = false;
  // OCCHAT_FUZZ_LOG=debug (or info) shows what the server makes of an input.
  const char* log = std::getenv("OCCHAT_FUZZ_LOG");
  options.log_level = log == nullptr ? server::LogLevel::quiet
                                     : server::log_level_named(log).value_or(server::LogLevel::info);
  options.fsync_commits = false;  // fuzzing wants executions, not durability
  options.message_rate = 0;       // no limit: an input's outcome must not depend on timing
  options.friend_request_rate = 0;
  options.find_rate = 0;
  // The flags' maximum: inputs never delay a login.
  options.login_max_failures = 1000000;
  options.login_account_max_failures = 1000000;
  options.login_address_max_failures = 1000000;
  options.max_file_size = 1 << 20;
  server_ = std::make_unique<server::Server>(options);
  port_ = port_of(server_->address());
  server_thread_ = std::thread([server = server_.get()] { server->run(); });
  try {
    create_accounts();
  } catch (...) {
    stop();
    throw;
  }
  inputs_since_start_ = 0;
}

void SessionHarness::stop() {
  if (!server_) return;
  server_->stop();
  server_thread_.join();
  server_.reset();
  std::error_code ignored;
  fs::remove_all(data_dir_, ignored);
}

void SessionHarness::create_accounts() {
  LoopbackConnection alice_connection(port_), bob_connection(port_), carol_connection(port_);
  accounts_.alice = sign_up(alice_connection, "alice");
  accounts_.bob = sign_up(bob_connection, "bob");
  accounts_.carol = sign_up(carol_connection, "carol");
  auto answer = alice_connection.call(rq::add_friend(accounts_.bob.id));
  expect(answer.has_add_friend_result(), answer, "alice asks bob");
  answer = bob_connection.call(rq::add_friend(accounts_.alice.id));
  expect(answer.has_add_friend_result() && answer.add_friend_result().state() == wire::AddFriendResult::NOW_FRIENDS,
         answer, "bob accepts alice");
}

void SessionHarness::run_input(std::span<const std::uint8_t> bytes) {
  if (++inputs_since_start_ > kInputsPerEpoch) {
    stop();
    start();
  }
  LoopbackConnection connection(port_);
  switch (connection.exchange(bytes, std::chrono::steady_clock::now() + kCloseDeadline)) {
    case LoopbackConnection::Outcome::closed_by_server:
      return;
    case LoopbackConnection::Outcome::server_sent_bad_frame:
      finding("the server sent a frame its own codec rejects");
    case LoopbackConnection::Outcome::deadline_passed:
      finding("the server did not close the connection within 60 s of the client's end of input");
  }
}

}  // namespace occhat::fuzz

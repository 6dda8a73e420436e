#include "operator_commands.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <iostream>
#include <string>

#include "occhat/proto/error.hpp"
#include "occhat/server/operator.hpp"

namespace occhat::server {
namespace {

using Json = nlohmann::json;

constexpr int kExitNotFound = 4;
constexpr std::uint32_t kListPage = 1000;

struct OperatorFlags {
  bool json = false;
  bool yes = false;
  std::uint32_t user_id = 0;
};

OperatorFlags& flags() {
  static OperatorFlags value;
  return value;
}

std::string date_time(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return "never";
  const std::time_t t = unix_seconds;
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%SZ", &utc);
  return text;
}

int user_list(store::Store& store) {
  std::uint32_t after = 0;
  for (;;) {
    const auto page = store.list_users(after, kListPage);
    for (const auto& record : page) {
      const auto& user = record.user;
      if (flags().json) {
        std::cout << Json{{"id", user.id},
                          {"nick", user.nick},
                          {"email", user.email},
                          {"created_at", user.created_at},
                          {"disabled", record.disabled},
                          {"sessions", record.sessions},
                          {"last_seen_at", record.last_seen_at}}
                         .dump(-1, ' ', false, Json::error_handler_t::replace)
                  << '\n';
      } else {
        std::cout << fmt::format("{}  {}  <{}>  created {}  sessions {}  last seen {}{}\n", user.id, user.nick,
                                 user.email, date_time(user.created_at), record.sessions,
                                 date_time(record.last_seen_at), record.disabled ? "  DISABLED" : "");
      }
    }
    if (page.size() < kListPage) return 0;
    after = page.back().user.id;
  }
}

int done(const std::string& text, Json json) {
  if (flags().json) {
    std::cout << json.dump() << '\n';
  } else {
    std::cout << text << '\n';
  }
  return 0;
}

int no_such_user(std::uint32_t id) {
  std::cerr << fmt::format("occhat-server: no user with id {}\n", id);
  return kExitNotFound;
}

int user_disable(store::Store& store, bool disabled) {
  const auto id = flags().user_id;
  if (!store.set_user_disabled(id, disabled)) return no_such_user(id);
  return done(disabled ? fmt::format("user {} disabled: its sessions ended, it cannot log in", id)
                       : fmt::format("user {} enabled: it can log in again", id),
              Json{{"id", id}, {"disabled", disabled}});
}

int user_reset_password(store::Store& store) {
  const auto id = flags().user_id;
  std::string password;
  if (!std::getline(std::cin, password)) {
    std::cerr << "occhat-server: reset-password reads the new password from the first line of stdin\n";
    return 1;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  const std::string hash = hash_new_password(password);
  if (!store.reset_password(id, hash)) return no_such_user(id);
  return done(fmt::format("password of user {} reset: its sessions ended", id), Json{{"id", id}, {"reset", true}});
}

int user_delete(store::Store& store, const ServerOptions& options) {
  const auto id = flags().user_id;
  if (!flags().yes) {
    std::cerr << fmt::format("occhat-server: deleting user {} cannot be undone: add --yes\n", id);
    return 1;
  }
  try {
    delete_user_as_operator(store, options, id);
  } catch (const store::StoreError& e) {
    if (e.code() == ErrorCode::not_found) return no_such_user(id);
    throw;
  }
  return done(fmt::format("user {} deleted: sessions, friendships, requests, blocks, inbox and unfinished uploads "
                          "removed, rooms handed on (or deleted when it was alone); messages and files others hold "
                          "stay in their history, and the id is never given out again",
                          id),
              Json{{"id", id}, {"deleted", true}});
}

int stats(store::Store& store) {
  const auto s = store.stats();
  if (flags().json) {
    return done("", Json{{"users", s.users},
                         {"disabled_users", s.disabled_users},
                         {"rooms", s.rooms},
                         {"messages", s.messages},
                         {"room_messages", s.room_messages},
                         {"files", s.files},
                         {"file_bytes", s.file_bytes},
                         {"inbox_backlog", s.inbox_backlog}});
  }
  return done(fmt::format("users          {} ({} disabled)\nrooms          {}\nmessages       {} 1:1, {} in rooms\n"
                          "files          {} ({} bytes)\ninbox backlog  {} not acknowledged",
                          s.users, s.disabled_users, s.rooms, s.messages, s.room_messages, s.files, s.file_bytes,
                          s.inbox_backlog),
              {});
}

}  // namespace

void add_operator_commands(CLI::App& app) {
  auto* user = app.add_subcommand("user", "Operator: list users, reset a password, disable or enable an account "
                                          "(on the store directly; the server may run)");
  user->require_subcommand(1);
  auto* list = user->add_subcommand("list", "Every account: id, nick, email, created, sessions, last seen");
  list->add_flag("--json", flags().json, "one JSON object per user");
  auto* reset = user->add_subcommand("reset-password", "Set a new password (first line of stdin); ends the user's sessions");
  auto* disable = user->add_subcommand("disable", "The account cannot log in; its sessions end, live connections close");
  auto* enable = user->add_subcommand("enable", "Let a disabled account log in again");
  auto* remove = user->add_subcommand("delete", "Delete an account (as delete-account does); needs --yes");
  remove->add_flag("--yes", flags().yes, "yes, delete it: this cannot be undone");
  for (auto* sub : {reset, disable, enable, remove}) {
    sub->add_option("ID", flags().user_id, "the user's 6-digit id")->required()->check(CLI::Range(100000, 999999));
    sub->add_flag("--json", flags().json, "the result as one JSON object");
  }
  auto* stats_command = app.add_subcommand("stats", "Users, rooms, messages, files and bytes in the store");
  stats_command->add_flag("--json", flags().json, "one JSON object");
}

std::optional<int> run_operator_command(CLI::App& app, const ServerOptions& options) {
  auto* user = app.get_subcommand("user");
  auto* stats_command = app.get_subcommand("stats");
  if (!user->parsed() && !stats_command->parsed()) return std::nullopt;
  try {
    const auto store = open_operator_store(options);
    if (stats_command->parsed()) return stats(*store);
    if (user->get_subcommand("list")->parsed()) return user_list(*store);
    if (user->get_subcommand("reset-password")->parsed()) return user_reset_password(*store);
    if (user->get_subcommand("disable")->parsed()) return user_disable(*store, true);
    if (user->get_subcommand("delete")->parsed()) return user_delete(*store, options);
    return user_disable(*store, false);
  } catch (const Error& e) {
    std::cerr << fmt::format("occhat-server: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("occhat-server: {}\n", e.what());
    return 1;
  }
}

}  // namespace occhat::server

#pragma once
// The subcommand seam: each command lives in commands/<name>.cpp and is listed once in
// commands/registry.cpp. The app declares it with CLI11, and runs it after a successful parse.

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "home.hpp"
#include "options.hpp"
#include "output.hpp"

namespace occhat::cli {

// What a running command may use. Built after parsing, so the global options are final.
struct Context {
  const GlobalOptions& options;
  const Output& out;
  Home home;
};

class Command {
 public:
  virtual ~Command() = default;

  virtual std::string name() const = 0;
  virtual std::string description() const = 0;

  // Declares the command's own flags and arguments on its subcommand; values are stored in the
  // Command object for run().
  virtual void configure(CLI::App& sub) = 0;

  // Does the work and prints the result through ctx.out. Failures are thrown as occhat::Error
  // (local ones too, see errors.hpp); the app prints them and picks the exit code.
  virtual void run(Context& ctx) = 0;
};

// Every command, in the order `occhat --help` lists them.
std::vector<std::unique_ptr<Command>> make_commands();

std::unique_ptr<Command> make_register_command();
std::unique_ptr<Command> make_login_command();
std::unique_ptr<Command> make_logout_command();
std::unique_ptr<Command> make_whoami_command();
std::unique_ptr<Command> make_find_command();
std::unique_ptr<Command> make_add_command();
std::unique_ptr<Command> make_requests_command();
std::unique_ptr<Command> make_remove_command();
std::unique_ptr<Command> make_friends_command();
std::unique_ptr<Command> make_send_command();
std::unique_ptr<Command> make_inbox_command();
std::unique_ptr<Command> make_history_command();
std::unique_ptr<Command> make_read_command();
std::unique_ptr<Command> make_watch_command();
std::unique_ptr<Command> make_daemon_command();  // commands/daemon.cpp, protocol in daemon/
std::unique_ptr<Command> make_upload_command();
std::unique_ptr<Command> make_files_command();
std::unique_ptr<Command> make_download_command();
std::unique_ptr<Command> make_room_command();
std::unique_ptr<Command> make_rooms_command();
std::unique_ptr<Command> make_block_command();
std::unique_ptr<Command> make_unblock_command();
std::unique_ptr<Command> make_blocked_command();
std::unique_ptr<Command> make_passwd_command();
std::unique_ptr<Command> make_nick_command();
std::unique_ptr<Command> make_discoverable_command();
std::unique_ptr<Command> make_sessions_command();
std::unique_ptr<Command> make_delete_account_command();
std::unique_ptr<Command> make_shell_command();  // shell/shell_command.cpp
std::unique_ptr<Command> make_help_command();

}  // namespace occhat::cli

#include "command.hpp"

namespace occhat::cli {

std::vector<std::unique_ptr<Command>> make_commands() {
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(make_register_command());
  commands.push_back(make_login_command());
  commands.push_back(make_logout_command());
  commands.push_back(make_whoami_command());
  commands.push_back(make_passwd_command());
  commands.push_back(make_nick_command());
  commands.push_back(make_discoverable_command());
  commands.push_back(make_sessions_command());
  commands.push_back(make_delete_account_command());
  commands.push_back(make_find_command());
  commands.push_back(make_add_command());
  commands.push_back(make_requests_command());
  commands.push_back(make_remove_command());
  commands.push_back(make_friends_command());
  commands.push_back(make_send_command());
  commands.push_back(make_inbox_command());
  commands.push_back(make_history_command());
  commands.push_back(make_read_command());
  commands.push_back(make_watch_command());
  commands.push_back(make_daemon_command());
  commands.push_back(make_upload_command());
  commands.push_back(make_files_command());
  commands.push_back(make_download_command());
  commands.push_back(make_rooms_command());
  commands.push_back(make_room_command());
  commands.push_back(make_block_command());
  commands.push_back(make_unblock_command());
  commands.push_back(make_blocked_command());
  commands.push_back(make_shell_command());
  commands.push_back(make_help_command());
  return commands;
}

}  // namespace occhat::cli

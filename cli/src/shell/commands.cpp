#include "shell/commands.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>

#include "download_target.hpp"
#include "errors.hpp"
#include "file_ref.hpp"
#include "event_format.hpp"
#include "occhat/proto/limits.hpp"
#include "room_format.hpp"
#include "room_id.hpp"
#include "shell/shell_session.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

constexpr std::uint32_t chat_history_lines = 20;
constexpr std::uint32_t max_history_lines = proto::kMaxHistoryLimit;

using Args = std::vector<std::string>;

struct ShellCommandSpec {
  std::string_view name;
  std::string_view usage;
  std::string_view help;
  void (*run)(ShellSession&, const Args&);
  bool completes_friend_ids;
  bool completes_friend_nicks = false;
};

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::string label(const std::string& nick, UserId id) {
  return escape_for_terminal(nick) + " (" + std::to_string(id) + ")";
}

void expect_args(const Args& args, std::size_t min, std::size_t max, std::string_view usage) {
  if (args.size() < min || args.size() > max) throw usage_error("usage: " + std::string(usage));
}

// One page of the chat's history; when older messages exist, a hint naming the shell command
// that shows the page before this one.
void print_history(ShellSession& session, const ChatPeer& chat, std::uint32_t limit, MessageId before_id = 0) {
  const HistoryPage page = chat.room != 0 ? session.client().room_history(chat.room, limit, before_id)
                                          : session.client().history(chat.id, limit, before_id);
  for (const Message& m : page.messages) session.print_line(format_history_line(m));
  if (page.more && !page.messages.empty()) {
    session.print_line("(older: /history " + std::to_string(limit) + " --before " +
                       std::to_string(page.messages.front().id) + ")");
  }
}

// The room's name as the room list says (the server refuses a non-member the same way whether
// or not the room exists).
std::string room_name(ShellSession& session, RoomId room) {
  for (const Room& r : session.client().rooms().rooms) {
    if (r.id == room) return r.name;
  }
  throw Error(ErrorCode::not_allowed, "you are not a member of room " + std::to_string(room) +
                                          " (invitations are answered with: /join " + std::to_string(room) + ")");
}

void open_room_chat(ShellSession& session, RoomId room) {
  const ChatPeer chat{0, room_name(session, room), room};
  print_history(session, chat, chat_history_lines);
  session.open_chat(chat);
}

void cmd_friends(ShellSession& session, const Args& args) {
  expect_args(args, 0, 0, "/friends");
  try {
    session.refresh_friends();  // the unread counts change with every message
  } catch (const Error&) {
    // The list as the shell knows it (presence kept current by events) is still worth showing.
  }
  std::ostringstream out;
  print_friend_sections(out, session.friends());
  std::string text = out.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  session.print_line(text);
}

bool is_all_digits(std::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Friends whose nick is exactly `nick` (nicks are not unique; ids are).
std::vector<const Friend*> friends_named(const ShellSession& session, std::string_view nick) {
  std::vector<const Friend*> found;
  for (const Friend& f : session.friends()) {
    if (f.nick == nick) found.push_back(&f);
  }
  return found;
}

// The friend `word` names: a 6-digit id, or a nick that exactly one friend has. The list is
// reloaded once on a miss: a friendship made elsewhere since it was loaded.
const Friend* find_chat_friend(ShellSession& session, const std::string& word) {
  if (is_all_digits(word)) {
    const UserId id = parse_user_id(word);
    if (id == session.me().id) throw usage_error("cannot chat with yourself");
    const Friend* peer = session.find_friend(id);
    if (peer == nullptr) {
      session.refresh_friends();
      peer = session.find_friend(id);
    }
    if (peer == nullptr) {
      throw Error(ErrorCode::not_allowed,
                  std::to_string(id) + " is not your friend (send a request with: /add " + std::to_string(id) + ")");
    }
    return peer;
  }
  auto found = friends_named(session, word);
  if (found.empty()) {
    session.refresh_friends();
    found = friends_named(session, word);
  }
  if (found.empty()) throw Error(ErrorCode::not_found, "no friend named " + escape_for_terminal(word) + " (/friends lists them)");
  if (found.size() > 1) {
    std::string ids;
    for (const Friend* f : found) ids += (ids.empty() ? "" : ", ") + std::to_string(f->id);
    throw usage_error("several friends are named " + escape_for_terminal(word) + " (ids " + ids + "): use /chat ID");
  }
  return found.front();
}

void cmd_chat(ShellSession& session, const Args& args) {
  expect_args(args, 0, 1, "/chat ID|NICK|ROOM   (or /chat alone to leave the chat)");
  if (args.empty()) {
    session.close_chat();
    return;
  }
  if (is_room_id(args[0])) {
    open_room_chat(session, parse_room_id(args[0]));
    return;
  }
  const Friend* peer = find_chat_friend(session, args[0]);
  const ChatPeer chat{peer->id, peer->nick, 0};
  print_history(session, chat, chat_history_lines);
  session.open_chat(chat);
}

void cmd_add(ShellSession& session, const Args& args) {
  expect_args(args, 1, 1, "/add ID");
  const AddFriendResult result = session.client().add_friend(parse_user_id(args[0]));
  const std::string who = label(result.user.nick, result.user.id);
  switch (result.state) {
    case AddFriendState::requested:
      session.print_line("friend request sent to " + who);
      break;
    case AddFriendState::now_friends:
      session.print_line("you and " + who + " are now friends");
      session.refresh_friends();
      break;
    case AddFriendState::already_friends:
      session.print_line("already friends with " + who);
      break;
  }
}

void print_text(ShellSession& session, const std::ostringstream& out) {
  std::string text = out.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  session.print_line(text);
}

void cmd_requests(ShellSession& session, const Args& args) {
  expect_args(args, 0, 0, "/requests");
  std::ostringstream out;
  print_request_sections(out, session.client().friend_requests());
  print_text(session, out);
}

void cmd_remove(ShellSession& session, const Args& args) {
  expect_args(args, 1, 1, "/remove ID");
  const UserId id = parse_user_id(args[0]);
  session.client().remove_friend(id);
  session.refresh_friends();
  if (session.chat() && session.chat()->room == 0 && session.chat()->id == id) session.close_chat();
  session.print_line("removed " + std::to_string(id));
}

// Like `occhat download FILE [-o PATH|DIR]`: same target rules, and a partial download in
// PATH.part is continued. No progress bar: it would fight the prompt for the line.
void cmd_download(ShellSession& session, const Args& args) {
  expect_args(args, 1, 2, "/download FILE [PATH|DIR]");
  std::optional<std::string> output;
  if (args.size() == 2) output = args[1];
  if (output == "-") throw usage_error("/download cannot write to stdout: give a PATH or DIR");
  const FileInfo info = resolve_file(session.client(), args[0]);
  const DownloadTarget target = download_target(output, info.name, info.id, /*force=*/false);
  const DownloadResult result = session.client().download_file(info.id, target.path, /*resume=*/true);
  session.print_line("downloaded " + escape_for_terminal(info.name) + " to " + escape_for_terminal(target.path) +
                     " (" + std::to_string(result.file.size) + " bytes)");
}

// The open chat's files (a friend's or a room's), oldest first, like `occhat files`.
void cmd_files(ShellSession& session, const Args& args) {
  expect_args(args, 0, 0, "/files");
  if (!session.chat()) throw usage_error("not in a chat: use /chat ID or /chat ROOM first");
  const ChatPeer& chat = *session.chat();
  const std::vector<FileInfo> files =
      chat.room != 0 ? session.client().room_files(chat.room) : session.client().files(chat.id);
  if (files.empty()) {
    session.print_line("no files");
    return;
  }
  std::string text;
  for (const FileInfo& f : files) text += (text.empty() ? "" : "\n") + format_file_line(f);
  session.print_line(text);
}

// Sends a file to the open chat, like `occhat upload`; an interrupted upload of the same file
// to the same chat is continued by the SDK.
void cmd_upload(ShellSession& session, const Args& args) {
  expect_args(args, 1, 1, "/upload PATH");
  if (!session.chat()) throw usage_error("not in a chat: use /chat ID or /chat ROOM first");
  const ChatPeer& chat = *session.chat();
  const UploadResult result = chat.room != 0 ? session.client().upload_room_file(chat.room, args[0])
                                             : session.client().upload_file(chat.id, args[0]);
  session.print_line("uploaded " + escape_for_terminal(result.file.name) + " as file " +
                     std::to_string(result.file.id) + " (" + std::to_string(result.file.size) + " bytes)");
}

std::uint64_t parse_count(const std::string& text, std::uint64_t min, std::uint64_t max, std::string_view what) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw usage_error("expected " + std::string(what) + " " + std::to_string(min) + ".." + std::to_string(max) +
                      ", got \"" + text + "\"");
  }
  return value;
}

// /history [N] [--before ID]: the page hint of print_history() is this command.
void cmd_history(ShellSession& session, const Args& args) {
  constexpr std::string_view usage = "/history [N] [--before ID]";
  expect_args(args, 0, 3, usage);
  if (!session.chat()) throw usage_error("not in a chat: use /chat ID");
  std::uint32_t limit = chat_history_lines;
  MessageId before_id = 0;
  std::size_t i = 0;
  if (i < args.size() && args[i] != "--before") {
    limit = static_cast<std::uint32_t>(parse_count(args[i++], 1, max_history_lines, "a number of messages"));
  }
  if (i < args.size()) {
    if (args[i] != "--before" || i + 2 != args.size()) throw usage_error("usage: " + std::string(usage));
    before_id = parse_count(args[i + 1], 1, std::numeric_limits<std::uint64_t>::max(), "a message id");
  }
  print_history(session, *session.chat(), limit, before_id);
}

void cmd_rooms(ShellSession& session, const Args& args) {
  expect_args(args, 0, 0, "/rooms");
  std::ostringstream out;
  print_room_sections(out, session.client().rooms());
  std::string text = out.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  session.print_line(text);
}

void cmd_join(ShellSession& session, const Args& args) {
  expect_args(args, 1, 1, "/join ROOM");
  const Room room = session.client().join_room(parse_room_id(args[0]));
  session.print_line("joined " + room_label(RoomRef{room.id, room.name}));
  open_room_chat(session, room.id);
}

// Who is in the open room (or ROOM) and who of them is online right now.
void cmd_members(ShellSession& session, const Args& args) {
  expect_args(args, 0, 1, "/members [ROOM]");
  RoomId room = 0;
  if (!args.empty()) {
    room = parse_room_id(args[0]);
  } else if (session.chat() && session.chat()->room != 0) {
    room = session.chat()->room;
  } else {
    throw usage_error("not in a room: use /members ROOM or /chat ROOM");
  }
  const std::vector<RoomMember> members = session.client().room_members(room);
  std::size_t online = 0;
  for (const RoomMember& m : members) online += m.online ? 1 : 0;
  std::string text = std::to_string(members.size()) + " members, " + std::to_string(online) + " online:";
  for (const RoomMember& m : members) text += "\n  " + format_member_line(m);
  session.print_line(text);
}

void cmd_inbox(ShellSession& session, const Args& args) {
  expect_args(args, 0, 0, "/inbox");
  // Pushes normally show everything at once; this catches up on anything they have not shown yet.
  int shown = 0;
  for (;;) {
    const InboxPage page = session.client().fetch_inbox(session.cursor());
    for (const Event& event : page.events) shown += session.show_event(event) ? 1 : 0;
    if (!page.more || page.events.empty()) break;
  }
  session.flush_acks();
  if (shown == 0) session.print_line("no pending events");
}

void cmd_help(ShellSession& session, const Args& args);

void cmd_quit(ShellSession& session, const Args&) { session.quit(); }

constexpr ShellCommandSpec commands[] = {
    {"/friends", "/friends", "your friends, online first", &cmd_friends, false},
    {"/chat", "/chat ID|NICK|ROOM",
     "open a chat with a friend (by id, or by a nick only one friend has) or a room: recent history, then each "
     "line you type is sent (/chat alone leaves)",
     &cmd_chat, true, true},
    {"/rooms", "/rooms", "your rooms and room invitations", &cmd_rooms, false},
    {"/join", "/join ROOM", "accept a room invitation and open the room", &cmd_join, false},
    {"/members", "/members [ROOM]", "the open room's members, with who is online", &cmd_members, false},
    {"/add", "/add ID", "send a friend request, or accept one", &cmd_add, true},
    {"/requests", "/requests", "pending friend requests, incoming and outgoing", &cmd_requests, false},
    {"/remove", "/remove ID", "end a friendship, or withdraw or decline a friend request", &cmd_remove, true},
    {"/history", "/history [N] [--before ID]", "the last N messages of this chat (default 20), or those before message ID", &cmd_history, true},
    {"/files", "/files", "the files exchanged in this chat", &cmd_files, false},
    {"/upload", "/upload PATH", "send a file to this chat (continues an interrupted upload)", &cmd_upload, false},
    {"/download", "/download FILE [PATH|DIR]", "download a file by id or unique name (continues a partial one)",
     &cmd_download, false},
    {"/inbox", "/inbox", "pending messages, requests and room events not shown yet", &cmd_inbox, false},
    {"/help", "/help", "this list", &cmd_help, false},
    {"/quit", "/quit", "leave the shell (Ctrl-D works too)", &cmd_quit, false},
};

void cmd_help(ShellSession& session, const Args&) {
  std::string text;
  for (const auto& command : commands) {
    std::string usage(command.usage);
    usage.resize(std::max<std::size_t>(usage.size() + 2, 14), ' ');
    text += "  " + usage + std::string(command.help) + "\n";
  }
  text += "In a chat, a line that is not a command is sent; start it with // to send a leading /.";
  session.print_line(text);
}

const ShellCommandSpec* find_command(std::string_view name) {
  for (const auto& command : commands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

void send_text(ShellSession& session, const std::string& text) {
  if (!session.chat()) {
    session.print_line("not in a chat: use /chat ID or /chat ROOM");
    return;
  }
  // Success prints nothing: the typed line is already on the screen.
  if (session.chat()->room != 0) {
    const RoomId room = session.chat()->room;
    session.note_sent(room, session.client().send_room_message(room, text).id);
  } else {
    session.note_sent(0, session.client().send_message(session.chat()->id, text).id);
  }
}

}  // namespace

void run_shell_line(ShellSession& session, const std::string& line) {
  if (line.starts_with("//")) {
    send_text(session, line.substr(1));
    return;
  }
  if (line.starts_with("/")) {
    Args words = split_words(line);
    const ShellCommandSpec* command = find_command(words.front());
    if (command == nullptr) {
      throw usage_error("unknown command " + escape_for_terminal(words.front()) + " (/help lists them)");
    }
    words.erase(words.begin());
    command->run(session, words);
    return;
  }
  if (line.empty()) return;
  send_text(session, line);
}

std::vector<std::string> shell_completions(const ShellSession& session, const std::string& before_word,
                                           const std::string& /*word*/) {
  const auto words = split_words(before_word);
  std::vector<std::string> candidates;
  if (words.empty()) {
    for (const auto& command : commands) candidates.emplace_back(command.name);
  } else if (words.size() == 1) {
    const ShellCommandSpec* command = find_command(words.front());
    if (command != nullptr && command->completes_friend_ids) {
      for (const Friend& f : session.friends()) candidates.push_back(std::to_string(f.id));
    }
    if (command != nullptr && command->completes_friend_nicks) {
      for (const Friend& f : session.friends()) {
        // A nick with a space would be two words on the line; its id completes instead.
        if (f.nick.find_first_of(" \t") == std::string::npos && friends_named(session, f.nick).size() == 1) {
          candidates.push_back(f.nick);
        }
      }
    }
  }
  return candidates;
}

}  // namespace occhat::cli

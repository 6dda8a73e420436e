#pragma once
// The state of one `occhat shell`: the connection (resumed with announce_presence=true and
// subscribed), the friend list kept current by presence events, the open chat, the inbox cursor,
// and the poll loop that multiplexes the terminal, pushed events and signals.
//
// Threads: everything here runs on the main thread except the SDK event handler, which only
// queues into PushedEvents. Blocking SDK calls (commands, ack, reconnect) happen on the main
// thread, between two lines of input.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "command.hpp"
#include "home.hpp"
#include "inbox_cursor.hpp"
#include "occhat/client.hpp"
#include "shell/line_editor.hpp"
#include "shell/pushed_events.hpp"

namespace occhat::cli {

// The open chat: a friend (id, their nick) or a room (room, its name in `nick`).
struct ChatPeer {
  UserId id = 0;
  std::string nick;
  RoomId room = 0;  // set for a room chat (then id is 0)
};

// Starts a message line from a conversation other than the open chat.
inline constexpr std::string_view kElsewhereMarker = ">> elsewhere: ";

class ShellSession {
 public:
  // Connects, resumes the saved session (announcing presence) and subscribes from the cursor.
  // Throws like open_logged_in(): not logged in / session revoked -> unauthenticated, server
  // unreachable -> unavailable.
  explicit ShellSession(Context& ctx);
  ~ShellSession();
  ShellSession(const ShellSession&) = delete;
  ShellSession& operator=(const ShellSession&) = delete;

  // Prints the greeting and the friend list, then runs until /quit, end of input, SIGTERM or
  // SIGHUP. Throws unauthenticated if the token is revoked while reconnecting.
  void run();

  // ---- for the commands (commands.cpp) ----
  Client& client() { return *client_; }
  const UserInfo& me() const noexcept { return me_; }

  // Prints one line (a '\n' is added) above the prompt.
  void print_line(const std::string& line);
  // Prints "occhat: <message>" on stderr, above the prompt.
  void print_error(const Error& error);
  void print_notice(std::string message);

  // Sorted like `occhat friends`: online first, then by nick, then by id.
  const std::vector<Friend>& friends() const noexcept { return friends_; }
  const Friend* find_friend(UserId id) const;
  // Reloads the list from the server (throws like Client::friends()).
  void refresh_friends();

  const std::optional<ChatPeer>& chat() const noexcept { return chat_; }
  void open_chat(ChatPeer peer);
  void close_chat();

  // Prints a sequenced or presence event unless the cursor says it was shown already, advances
  // the cursor and notes the seq for the next ack. Returns whether it printed.
  bool show_event(const Event& event);
  // A message this shell sent (room 0: to a friend): the server echoes it into our own inbox as
  // a "sent" event (for the user's other devices), but here the typed line is on the screen
  // already, so show_event() skips it once.
  void note_sent(RoomId room, MessageId id) { sent_here_.emplace(room, id); }
  // Acknowledges everything shown so far (one round trip, only if there is something new).
  void flush_acks();
  Seq cursor() const noexcept { return cursor_.value(); }

  // Ends run() after the current line.
  void quit() noexcept;

 private:
  void login();
  void handle_line(std::optional<std::string> line);
  void handle_events();
  void handle_signal(int signo);
  void apply_presence(const Event& event);
  bool is_own_echo(const Event& event);  // consumes the note_sent() entry
  bool in_open_chat(const Event& event) const;  // a message of the conversation that is open
  void mark_chat_read();  // moves the open chat's read marker to what handle_events() showed there
  std::string shell_event_line(const Event& event) const;
  // kElsewhereMarker for a message that is not part of the open chat, else "".
  std::string elsewhere_marker(const Event& event) const;
  void sort_friends();
  void on_disconnected();
  void schedule_reconnect(const std::string& why);
  void try_reconnect();
  int poll_timeout_ms() const;
  std::string prompt() const;

  Context& ctx_;
  SavedSession saved_;
  std::string server_;
  PushedEvents events_;  // outlives client_: the SDK's handler pushes into it
  std::unique_ptr<Client> client_;
  UserInfo me_;
  InboxCursor cursor_;
  Seq shown_up_to_ = 0;  // highest seq handled (printed or skipped) this session
  Seq acked_up_to_ = 0;  // highest seq acknowledged to the server
  std::vector<Friend> friends_;
  std::optional<ChatPeer> chat_;
  std::set<std::pair<RoomId, MessageId>> sent_here_;  // see note_sent()
  MessageId read_in_chat_ = 0;  // the newest message shown in the open chat, not yet marked read
  std::unique_ptr<LineEditor> editor_;
  bool quit_ = false;
  // Set while the connection is down: when to try again, and how many tries failed.
  std::optional<std::chrono::steady_clock::time_point> reconnect_at_;
  std::size_t reconnect_failures_ = 0;
};

}  // namespace occhat::cli

#include "shell/shell_session.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <sstream>
#include <utility>

#include <poll.h>
#include <unistd.h>

#include "connection.hpp"
#include "event_format.hpp"
#include "reconnect.hpp"
#include "room_format.hpp"
#include "shell/commands.hpp"
#include "shell/signal_pipe.hpp"

namespace occhat::cli {
namespace {

// Long-lived: friends see this user online while the shell runs.
SessionOptions shell_connection() {
  SessionOptions options;
  options.announce_presence = true;
  return options;
}

}  // namespace

ShellSession::ShellSession(Context& ctx)
    : ctx_(ctx),
      saved_(require_session(ctx)),
      server_(session_server(ctx, saved_)),
      cursor_(ctx.home.dir(), saved_.user_id) {
  client_ = std::make_unique<Client>(client_options(with_tls(ctx, server_, &saved_, shell_connection())));
  connect_long_lived(*client_, server_);
  // Runs on the SDK's I/O thread: queue only, never call the SDK from here.
  client_->set_event_handler([this](const Event& event) { events_.push(event); });
  login();
}

ShellSession::~ShellSession() {
  editor_.reset();  // gives the terminal back before anything else can print
  client_->set_event_handler(nullptr);
  client_->disconnect();
}

void ShellSession::login() {
  me_ = resume_saved(*client_, saved_, shell_connection().announce_presence).user;
  // On every connection: the server may have gone back (restored from a backup) while away.
  if (const auto warning = cursor_.sync(*client_)) print_notice(warning->message());
  // What the last connection saw says nothing about this one's server: acknowledge what the
  // cursor covers (checked by sync) and then only what this connection shows.
  shown_up_to_ = cursor_.value();
  acked_up_to_ = 0;
  // Subscribe before reading the list: a friend who comes online in between is then reported
  // by a presence event rather than missed.
  client_->subscribe(cursor_.value());
  refresh_friends();
}

void ShellSession::run() {
  const bool interactive = ::isatty(STDIN_FILENO) == 1;
  editor_ = std::make_unique<LineEditor>(
      interactive, ctx_.home.dir() / "shell_history",
      [this](std::optional<std::string> line) { handle_line(std::move(line)); },
      [this](const std::string& before, const std::string& word) {
        return shell_completions(*this, before, word);
      });
  SignalPipe signals;

  print_line("occhat shell \xe2\x80\x94 logged in as " + escape_for_terminal(me_.nick) + " (" +
             std::to_string(me_.id) + "). /help for commands.");
  std::ostringstream list;
  print_friend_sections(list, friends_);
  editor_->print(list.str());
  handle_events();  // the backlog that arrived while logging in, below the list
  editor_->start(prompt());

  while (!quit_) {
    std::array<pollfd, 3> fds{{{editor_->fd(), POLLIN, 0},
                               {events_.fd(), POLLIN, 0},
                               {signals.fd(), POLLIN, 0}}};
    const int ready = ::poll(fds.data(), fds.size(), poll_timeout_ms());
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::internal, "poll failed");
    }
    if (fds[2].revents != 0) {
      for (const int signo : signals.take()) handle_signal(signo);
    }
    if (!quit_ && fds[1].revents != 0) handle_events();
    // POLLHUP/POLLERR too: reading then reports the end of input.
    if (!quit_ && fds[0].revents != 0) editor_->read_available();
    if (!quit_ && reconnect_at_ && std::chrono::steady_clock::now() >= *reconnect_at_) try_reconnect();
  }
  editor_->stop();
  flush_acks();
}

int ShellSession::poll_timeout_ms() const {
  if (!reconnect_at_) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      *reconnect_at_ - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()) + 1);
}

void ShellSession::handle_line(std::optional<std::string> line) {
  if (!line) {
    quit();  // Ctrl-D / end of input
    return;
  }
  try {
    run_shell_line(*this, *line);
  } catch (const Error& e) {
    print_error(e);
  } catch (const std::exception& e) {
    print_error(Error(ErrorCode::internal, std::string("internal error: ") + e.what()));
  }
  // Events that came in while the command ran are printed before the next prompt.
  handle_events();
}

void ShellSession::handle_signal(int signo) {
  if (signo == SIGWINCH) {
    editor_->resize();
  } else if (signo == SIGINT && editor_->interactive()) {
    editor_->interrupt();
  } else {
    quit();  // SIGTERM, SIGHUP, or Ctrl-C of a script: leave cleanly, exit 0
  }
}

void ShellSession::handle_events() {
  for (const Event& event : events_.take_all()) {
    if (event.type == "disconnected") {
      on_disconnected();
      continue;
    }
    if (event.type == "presence") apply_presence(event);
    // The snapshot a subscription starts with repeats what the friend list shows already.
    if (!(event.type == "presence" && event.snapshot) && show_event(event) && event.type == "message" &&
        in_open_chat(event)) {
      read_in_chat_ = std::max(read_in_chat_, event.message->id);
    }
    if (event.type == "friend_request" && event.accepted && !find_friend(event.user.id)) {
      // A new friend: their presence is unknown until the server says, so ask it.
      try {
        refresh_friends();
      } catch (const Error&) {
        friends_.push_back(Friend{event.user.id, event.user.nick, false});
        sort_friends();
      }
    }
  }
  flush_acks();
  mark_chat_read();
}

void ShellSession::mark_chat_read() {
  const MessageId up_to = std::exchange(read_in_chat_, 0);
  if (up_to == 0 || !chat_ || reconnect_at_ || !client_->connected()) return;
  try {
    // Seen in the open chat: read, here and on the user's other devices (unread counts).
    if (chat_->room != 0) {
      client_->mark_room_read(chat_->room, up_to);
    } else {
      client_->mark_read(chat_->id, up_to);
    }
  } catch (const Error&) {
    // Only the unread count stays higher until the conversation is read again.
  }
}

bool ShellSession::show_event(const Event& event) {
  if (event.seq != 0) {
    if (const auto warning = cursor_.check_event(event.seq)) print_notice(warning->message());
    shown_up_to_ = std::max(shown_up_to_, event.seq);
    if (event.seq <= cursor_.value()) return false;  // shown before a crash or on another path
  }
  if (!is_own_echo(event)) print_line(elsewhere_marker(event) + shell_event_line(event));
  if (event.seq != 0) {
    try {
      cursor_.advance(event);
    } catch (const Error& e) {
      print_error(e);
    }
  }
  return true;
}

bool ShellSession::in_open_chat(const Event& event) const {
  if (!chat_ || !event.message) return false;
  const Message& m = *event.message;
  return chat_->room != 0 ? (m.room && m.room->id == chat_->room)
                          : (!m.room && (m.from == chat_->id || m.to == chat_->id));
}

std::string ShellSession::elsewhere_marker(const Event& event) const {
  if (!chat_ || (event.type != "message" && event.type != "sent") || !event.message) return {};
  // While typing to one person, a line from another must not read as part of this conversation.
  return in_open_chat(event) ? std::string() : std::string(kElsewhereMarker);
}

std::string ShellSession::shell_event_line(const Event& event) const {
  if (event.type == "sent" && in_open_chat(event)) {
    // What you sent from another device, in the open conversation: your own line, as if typed here.
    Event own = event;
    own.type = "message";
    return format_event_line(own, FriendRequestNow::pending, "/");
  }
  return format_event_line(event, FriendRequestNow::pending, "/");
}

bool ShellSession::is_own_echo(const Event& event) {
  if (event.type != "sent" || !event.message) return false;
  return sent_here_.erase({event.message->room ? event.message->room->id : 0, event.message->id}) > 0;
}

void ShellSession::flush_acks() {
  if (shown_up_to_ <= acked_up_to_ || reconnect_at_ || !client_->connected()) return;
  try {
    client_->ack(shown_up_to_);
    acked_up_to_ = shown_up_to_;
  } catch (const Error&) {
    // Not lost: the cursor keeps them from being shown again, and the next ack covers them.
  }
}

void ShellSession::apply_presence(const Event& event) {
  auto it = std::find_if(friends_.begin(), friends_.end(),
                         [&](const Friend& f) { return f.id == event.user.id; });
  // Presence goes to friends only, so an unknown id is a friendship made elsewhere.
  if (it == friends_.end()) it = friends_.insert(friends_.end(), Friend{event.user.id, {}, false});
  it->online = event.online;
  if (!event.user.nick.empty()) it->nick = event.user.nick;
  sort_friends();
  if (chat_ && chat_->room == 0 && chat_->id == event.user.id && chat_->nick != it->nick) {
    chat_->nick = it->nick;
    editor_->set_prompt(prompt());
  }
}

void ShellSession::sort_friends() {
  std::stable_sort(friends_.begin(), friends_.end(), [](const Friend& a, const Friend& b) {
    if (a.online != b.online) return a.online;
    if (a.nick != b.nick) return a.nick < b.nick;
    return a.id < b.id;
  });
}

const Friend* ShellSession::find_friend(UserId id) const {
  const auto it = std::find_if(friends_.begin(), friends_.end(), [&](const Friend& f) { return f.id == id; });
  return it == friends_.end() ? nullptr : &*it;
}

void ShellSession::refresh_friends() {
  friends_ = client_->friends();
  sort_friends();
}

void ShellSession::open_chat(ChatPeer peer) {
  chat_ = std::move(peer);
  if (editor_) editor_->set_prompt(prompt());
}

void ShellSession::close_chat() {
  chat_.reset();
  if (editor_) editor_->set_prompt(prompt());
}

std::string ShellSession::prompt() const {
  if (!chat_) return "> ";
  if (chat_->room != 0) return room_label(RoomRef{chat_->room, chat_->nick}) + "> ";
  return "[" + escape_for_terminal(chat_->nick) + "]> ";
}

void ShellSession::print_line(const std::string& line) {
  if (editor_) {
    editor_->print(line + "\n");
  } else {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
}

void ShellSession::print_error(const Error& error) { print_notice(error.what()); }

void ShellSession::print_notice(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');  // one line, as everywhere in the CLI
  std::replace(message.begin(), message.end(), '\r', ' ');
  // A server's error message is server-supplied text like any other: escaped for the terminal.
  const std::string line = "occhat: " + escape_for_terminal(message) + "\n";
  if (editor_) {
    editor_->print(line, /*to_stderr=*/true);
  } else {
    std::fputs(line.c_str(), stderr);
  }
}

void ShellSession::quit() noexcept {
  quit_ = true;
  // From within the line handler this also keeps readline from drawing one more prompt.
  if (editor_) editor_->stop();
}

void ShellSession::on_disconnected() {
  // A stale report from an attempt that failed, or one already being handled.
  if (reconnect_at_ || client_->connected()) return;
  reconnect_failures_ = 0;
  schedule_reconnect("connection lost");
}

void ShellSession::schedule_reconnect(const std::string& why) {
  const auto delay = reconnect_delay(reconnect_failures_);
  print_notice(why + "; reconnecting in " + delay_seconds_text(delay) + " s");
  reconnect_at_ = std::chrono::steady_clock::now() + delay;
}

void ShellSession::try_reconnect() {
  reconnect_at_.reset();
  try {
    connect_client(*client_, server_);
    login();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::unauthenticated) throw;  // revoked: exit 3, as `watch` does
    client_->disconnect();
    ++reconnect_failures_;
    schedule_reconnect(e.what());
    return;
  }
  reconnect_failures_ = 0;
  print_notice(reconnected_notice(*client_, server_));
  flush_acks();
}

}  // namespace occhat::cli

#include "password.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string_view>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include "errors.hpp"

namespace occhat::cli {
namespace {

// What the signal handler needs to put the terminal back. Set only while echo is off.
volatile std::sig_atomic_t g_tty_fd = -1;
termios g_saved_termios{};

constexpr int kRestoreSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

extern "C" void restore_terminal_and_reraise(int sig) {
  // Only async-signal-safe calls here.
  if (const int fd = g_tty_fd; fd >= 0) {
    ::tcsetattr(fd, TCSAFLUSH, &g_saved_termios);
    [[maybe_unused]] const ssize_t n = ::write(fd, "\n", 1);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Owns the /dev/tty descriptor and, while alive, the terminal's "echo off" state.
class NoEchoTerminal {
 public:
  NoEchoTerminal() {
    if (::isatty(STDIN_FILENO) == 0) return;
    fd_ = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0) return;
    if (::tcgetattr(fd_, &saved_) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    g_saved_termios = saved_;
    g_tty_fd = fd_;
    struct sigaction action {};
    action.sa_handler = restore_terminal_and_reraise;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
      ::sigaction(kRestoreSignals[i], &action, &old_actions_[i]);
    }
    termios quiet = saved_;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    ::tcsetattr(fd_, TCSAFLUSH, &quiet);
  }

  ~NoEchoTerminal() {
    if (fd_ < 0) return;
    ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    g_tty_fd = -1;
    for (std::size_t i = 0; i < std::size(kRestoreSignals); ++i) {
      ::sigaction(kRestoreSignals[i], &old_actions_[i], nullptr);
    }
    ::close(fd_);
  }

  NoEchoTerminal(const NoEchoTerminal&) = delete;
  NoEchoTerminal& operator=(const NoEchoTerminal&) = delete;

  bool usable() const noexcept { return fd_ >= 0; }

  std::string prompt(std::string_view text) {
    write_text(text);
    std::string line;
    for (;;) {
      char c = 0;
      const ssize_t n = ::read(fd_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || c == '\n' || c == '\r') break;
      line.push_back(c);
    }
    // Echo is off, so the user's Enter did not move the cursor.
    write_text("\n");
    return line;
  }

 private:
  void write_text(std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = ::write(fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  termios saved_{};
  struct sigaction old_actions_[std::size(kRestoreSignals)] {};
};

std::string read_stdin_line() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) {
    throw usage_error("no password on stdin (--password-stdin reads its first line)");
  }
  // getline consumed a '\n' unless it hit EOF; strip the '\r' of a "\r\n" ending.
  if (!std::cin.eof() && !line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Error no_terminal() {
  return usage_error("no terminal to prompt for the password; use --password-stdin");
}

}  // namespace

std::string read_password(bool from_stdin) {
  if (from_stdin) return read_stdin_line();
  NoEchoTerminal terminal;
  if (!terminal.usable()) throw no_terminal();
  return terminal.prompt("Password: ");
}

PasswordChange read_password_change(bool from_stdin) {
  if (from_stdin) {
    std::string current = read_stdin_line();
    std::string replacement;
    if (!std::getline(std::cin, replacement) && replacement.empty()) {
      throw usage_error("no new password on stdin (--password-stdin reads the current password, then the new one)");
    }
    if (!std::cin.eof() && !replacement.empty() && replacement.back() == '\r') replacement.pop_back();
    return PasswordChange{std::move(current), std::move(replacement)};
  }
  NoEchoTerminal terminal;
  if (!terminal.usable()) throw no_terminal();
  std::string current = terminal.prompt("Current password: ");
  std::string first = terminal.prompt("New password: ");
  std::string second = terminal.prompt("Repeat new password: ");
  if (first != second) throw usage_error("passwords do not match");
  return PasswordChange{std::move(current), std::move(first)};
}

std::string read_new_password(bool from_stdin) {
  if (from_stdin) return read_stdin_line();
  NoEchoTerminal terminal;
  if (!terminal.usable()) throw no_terminal();
  std::string first = terminal.prompt("Password: ");
  std::string second = terminal.prompt("Repeat password: ");
  if (first != second) throw usage_error("passwords do not match");
  return first;
}

}  // namespace occhat::cli

#include "interrupt_hint.hpp"

#include <csignal>
#include <cstring>

#include <unistd.h>

#include "event_format.hpp"

namespace occhat::cli {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Written by the constructor before the handler is installed, read only by the handler.
char g_line[4096];
std::size_t g_length = 0;
int g_fd = STDERR_FILENO;
struct sigaction g_previous[std::size(kSignals)];

void on_signal(int sig) {
  // A redrawn progress bar may be mid-line: start on a fresh one.
  if (g_fd == STDERR_FILENO) (void)!::write(g_fd, "\r\033[K", 4);
  (void)!::write(g_fd, g_line, g_length);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

InterruptHint::InterruptHint(const Output& out, const std::string& message) {
  std::string line;
  if (out.json()) {
    line = Json{{"error", {{"code", "interrupted"}, {"message", message}, {"exit_code", 130}}}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
    g_fd = STDOUT_FILENO;
  } else {
    line = "occhat: " + escape_for_terminal(message) + "\n";
    g_fd = STDERR_FILENO;
  }
  g_length = std::min(line.size(), sizeof g_line);
  std::memcpy(g_line, line.data(), g_length);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &action, &g_previous[i]);
}

InterruptHint::~InterruptHint() {
  for (std::size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
}

}  // namespace occhat::cli

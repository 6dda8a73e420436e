#include "shell/line_editor.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

// readline's headers need <cstdio> first.
#include <readline/history.h>
#include <readline/readline.h>

namespace occhat::cli {
namespace {

// Readline calls plain C functions; they find their LineEditor here.
LineEditor* g_editor = nullptr;

constexpr int history_max_lines = 1000;

// Only commands ("/chat 517219") go to the history file. Every other line is chat text, a private
// message: it is sent, kept in the server's store under its access rules, and must not be left
// behind in a plain file in the home directory (backups, a shared disk). Up still recalls this
// session's chat lines from memory. "//..." is chat text that starts with '/'.
bool kept_in_file(std::string_view line) { return line.starts_with('/') && !line.starts_with("//"); }

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// A history file written before chat lines were kept out of it may still hold some: they are
// dropped from memory and the file is rewritten without them.
void drop_chat_lines(const std::filesystem::path& file) {
  bool dropped = false;
  for (int i = history_length - 1; i >= 0; --i) {
    const HIST_ENTRY* entry = history_get(history_base + i);
    if (entry != nullptr && !kept_in_file(entry->line)) {
      free_history_entry(remove_history(i));
      dropped = true;
    }
  }
  if (dropped) write_history(file.c_str());
}

void write_to(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

void write_stdout(const std::string& text) { write_to(stdout, text); }

}  // namespace

LineEditor::LineEditor(bool interactive, std::filesystem::path history_file, LineHandler on_line,
                       Completer completer)
    : interactive_(interactive),
      history_file_(interactive ? std::move(history_file) : std::filesystem::path{}),
      on_line_(std::move(on_line)),
      completer_(std::move(completer)) {
  g_editor = this;
}

LineEditor::~LineEditor() {
  stop();
  save_history();
  g_editor = nullptr;
}

int LineEditor::fd() const noexcept { return STDIN_FILENO; }

void LineEditor::start(const std::string& prompt) {
  prompt_ = prompt;
  running_ = true;
  if (!interactive_) return;

  rl_readline_name = "occhat";  // for $if occhat in ~/.inputrc
  // The shell's poll loop owns the signals (self-pipe); readline must not install handlers that
  // would act on them in the middle of a redisplay.
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_change_environment = 0;
  rl_attempted_completion_function = &LineEditor::on_readline_complete;
  using_history();
  if (!history_file_.empty() && read_history(history_file_.c_str()) == 0) {  // a missing file is fine
    drop_chat_lines(history_file_);
  }
  rl_callback_handler_install(prompt_.c_str(), &LineEditor::on_readline_line);
}

void LineEditor::stop() noexcept {
  if (!running_) return;
  running_ = false;
  if (!interactive_) return;
  // Outside the handler the cursor sits after the prompt: end that line first.
  if (!in_handler_) write_stdout("\n");
  rl_callback_handler_remove();  // also restores the terminal modes
}

void LineEditor::set_prompt(const std::string& prompt) {
  prompt_ = prompt;
  if (!interactive_ || !running_) return;
  rl_set_prompt(prompt_.c_str());
  // Within the handler readline draws the new prompt itself once the handler returns.
  if (!in_handler_) rl_forced_update_display();
}

void LineEditor::read_available() {
  if (!running_) return;
  if (interactive_) {
    rl_callback_read_char();
  } else {
    read_plain();
  }
}

void LineEditor::read_plain() {
  char buffer[4096];
  const ssize_t n = ::read(fd(), buffer, sizeof buffer);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
  }
  if (n <= 0) {
    if (!pending_.empty()) deliver(std::exchange(pending_, {}));
    if (running_) deliver(std::nullopt);
    return;
  }
  pending_.append(buffer, static_cast<std::size_t>(n));
  std::size_t begin = 0;
  for (std::size_t end; running_ && (end = pending_.find('\n', begin)) != std::string::npos;
       begin = end + 1) {
    std::string line = pending_.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    deliver(std::move(line));
  }
  pending_.erase(0, begin);
}

void LineEditor::deliver(std::optional<std::string> line) {
  in_handler_ = true;
  try {
    on_line_(std::move(line));
  } catch (...) {
    in_handler_ = false;
    throw;
  }
  in_handler_ = false;
}

void LineEditor::on_readline_line(char* raw) {
  LineEditor* self = g_editor;
  std::optional<std::string> line;
  if (raw != nullptr) {
    line = raw;
    if (!line->empty()) {
      const HIST_ENTRY* last = history_length > 0 ? history_get(history_base + history_length - 1) : nullptr;
      if (last == nullptr || *line != last->line) {
        add_history(raw);
        ++self->new_history_lines_;
      }
    }
    std::free(raw);
  } else {
    // Ctrl-D leaves the cursor after the prompt; the caller's goodbye starts on a fresh line.
    write_stdout("\n");
  }
  if (self != nullptr) self->deliver(std::move(line));
}

void LineEditor::print(const std::string& text, bool to_stderr) {
  std::FILE* stream = to_stderr ? stderr : stdout;
  if (!interactive_ || !running_ || in_handler_) {
    write_to(stream, text);
    return;
  }
  // Take the prompt and the half-typed line off the screen, print, and put them back exactly.
  char* saved_line = rl_copy_text(0, rl_end);
  const int saved_point = rl_point;
  rl_set_prompt("");
  rl_replace_line("", 0);
  rl_redisplay();
  write_to(stream, text);
  rl_set_prompt(prompt_.c_str());
  rl_replace_line(saved_line, 0);
  rl_point = saved_point;
  rl_redisplay();
  std::free(saved_line);
}

void LineEditor::interrupt() {
  if (!interactive_ || !running_) return;
  rl_point = rl_end;  // "^C" goes after the whole line, as in bash
  rl_redisplay();
  write_stdout("^C\n");
  rl_callback_sigcleanup();  // leaves an incremental search or a pending key sequence
  rl_free_line_state();
  using_history();  // the next Up starts from the newest entry again
  rl_replace_line("", 0);
  rl_on_new_line();
  rl_redisplay();
}

void LineEditor::resize() {
  if (interactive_ && running_) rl_resize_terminal();
}

char** LineEditor::on_readline_complete(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;  // never fall back to completing file names
  LineEditor* self = g_editor;
  if (self == nullptr || !self->completer_) return nullptr;
  const std::string word = text;
  self->completions_.clear();
  for (auto& candidate : self->completer_(std::string(rl_line_buffer, static_cast<std::size_t>(start)), word)) {
    if (candidate.starts_with(word)) self->completions_.push_back(std::move(candidate));
  }
  self->next_completion_ = 0;
  if (self->completions_.empty()) return nullptr;
  return rl_completion_matches(text, &LineEditor::next_completion);
}

char* LineEditor::next_completion(const char* /*text*/, int /*state*/) {
  LineEditor* self = g_editor;
  if (self == nullptr || self->next_completion_ >= self->completions_.size()) return nullptr;
  // Readline frees the matches with free().
  return ::strdup(self->completions_[self->next_completion_++].c_str());
}

void LineEditor::save_history() noexcept {
  if (history_file_.empty() || new_history_lines_ == 0) return;
  const int first = history_length > new_history_lines_ ? history_length - new_history_lines_ : 0;
  new_history_lines_ = 0;
  // Commands only (kept_in_file), and still owner-only: which friends and rooms one opens is private too.
  const int fd = ::open(history_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool written = false;
  for (int i = first; i < history_length; ++i) {
    const HIST_ENTRY* entry = history_get(history_base + i);
    if (entry == nullptr || !kept_in_file(entry->line)) continue;
    if (!write_all(fd, entry->line) || !write_all(fd, "\n")) break;
    written = true;
  }
  ::close(fd);
  if (written) history_truncate_file(history_file_.c_str(), history_max_lines);
}

}  // namespace occhat::cli

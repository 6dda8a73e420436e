#pragma once
// The shell's input line: GNU readline's callback interface on a terminal, a plain line reader
// otherwise (so `printf '/friends\n/quit\n' | occhat shell` works without prompts or escape
// sequences in its output).
//
// The caller owns the event loop: it polls fd() and calls read_available() when it is readable.
// Readline keeps its state in globals, so at most one LineEditor may exist at a time.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace occhat::cli {

class LineEditor {
 public:
  // Called once per entered line (without its newline); nullopt at end of input (Ctrl-D).
  using LineHandler = std::function<void(std::optional<std::string> line)>;
  // Candidates for completing `word`, given the text of the line before it. The editor keeps
  // those that start with `word`.
  using Completer =
      std::function<std::vector<std::string>(const std::string& before_word, const std::string& word)>;

  // `history_file` empty: no input history is read or written.
  LineEditor(bool interactive, std::filesystem::path history_file, LineHandler on_line,
             Completer completer);
  ~LineEditor();  // stop(), then appends this session's lines to the history file
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  bool interactive() const noexcept { return interactive_; }
  int fd() const noexcept;

  // Shows the prompt and starts accepting input.
  void start(const std::string& prompt);
  // Stops accepting input and gives the terminal back (idempotent). May be called from the
  // line handler.
  void stop() noexcept;

  // Takes a new prompt; shown at once, or (from within the line handler) for the next line.
  void set_prompt(const std::string& prompt);

  // Reads what is available on fd() and calls the line handler for each completed line.
  void read_available();

  // Prints `text` (whole lines, each ending in '\n') above the prompt, on stdout or stderr; the
  // half-typed line and the cursor position survive.
  void print(const std::string& text, bool to_stderr = false);

  // SIGINT at the prompt: throws the half-typed line away and shows a fresh prompt, like bash.
  void interrupt();
  // SIGWINCH: readline must learn the new width to redraw correctly.
  void resize();

 private:
  static void on_readline_line(char* line);
  static char** on_readline_complete(const char* text, int start, int end);
  static char* next_completion(const char* text, int state);
  void deliver(std::optional<std::string> line);
  void read_plain();
  void save_history() noexcept;

  bool interactive_;
  std::filesystem::path history_file_;
  LineHandler on_line_;
  Completer completer_;
  std::string prompt_;
  bool running_ = false;     // input is being accepted
  bool in_handler_ = false;  // inside on_line_: readline shows no prompt right now
  int new_history_lines_ = 0;
  std::string pending_;  // non-interactive: bytes after the last newline
  std::vector<std::string> completions_;  // of the completion in progress
  std::size_t next_completion_ = 0;
};

}  // namespace occhat::cli

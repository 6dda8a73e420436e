#pragma once
// The highest inbox seq this home directory has shown the user: HOME/cursor = "<user_id> <seq>\n".
//
// The server forgets nothing before an ack, and an ack can be lost (killed between printing and
// acking). The cursor closes that gap: it is written right after each printed line, so a restarted
// client skips what was already shown — exactly once as the user sees it. A file for another user
// (or a damaged one) counts as 0.
//
// Next to it, HOME/cursor.check = "<user_id> <seq> <type>:<id>:<time_ms>\n" names the event the
// cursor's seq was (written after the cursor, best effort; the cursor file itself keeps its
// two-field format, which the Python bindings read and write too). sync() uses it to tell
// "events this home showed but did not acknowledge" from "the server's inbox went back below the
// cursor" (its data restored from a backup: new events then get seqs this home has seen before,
// and skipping them and acknowledging up to the cursor would lose them unseen).

#include <filesystem>
#include <optional>
#include <string>

#include "occhat/client.hpp"
#include "output.hpp"

namespace occhat::cli {

// The server's inbox is behind this home's cursor.
struct CursorWarning {
  Seq cursor = 0;  // what this home had shown up to
  Seq seq = 0;     // the server's event at or below the cursor that this home has not shown
  // One line for a terminal ("warning: ..."), and the same as a JSON object (type "warning").
  std::string message() const;
  Json json() const;
};

// Prints a CursorWarning: on stderr ("occhat: warning: ..."), and with --json also as one JSON
// object on stdout, {"version":1,"type":"warning","code":"inbox_behind_cursor",...}.
void report_cursor_warning(const Output& out, const CursorWarning& warning);

class InboxCursor {
 public:
  InboxCursor(std::filesystem::path home_dir, UserId user);

  // Events at or below this were shown (by this process, or by an earlier one and checked by
  // sync()); skip them. Never above a seq the server has sent this process or one sync() found
  // on the server, so acknowledging up to value() acknowledges only what was shown.
  Seq value() const noexcept { return value_; }

  // Compares the cursor with the server's inbox. Call on every new connection, before fetching
  // or subscribing after value(). The cursor is kept if nothing at or below it is pending, or if
  // the pending event at the cursor is the one this home showed (a run that died before it
  // acknowledged). If nothing is pending at all, value() becomes 0 (there is nothing to skip;
  // check_event() then catches a server that went back). Otherwise the server's inbox is behind
  // the cursor: value() drops to just below the first pending event, so everything pending is
  // shown (some of it perhaps again), and the warning is returned. Throws what the SDK throws.
  std::optional<CursorWarning> sync(Client& client);

  // Call for each sequenced event before deciding to skip or show it. Returns a warning for the
  // first event at or below a cursor that sync() could not check (nothing was pending): such an
  // event is new, so the server's inbox is behind the cursor.
  std::optional<CursorWarning> check_event(Seq seq);

  // Forgets the cursor (`inbox --reset-cursor`): value() becomes 0 and, unless `keep_files`,
  // HOME/cursor and HOME/cursor.check are removed.
  void reset(bool keep_files);

  // Records that everything up to `e.seq` was shown. Lower or equal seqs are ignored. Persists
  // atomically (temp file + rename) so a crash leaves the old or the new value, never half of one.
  // Throws Error(internal) on I/O failure.
  void advance(const Event& e);

  // advance() in two steps around printing a line: prepare() writes the temp file (the slow part)
  // before the line is printed, commit() renames it (one system call) right after. A process
  // killed between printing and persisting shows that line twice next time; this shrinks the
  // window from several system calls to a few instructions. Throws like advance().
  void prepare(const Event& e);
  void commit();

 private:
  std::filesystem::path temp_path() const;
  std::filesystem::path check_temp_path() const;
  bool shown_at_cursor(const Event& e) const;

  std::filesystem::path dir_;
  UserId user_;
  Seq value_ = 0;
  std::string fingerprint_;  // of the event at value_; empty when unknown
  Seq prepared_ = 0;  // written to temp_path(), not renamed yet; 0 when nothing is prepared
  std::string prepared_fingerprint_;
  bool prepared_check_ = false;  // check_temp_path() was written too
  Seq unchecked_ = 0;  // the cursor sync() could not check; see check_event()
};

// "<type>:<id>:<time_ms>": which event a seq was (id: the message, file or other user's id).
std::string event_fingerprint(const Event& e);

}  // namespace occhat::cli

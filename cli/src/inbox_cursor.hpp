#pragma once
// The highest inbox seq this home directory has shown the user: HOME/cursor = "<user_id> <seq>\n".
//
// The server forgets nothing before an ack, and an ack can be lost (killed between printing and
// acking). The cursor closes that gap: it is written right after each printed line, so a restarted
// client skips what was already shown — exactly once as the user sees it. A file for another user
// (or a damaged one) counts as 0.

#include <filesystem>

#include "occhat/client.hpp"

namespace occhat::cli {

class InboxCursor {
 public:
  InboxCursor(std::filesystem::path home_dir, UserId user);

  Seq value() const noexcept { return value_; }

  // Records that everything up to `seq` was shown. Lower or equal values are ignored. Persists
  // atomically (temp file + rename) so a crash leaves the old or the new value, never half of one.
  // Throws Error(internal) on I/O failure.
  void advance(Seq seq);

  // advance() in two steps around printing a line: prepare() writes the temp file (the slow part)
  // before the line is printed, commit() renames it (one system call) right after. A process
  // killed between printing and persisting shows that line twice next time; this shrinks the
  // window from several system calls to a few instructions. Throws like advance().
  void prepare(Seq seq);
  void commit();

 private:
  std::filesystem::path temp_path() const;

  std::filesystem::path dir_;
  UserId user_;
  Seq value_ = 0;
  Seq prepared_ = 0;  // written to temp_path(), not renamed yet; 0 when nothing is prepared
};

}  // namespace occhat::cli

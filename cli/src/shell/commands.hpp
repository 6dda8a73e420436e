#pragma once
// What the shell does with a line: /friends /chat /add /history /rooms /join /members /inbox
// /help /quit, or text for the open chat (a friend or a room). Failures are printed as "occhat: <message>" and the shell goes on.

#include <string>
#include <vector>

namespace occhat::cli {

class ShellSession;

// Runs one entered line. May throw occhat::Error; the session prints it.
void run_shell_line(ShellSession& session, const std::string& line);

// Tab completion: command names for the first word, friend ids after /chat, /add and /history.
std::vector<std::string> shell_completions(const ShellSession& session, const std::string& before_word,
                                           const std::string& word);

}  // namespace occhat::cli

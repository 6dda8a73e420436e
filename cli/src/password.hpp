#pragma once
// Reading passwords: never from argv (it shows in `ps` and shell history).
//
// from_stdin: the first line of stdin, without its trailing "\n" or "\r\n".
// Otherwise:  a no-echo prompt on the controlling terminal (/dev/tty). Echo is restored on every
//             exit path, including Ctrl-C and other terminating signals.
// With neither possible (stdin is not a terminal, or there is no /dev/tty) it throws a usage error
// pointing at --password-stdin: prompting would hang a script or read the wrong stream.

#include <string>

namespace occhat::cli {

std::string read_password(bool from_stdin);

// For new accounts: prompts twice and requires both entries to match (usage error otherwise).
// With from_stdin it reads one line, as read_password does.
std::string read_new_password(bool from_stdin);

struct PasswordChange {
  std::string current;
  std::string replacement;
};

// For `passwd`: the current password, then the new one twice (they must match). With
// from_stdin: the first line of stdin is the current password, the second the new one.
PasswordChange read_password_change(bool from_stdin);

}  // namespace occhat::cli

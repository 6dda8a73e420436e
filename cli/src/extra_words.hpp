#pragma once
// Words left over after a command's arguments were filled: `occhat send 123456 hello world`
// almost always means an unquoted message (or room or file name), so the usage error shows that
// text quoted instead of CLI11's "The following argument was not expected: world".
//
// CLI11 forgets the leftovers when it throws, so the app keeps them (allow_extras) and
// check_extra_words() turns them into the error after the parse.

#include <CLI/CLI.hpp>

namespace occhat::cli {

// Lets the parse of `root` keep extra words for check_extra_words().
void keep_extra_words(CLI::App& root);

// Throws a usage error naming the extra words of the command that was parsed, if there are any.
void check_extra_words(const CLI::App& root);

}  // namespace occhat::cli

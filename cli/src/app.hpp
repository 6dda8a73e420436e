#pragma once

namespace occhat::cli {

// Parses the command line, runs the chosen command and returns the process exit code.
// Never throws: every failure becomes one error line (or JSON object) and an exit code.
int run(int argc, char** argv) noexcept;

}  // namespace occhat::cli

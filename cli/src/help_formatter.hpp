#pragma once
// `occhat COMMAND --help` (and `occhat help COMMAND`) lists the global options too: they are
// accepted after the command (fallthrough), so a user reading one command's help needs them.

#include <string>

#include <CLI/CLI.hpp>

namespace occhat::cli {

class HelpFormatter final : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
};

}  // namespace occhat::cli

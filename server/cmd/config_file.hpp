#pragma once
// occhat-server --config FILE: every flag may be set in a file, one `key = value` per line.
//
//   # comments start with # or ;      [server]    (an optional section header)
//   listen = "0.0.0.0:7878"           data-dir = /var/lib/occhat      (quotes optional)
//
// A key is a flag's name without the dashes (`data_dir` works as well as `data-dir`). The
// entries become flags placed before the command line's, so the command line overrides the file.
// Each entry is checked on its own first, so an unknown key or a bad value is reported with the
// file's name and the line: "server.conf:7: unknown key 'listn'".

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace occhat::server {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ConfigEntry {
  std::string key;  // the flag's name without dashes, with '-' for '_'
  std::string value;
  int line = 0;
};

// Reads `path`. Throws ConfigError naming the file (and the line, for a malformed one).
std::vector<ConfigEntry> read_config_file(const std::filesystem::path& path);

// The entries as command-line arguments ("--key", "value", ...), each one checked against a fresh
// app that `define_flags` fills (the same definitions the real parse uses). Throws ConfigError
// "FILE:LINE: ..." for an unknown key or a value the flag refuses.
std::vector<std::string> config_arguments(const std::filesystem::path& path, const std::vector<ConfigEntry>& entries,
                                          const std::function<void(CLI::App&)>& define_flags);

// Where `--config FILE` / `--config=FILE` is in argv, if anywhere (the file is read before the
// real parse, which must see its entries first).
std::string config_path_in(int argc, char** argv);

}  // namespace occhat::server

#pragma once
// Every occhat-server flag in one place: the command line and the config file (config_file.hpp)
// define them from here, so a key in the file is exactly a flag's name.

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "occhat/server/server.hpp"

namespace occhat::server {

// The flags as parsed; finish_server_options() turns them into ServerOptions.
struct ServerFlags {
  ServerOptions options;
  std::string listen = "127.0.0.1:7878";
  std::string data_dir = "./occhat-data";
  std::string files_dir;  // empty: DATA_DIR/files
  std::string registration = "open";
  std::string durability = "disk";
  std::string log_level = "info";
  std::string log_format = "text";
  std::string metrics_listen;  // empty: no metrics endpoint
  std::string tls_cert;
  std::string tls_key;
};

// Adds every flag to `app`, bound to `flags`. A flag given twice keeps the last value, so the
// command line (parsed after the config file's entries) overrides the file.
void add_server_flags(CLI::App& app, ServerFlags& flags);

// Checks what CLI11 cannot (flags that go together, HOST:PORT) and fills flags.options.
// Returns the error message, if any.
std::optional<std::string> finish_server_options(ServerFlags& flags);

}  // namespace occhat::server

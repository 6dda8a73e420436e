#pragma once
// The CLI's home directory (--home / OCCHAT_HOME, default ~/.occhat) and the session saved in it.
//
// session.json = {"server": "HOST:PORT", "user_id": 482913, "token": "<64 hex>"}, mode 0600, in
// a directory created 0700. A session logged in over TLS also has "tls": true and, when a CA
// file was given, "ca": "<absolute path>"; both are optional (absent = plain TCP). The token is a password equivalent: it is never printed or logged.
//
// `logout` keeps the file without "user_id" and "token": the server (and its TLS settings) stays
// the default for the next `login`/`register`, as it is for every other command.

#include <filesystem>
#include <optional>
#include <string>

#include "occhat/client.hpp"

namespace occhat::cli {

struct SavedSession {
  std::string server;  // as --server was given: one HOST:PORT or a list of a cluster's nodes
  UserId user_id = 0;
  std::string token;  // empty after logout: only the server is remembered
  bool tls = false;  // logged in over TLS: later commands to this server use TLS too
  std::string ca;    // the --ca file used then (absolute path), empty for the system store
};

class Home {
 public:
  explicit Home(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // `flag_value` is --home/OCCHAT_HOME; empty means ~/.occhat. Throws a usage error when there
  // is no home directory to default to.
  static Home resolve(const std::string& flag_value);

  const std::filesystem::path& dir() const noexcept { return dir_; }
  std::filesystem::path session_path() const { return dir_ / "session.json"; }

  // The saved session, or nullopt when there is none (or only a server, after logout). A damaged
  // file throws unauthenticated (exit 3: the user has to log in again).
  std::optional<SavedSession> load_session() const;

  // What session.json holds, logged in or not: the server to default to, with its TLS settings
  // (token empty after logout). nullopt without a file; a damaged one throws as load_session().
  std::optional<SavedSession> load_saved() const;

  // Creates the directory (0700) if needed and replaces session.json atomically: a 0600 temp file
  // in the same directory, fsync'd, then renamed over, so a crash never leaves half a file.
  // Throws Error(internal) on I/O failure.
  void save_session(const SavedSession& session) const;

  // Drops the token and user id from session.json, keeping the server and its TLS settings.
  // Does nothing without a file. Throws Error(internal) on I/O failure.
  void forget_token() const;

  // Replaces the file `name` in the directory (created 0700) atomically with `text`, mode 0600,
  // as save_session() does. Throws Error(internal) on I/O failure.
  void write_private(const std::string& name, const std::string& text) const;

 private:
  void ensure_dir() const;

  std::filesystem::path dir_;
};

}  // namespace occhat::cli

#pragma once
// Session tokens this home gave up without the server being told: a `logout` while the server
// was unreachable. They stay valid on the server until revoked, so the next successful `login`
// to that server sends them along (LoginRequest.revoke_tokens) and the server ends them.
//
// revoke.json = {"pending": [{"server": "HOST:PORT", "token": "<64 hex>"}, ...]}, mode 0600 in
// the home directory (the tokens are secrets like session.json's). At most 16 are kept (the
// newest), as many as one login may revoke.

#include <string>
#include <vector>

#include "home.hpp"

namespace occhat::cli {

class PendingRevocations {
 public:
  explicit PendingRevocations(const Home& home) : home_(home) {}

  // Remembers `token` of `server` for revocation at the next login there.
  void add(const std::string& server, const std::string& token) const;
  // The tokens waiting for `server`.
  std::vector<std::string> for_server(const std::string& server) const;
  // Forgets the tokens of `server` (after a login revoked them).
  void clear(const std::string& server) const;

 private:
  struct Entry {
    std::string server;
    std::string token;
  };
  std::vector<Entry> load() const;
  void save(const std::vector<Entry>& entries) const;

  const Home& home_;
};

}  // namespace occhat::cli

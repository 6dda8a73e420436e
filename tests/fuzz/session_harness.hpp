#pragma once
// A real occhat server (the occhat::server::Server facade, plain TCP on 127.0.0.1) running on
// its own thread inside the fuzzer process, so ASan and the coverage counters see the server
// code. It starts from an empty data dir with three accounts made over the wire:
// alice and bob are friends, carol is a stranger. With deterministic randomness their ids and
// tokens are the same on every start, so seeds can resume as alice or bob.
//
// State (messages, friendships, uploads) accumulates while inputs run; every
// kInputsPerEpoch inputs the server restarts from an empty data dir, which bounds its disk and
// memory use and keeps inputs roughly reproducible.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "occhat/server/server.hpp"

namespace occhat::fuzz {

struct Account {
  std::uint32_t id = 0;
  std::string token;
};

struct Accounts {
  Account alice, bob, carol;
};

inline constexpr const char* kFuzzPassword = "fuzz-password-1";

class SessionHarness {
 public:
  SessionHarness();
  ~SessionHarness();
  SessionHarness(const SessionHarness&) = delete;
  SessionHarness& operator=(const SessionHarness&) = delete;

  // One connection: writes `bytes`, half-closes, and waits for the server to close it.
  // Aborts (a finding) if the server sends a frame its own codec rejects, or does not close
  // the connection within a minute of the client's end of input.
  void run_input(std::span<const std::uint8_t> bytes);

  const Accounts& accounts() const noexcept { return accounts_; }

 private:
  void start();
  void stop();
  void create_accounts();

  std::filesystem::path data_dir_;
  std::unique_ptr<server::Server> server_;
  std::thread server_thread_;
  std::uint16_t port_ = 0;
  Accounts accounts_;
  std::size_t inputs_since_start_ = 0;
};

}  // namespace occhat::fuzz

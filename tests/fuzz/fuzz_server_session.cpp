// libFuzzer entry point: arbitrary bytes written by a client on one connection to a real
// occhat server running in this process (see session_harness.hpp). The server must never crash,
// leak, send a malformed frame, or keep a connection open after the client's end of input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "session_harness.hpp"
#include "session_seeds.hpp"

namespace {

occhat::fuzz::SessionHarness* g_harness = nullptr;

void stop_server_at_exit() {
  delete g_harness;
  g_harness = nullptr;
}

occhat::fuzz::SessionHarness& harness() {
  if (g_harness == nullptr) {
    try {
      g_harness = new occhat::fuzz::SessionHarness();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "occhat fuzz: cannot start the server: %s\n", e.what());
      std::exit(1);
    }
    std::atexit(stop_server_at_exit);
    // OCCHAT_FUZZ_WRITE_SEEDS=DIR: write the seed corpus for these accounts and stop.
    if (const char* seeds_dir = std::getenv("OCCHAT_FUZZ_WRITE_SEEDS"); seeds_dir && *seeds_dir) {
      occhat::fuzz::write_session_seeds(g_harness->accounts(), seeds_dir);
      std::fprintf(stderr, "occhat fuzz: seeds written to %s\n", seeds_dir);
      std::exit(0);
    }
  }
  return *g_harness;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  harness().run_input({data, size});
  return 0;
}

// occhat-store-bench: the store's own CPU per 1:1 send, without network or client. The store
// thread's share of the window relay, in a loop that mirrors it: 50 pairs, sends in group-commit
// batches of 64, each recipient acking once per batch. On a shared machine the relay's CPU per
// message spreads by ±10 % between runs; this by about ±3 %, so a change of a few statements
// per send shows (run the binaries of A and B in turn, several times each).
//   occhat-store-bench [SENDS [WORK-DIR]]   prints one JSON line
#include <fmt/format.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "occhat/store/sqlite_store.hpp"
#include "occhat/store/store.hpp"

namespace {

using namespace occhat::store;

constexpr int kPairs = 50;
constexpr int kBatch = 64;
constexpr std::uint32_t kFirstUser = 100000;

// Process CPU (all threads, the WAL checkpointer's included), as the relay's figure counts it.
double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const long sends = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 100000;
  if (sends <= 0) {
    fmt::print(stderr, "usage: occhat-store-bench [SENDS [WORK-DIR]]\n");
    return 2;
  }
  const std::filesystem::path dir =
      argc > 2 ? std::filesystem::path(argv[2]) : std::filesystem::temp_directory_path() / fmt::format("occhat-store-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  StoreOptions options;
  options.durability = Durability::process;
  auto store = open_store((dir / "occhat.db").string(), options);
  auto* batches = dynamic_cast<SqliteStore*>(store.get());
  if (!batches) return 1;
  for (std::uint32_t i = 0; i < 2 * kPairs; ++i) {
    store->create_user(kFirstUser + i, fmt::format("u{}@bench", i), fmt::format("user{}", i), "-");
  }
  for (std::uint32_t i = 0; i < kPairs; ++i) {
    store->add_friend(kFirstUser + 2 * i, kFirstUser + 2 * i + 1);
    store->add_friend(kFirstUser + 2 * i + 1, kFirstUser + 2 * i);
  }
  const std::string text(100, 'x');
  std::uint64_t client_id = 0;
  std::vector<std::uint64_t> last_seq(2 * kPairs, 0);
  const auto run = [&](long count) {
    for (long done = 0; done < count; done += kBatch) {
      batches->begin_batch();
      for (long j = done; j < done + kBatch; ++j) {
        // Both directions of every pair in turn, as the relay's senders do.
        const auto pair = static_cast<std::uint32_t>(j % kPairs);
        const auto back = static_cast<std::uint32_t>((j / kPairs) % 2);
        const std::uint32_t from = kFirstUser + 2 * pair + back;
        const std::uint32_t to = kFirstUser + 2 * pair + 1 - back;
        const auto sent = store->send_message(from, to, text, fmt::format("bench-{}", ++client_id));
        if (sent.item) last_seq[to - kFirstUser] = sent.item->seq;
      }
      for (std::uint32_t user = 0; user < last_seq.size(); ++user) {
        if (last_seq[user] == 0) continue;
        store->ack(kFirstUser + user, last_seq[user]);
        last_seq[user] = 0;
      }
      batches->commit_batch();
    }
  };
  run(20000);  // warm-up: the page cache, the statement cache
  const double started = cpu_seconds();
  run(sends);
  const double cpu = cpu_seconds() - started;
  fmt::print("{{\"bench\": \"store\", \"case\": \"send\", \"params\": {{\"sends\": {}, \"pairs\": {}, \"batch\": {}}}, "
             "\"metrics\": {{\"cpu_us_per_send\": {:.2f}}}}}\n",
             sends, kPairs, kBatch, cpu * 1e6 / static_cast<double>(sends));
  std::filesystem::remove_all(dir);
  return 0;
}

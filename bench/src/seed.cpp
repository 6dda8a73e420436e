#include "seed.hpp"

#include <sodium.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "bench_error.hpp"
#include "occhat/store/store.hpp"

namespace occhat::bench {
namespace {

namespace fs = std::filesystem;

std::string hash_password_once() {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), kBenchPassword, std::char_traits<char>::length(kBenchPassword),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw BenchError("crypto_pwhash_str failed (out of memory)");
  }
  return out.data();
}

// A token the way the server makes them: 32 random bytes, shown as hex, stored as their SHA-256.
std::string new_token(store::TokenHash& hash) {
  std::array<unsigned char, 32> raw{};
  randombytes_buf(raw.data(), raw.size());
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  crypto_hash_sha256(hash.data(), raw.data(), raw.size());
  return std::string(hex.data(), 64);
}

// A random id, as the server picks them (server/src/user_ids.cpp); a taken one is drawn again.
std::uint32_t create_user(store::Store& store, const std::string& name, const std::string& hash) {
  for (;;) {
    const auto id = store::kMinUserId + randombytes_uniform(store::kMaxUserId - store::kMinUserId + 1);
    if (store.create_user(id, name + "@bench.invalid", name, hash)) return id;
  }
}

void seed_into(const std::string& location, const std::string& name_prefix, std::size_t count,
               const std::vector<std::pair<std::size_t, std::size_t>>& friendships, std::vector<SeededUser>& users) {
  auto store = store::open_store(location);
  const std::string hash = hash_password_once();
  for (std::size_t i = 0; i < count; ++i) {
    SeededUser user;
    const std::string name = name_prefix + "bench" + std::to_string(i);
    user.id = create_user(*store, name, hash);
    store::TokenHash token_hash{};
    user.token = new_token(token_hash);
    store->create_session(user.id, token_hash);
    users.push_back(std::move(user));
  }
  for (const auto& [a, b] : friendships) {
    store->add_friend(users.at(a).id, users.at(b).id);
    store->add_friend(users.at(b).id, users.at(a).id);
  }
  // The friendship notices would otherwise be the first items every subscriber receives.
  for (const auto& user : users) {
    const auto state = store->inbox_state(user.id);
    if (state.last_seq > state.acked_seq) store->ack(user.id, state.last_seq);
  }
}

// The seeding connection to a PostgreSQL store commits without waiting for the WAL flush
// (synchronous_commit=off for this session only): two commits per user, each waiting for an
// fsync on a busy disk, made seeding 21,000 users take minutes. Seeding is set-up, not the
// measurement; the server's own connections (the plain location) keep synchronous commits.
std::string seeding_location(const std::string& store) {
  if (store.rfind("postgresql://", 0) != 0 && store.rfind("postgres://", 0) != 0) return store;
  return store + (store.find('?') == std::string::npos ? "?" : "&") + "options=-c%20synchronous_commit%3Doff";
}

}  // namespace

std::vector<SeededUser> seed_users(const std::string& data_dir, std::size_t count,
                                   const std::vector<std::pair<std::size_t, std::size_t>>& friendships,
                                   const std::string& store) {
  if (sodium_init() < 0) throw BenchError("libsodium failed to initialise");
  const auto started = std::chrono::steady_clock::now();
  if (!store.empty()) {
    // One store serves every case of a run: emails must differ from the earlier cases'.
    std::vector<SeededUser> users;
    users.reserve(count);
    try {
      seed_into(seeding_location(store), "r" + std::to_string(randombytes_uniform(1000000)) + "-", count, friendships, users);
    } catch (const std::exception& e) {
      throw BenchError(std::string("seeding the store failed: ") + e.what());
    }
    std::fprintf(stderr, "seeded %zu users, %zu friendships in %.2f s\n", count, friendships.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return users;
  }
  const fs::path target = fs::path(data_dir) / "occhat.db";
  // Every Store call is its own synchronous=FULL transaction (one fsync each) and the Store API
  // has no batch call, so seeding tens of thousands of users on disk would take minutes. Seed
  // on tmpfs (fsync is free there) and copy the closed database (WAL checkpointed on close)
  // into the data dir: the server then opens a normal database on the real disk.
  fs::path stage_dir;
  std::error_code ec;
  if (fs::is_directory("/dev/shm", ec)) {
    char tmpl[] = "/dev/shm/occhat-bench-seed-XXXXXX";
    if (::mkdtemp(tmpl)) stage_dir = tmpl;
  }
  std::vector<SeededUser> users;
  users.reserve(count);
  try {
    if (stage_dir.empty()) {
      seed_into("sqlite:" + target.string(), "", count, friendships, users);
    } else {
      seed_into("sqlite:" + (stage_dir / "occhat.db").string(), "", count, friendships, users);
      for (const auto& entry : fs::directory_iterator(stage_dir)) {
        fs::copy_file(entry.path(), fs::path(data_dir) / entry.path().filename(), fs::copy_options::overwrite_existing);
      }
      fs::remove_all(stage_dir, ec);
    }
  } catch (const std::exception& e) {
    if (!stage_dir.empty()) fs::remove_all(stage_dir, ec);
    throw BenchError(std::string("seeding the store failed: ") + e.what());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "seeded %zu users, %zu friendships in %.2f s\n", count, friendships.size(), seconds);
  return users;
}

}  // namespace occhat::bench

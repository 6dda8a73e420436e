// files: upload and download one large file with the SDK (what a user gets), download it raw to
// /dev/null (the protocol's ceiling), and interrupt and resume a download.

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "bench_error.hpp"
#include "json_out.hpp"
#include "occhat/client.hpp"
#include "occhat/proto/sha256.hpp"
#include "raw_download.hpp"
#include "relay_client.hpp"
#include "seed.hpp"
#include "subcommands.hpp"
#include "work_dir.hpp"

namespace occhat::bench {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBlock = 1024 * 1024;

// Random bytes (incompressible, so nothing on the way can cheat), hashed as they are written.
proto::Sha256Digest make_file(const std::string& path, std::uint64_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw BenchError("cannot create " + path);
  std::string block(kBlock, '\0');
  proto::Sha256 hash;
  for (std::uint64_t done = 0; done < size;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, size - done));
    randombytes_buf(block.data(), n);
    hash.update(std::string_view(block.data(), n));
    for (std::size_t off = 0; off < n;) {
      const auto w = ::write(fd, block.data() + off, n - off);
      if (w <= 0) {
        ::close(fd);
        throw BenchError("cannot write " + path + " (disk full?)");
      }
      off += static_cast<std::size_t>(w);
    }
    done += n;
  }
  ::close(fd);
  return hash.finish();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double mb_per_s(std::uint64_t bytes, double seconds) { return static_cast<double>(bytes) / 1e6 / seconds; }

// Thrown from the progress callback: the SDK aborts the transfer and keeps it resumable.
struct Interrupt {};

std::unique_ptr<Client> sdk_client(std::uint16_t port, const std::string& token) {
  Client::Options options;
  options.request_timeout = std::chrono::milliseconds(60000);
  auto client = std::make_unique<Client>(options);
  client->connect("127.0.0.1:" + std::to_string(port));
  client->resume(token, false);
  return client;
}

}  // namespace

void run_files(const CommonOptions& common, FilesOptions options) {
  if (common.quick) options.size_mib = std::min<std::uint64_t>(options.size_mib, 128);
  if (options.size_mib == 0) throw BenchError("--size-mib must be at least 1");
  if (sodium_init() < 0) throw BenchError("libsodium failed to initialise");
  const std::uint64_t size = options.size_mib * 1024 * 1024;
  WorkDir work(common.work_dir, common.keep);
  const std::string dir = work.fresh_subdir("files");
  const auto users = seed_users(dir + "/data", 2, {{0, 1}}, common.store);
  harness::ServerProcess server(server_config(common, dir));

  std::fprintf(stderr, "files: writing a %llu MiB random file\n", static_cast<unsigned long long>(options.size_mib));
  const std::string source = dir + "/source.bin";
  const auto sha256 = make_file(source, size);
  const std::uint32_t chunk = raw_begin_upload({server.port(), users[0].token}, users[1].id, "bench.bin", size, sha256);

  try {
    // Upload (the SDK hashes the file first, then streams it; the user waits for both).
    auto sender = sdk_client(server.port(), users[0].token);
    auto start = std::chrono::steady_clock::now();
    const auto uploaded = sender->upload_file(users[1].id, source, std::string("bench.bin"));
    const double upload_s = seconds_since(start);
    const FileId file_id = uploaded.file.id;
    std::fprintf(stderr, "files: upload %.1f MB/s\n", mb_per_s(size, upload_s));
    sender.reset();
    fs::remove(source);

    // Download to disk with the SDK (written, fsynced and SHA-256-checked before it returns).
    auto recipient = sdk_client(server.port(), users[1].token);
    const std::string target = dir + "/download.bin";
    start = std::chrono::steady_clock::now();
    recipient->download_file(file_id, target);
    const double disk_s = seconds_since(start);
    fs::remove(target);
    std::fprintf(stderr, "files: download to disk %.1f MB/s\n", mb_per_s(size, disk_s));

    // Download to nowhere over the raw protocol, with the SDK's window (4 chunks).
    const double null_s = raw_download_null({server.port(), users[1].token}, file_id, chunk, 4);
    std::fprintf(stderr, "files: download to /dev/null %.1f MB/s\n", mb_per_s(size, null_s));

    // Resume: interrupt a download half way, then continue it.
    const std::string resumed = dir + "/resume.bin";
    try {
      recipient->download_file(file_id, resumed, false, [size](std::uint64_t done, std::uint64_t) {
        if (done >= size / 2) throw Interrupt{};
      });
      throw BenchError("the interrupted download was not interrupted");
    } catch (const Interrupt&) {
    }
    start = std::chrono::steady_clock::now();
    const auto result = recipient->download_file(file_id, resumed, true);
    const double resume_s = seconds_since(start);
    fs::remove(resumed);
    const auto resent = static_cast<std::int64_t>(result.bytes_received) -
                        static_cast<std::int64_t>(size - result.resumed_from);
    std::fprintf(stderr, "files: resumed from %llu of %llu, %llu bytes transferred, %.1f MB/s (server %s)\n",
                 static_cast<unsigned long long>(result.resumed_from), static_cast<unsigned long long>(size),
                 static_cast<unsigned long long>(result.bytes_received), mb_per_s(result.bytes_received, resume_s),
                 server.running() ? "running" : "exited");
    recipient.reset();
    server.stop();
    emit_result("files", "1file", {{"size_bytes", size}, {"chunk_bytes", chunk}},
                {{"upload_mb_s", round_to(mb_per_s(size, upload_s), 1)},
                 {"download_null_mb_s", round_to(mb_per_s(size, null_s), 1)},
                 {"download_disk_mb_s", round_to(mb_per_s(size, disk_s), 1)},
                 {"resume_resent_bytes", resent},
                 {"resume_mb_s", round_to(mb_per_s(result.bytes_received, resume_s), 1)}});
  } catch (const occhat::Error& e) {
    throw BenchError(std::string("SDK call failed: ") + e.what() + " (server " +
                     (server.running() ? std::string("running") : std::string("exited")) + "; see " + dir +
                     "/server.log)");
  }
}

}  // namespace occhat::bench

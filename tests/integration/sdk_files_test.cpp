// occhat::Client file calls against a real occhat-server process: upload, download, both
// resumable, the .part/.part.meta/.corrupt protocol, file history, access control, "file" events.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "occhat/client.hpp"
#include "occhat/proto/sha256.hpp"
#include "server_process.hpp"

namespace occhat {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::ServerProcess;
using test::error_of;

constexpr const char* kPassword = "correct horse battery";
constexpr std::uint64_t kMiB = 1024 * 1024;

// Thrown by a progress callback to cut a transfer off, as a killed client would.
struct Interrupted {};

std::string sha256_hex(const std::string& path) { return proto::to_hex(proto::sha256_file(path)); }

// `size` pseudo-random bytes, written 1 MiB at a time.
void write_random_file(const std::string& path, std::uint64_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<std::uint64_t> block(kMiB / 8);
  for (std::uint64_t done = 0; done < size;) {
    for (auto& word : block) word = rng();
    const auto n = std::min<std::uint64_t>(kMiB, size - done);
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    done += n;
  }
  ASSERT_TRUE(out.good());
}

std::uint64_t file_size(const std::string& path) { return static_cast<std::uint64_t>(fs::file_size(path)); }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Records progress calls; optionally throws Interrupted once `done` reaches `stop_at`.
struct ProgressLog {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  std::uint64_t stop_at = UINT64_MAX;

  ProgressCallback callback() {
    return [this](std::uint64_t done, std::uint64_t total) {
      calls.emplace_back(done, total);
      if (done >= stop_at && done < total) throw Interrupted{};
    };
  }
  void expect_monotonic_to(std::uint64_t size) const {
    ASSERT_FALSE(calls.empty());
    for (std::size_t i = 0; i < calls.size(); ++i) {
      EXPECT_EQ(calls[i].second, size);
      if (i > 0) {
        EXPECT_GE(calls[i].first, calls[i - 1].first);
      }
    }
    EXPECT_EQ(calls.back().first, size);
  }
};

class SdkFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/occhat-files-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    alice_id_ = new_user("alice");
    bob_id_ = new_user("bob");
    alice_ = logged_in(alice_id_);
    bob_ = logged_in(bob_id_);
    ASSERT_EQ(alice_->add_friend(bob_id_).state, AddFriendState::requested);
    ASSERT_EQ(bob_->add_friend(alice_id_).state, AddFriendState::now_friends);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Client> connected() {
    auto client = std::make_unique<Client>();
    client->connect(server_.address());
    return client;
  }

  UserId new_user(const std::string& nick) {
    return connected()->register_user(nick + "@example.org", nick, kPassword);
  }

  std::unique_ptr<Client> logged_in(UserId id, bool announce_presence = false) {
    auto client = connected();
    client->login(id, kPassword, announce_presence);
    return client;
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // A random file of `size` bytes sent from alice to bob.
  UploadResult send_random(const std::string& name, std::uint64_t size, std::uint64_t seed = 1) {
    write_random_file(path(name), size, seed);
    return alice_->upload_file(bob_id_, path(name));
  }

  ServerProcess server_;
  std::string dir_;
  UserId alice_id_ = 0;
  UserId bob_id_ = 0;
  std::unique_ptr<Client> alice_;
  std::unique_ptr<Client> bob_;
};

TEST_F(SdkFilesTest, UploadThenDownloadRandom20MiB) {
  const std::uint64_t size = 20 * kMiB + 12345;  // not a whole number of chunks
  write_random_file(path("big.bin"), size, 42);
  ProgressLog up;
  const auto uploaded = alice_->upload_file(bob_id_, path("big.bin"), {}, up.callback());
  up.expect_monotonic_to(size);
  EXPECT_EQ(uploaded.resumed_from, 0u);
  EXPECT_EQ(uploaded.bytes_sent, size);
  EXPECT_GT(uploaded.file.id, 0u);
  EXPECT_EQ(uploaded.file.name, "big.bin");
  EXPECT_EQ(uploaded.file.size, size);
  EXPECT_EQ(uploaded.file.sha256, sha256_hex(path("big.bin")));
  EXPECT_EQ(uploaded.file.sender, alice_id_);
  EXPECT_EQ(uploaded.file.recipient, bob_id_);
  EXPECT_EQ(uploaded.file.state, "available");

  ProgressLog down;
  const auto downloaded = bob_->download_file(uploaded.file.id, path("copy.bin"), false, down.callback());
  down.expect_monotonic_to(size);
  EXPECT_EQ(downloaded.path, path("copy.bin"));
  EXPECT_EQ(downloaded.resumed_from, 0u);
  EXPECT_EQ(downloaded.bytes_received, size);
  EXPECT_EQ(downloaded.file.id, uploaded.file.id);
  EXPECT_EQ(sha256_hex(path("copy.bin")), uploaded.file.sha256);
  EXPECT_FALSE(fs::exists(path("copy.bin.part")));
  EXPECT_FALSE(fs::exists(path("copy.bin.part.meta")));
  EXPECT_FALSE(fs::exists(path("copy.bin.corrupt")));

  // The sender may download its own file too, under another name.
  const auto again = alice_->download_file(uploaded.file.id, path("mine.bin"));
  EXPECT_EQ(sha256_hex(path("mine.bin")), uploaded.file.sha256);
  EXPECT_EQ(again.bytes_received, size);
}

TEST_F(SdkFilesTest, ZeroByteFile) {
  ProgressLog up;
  write_random_file(path("empty"), 0, 1);
  const auto uploaded = alice_->upload_file(bob_id_, path("empty"), "nothing", up.callback());
  up.expect_monotonic_to(0);
  EXPECT_EQ(uploaded.file.size, 0u);
  EXPECT_EQ(uploaded.file.name, "nothing");
  EXPECT_EQ(uploaded.bytes_sent, 0u);
  EXPECT_EQ(uploaded.file.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  ProgressLog down;
  const auto downloaded = bob_->download_file(uploaded.file.id, path("empty.copy"), false, down.callback());
  down.expect_monotonic_to(0);
  EXPECT_EQ(downloaded.bytes_received, 0u);
  ASSERT_TRUE(fs::exists(path("empty.copy")));
  EXPECT_EQ(file_size(path("empty.copy")), 0u);
  EXPECT_FALSE(fs::exists(path("empty.copy.part")));
}

TEST_F(SdkFilesTest, DownloadResumesFromTruncatedPart) {
  const std::uint64_t size = 10 * kMiB + 777;
  const auto file = send_random("f.bin", size).file;
  const std::string out = path("out.bin");

  ProgressLog cut;
  cut.stop_at = size / 2;
  EXPECT_THROW(bob_->download_file(file.id, out, false, cut.callback()), Interrupted);
  ASSERT_TRUE(fs::exists(out + ".part"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(read_text(out + ".part.meta"),
            std::to_string(file.id) + " " + file.sha256 + " " + std::to_string(size) + "\n");
  EXPECT_GE(file_size(out + ".part"), size / 2);

  // Not at a chunk boundary, as after a crash mid-write.
  const std::uint64_t kept = 3 * kMiB + 1234;
  fs::resize_file(out + ".part", kept);
  ProgressLog rest;
  const auto resumed = bob_->download_file(file.id, out, true, rest.callback());
  rest.expect_monotonic_to(size);
  EXPECT_EQ(rest.calls.front().first, kept);
  EXPECT_EQ(resumed.resumed_from, kept);
  EXPECT_EQ(resumed.bytes_received, size - kept);
  EXPECT_EQ(sha256_hex(out), file.sha256);
  EXPECT_FALSE(fs::exists(out + ".part"));
  EXPECT_FALSE(fs::exists(out + ".part.meta"));
}

TEST_F(SdkFilesTest, DownloadWithoutResumeStartsOver) {
  const std::uint64_t size = 3 * kMiB;
  const auto file = send_random("f.bin", size).file;
  const std::string out = path("out.bin");
  ProgressLog cut;
  cut.stop_at = 1;
  EXPECT_THROW(bob_->download_file(file.id, out, false, cut.callback()), Interrupted);
  ASSERT_GT(file_size(out + ".part"), 0u);
  const auto result = bob_->download_file(file.id, out, false);
  EXPECT_EQ(result.resumed_from, 0u);
  EXPECT_EQ(result.bytes_received, size);
  EXPECT_EQ(sha256_hex(out), file.sha256);
}

TEST_F(SdkFilesTest, ResumeWithOtherValidatorStartsOver) {
  const std::uint64_t size = 4 * kMiB + 5;
  const auto file = send_random("f.bin", size).file;
  const std::string out = path("out.bin");
  // A .part of some other file (other SHA-256) must not be continued.
  write_random_file(out + ".part", 2 * kMiB, 99);
  {
    std::ofstream meta(out + ".part.meta");
    meta << file.id << " " << std::string(64, '0') << " " << size << "\n";
  }
  const auto result = bob_->download_file(file.id, out, true);
  EXPECT_EQ(result.resumed_from, 0u);
  EXPECT_EQ(result.bytes_received, size);
  EXPECT_EQ(sha256_hex(out), file.sha256);

  // Without any meta file a .part is not trusted either.
  write_random_file(path("out2.bin.part"), kMiB, 98);
  const auto second = bob_->download_file(file.id, path("out2.bin"), true);
  EXPECT_EQ(second.resumed_from, 0u);
  EXPECT_EQ(sha256_hex(path("out2.bin")), file.sha256);

  // A .part longer than the file starts over too.
  const auto first = bob_->download_file(file.id, path("out3.bin"), false);
  ASSERT_EQ(first.bytes_received, size);
  write_random_file(path("out3.bin.part"), size + 10, 97);
  {
    std::ofstream meta(path("out3.bin.part.meta"));
    meta << file.id << " " << file.sha256 << " " << size << "\n";
  }
  const auto third = bob_->download_file(file.id, path("out3.bin"), true);
  EXPECT_EQ(third.resumed_from, 0u);
  EXPECT_EQ(sha256_hex(path("out3.bin")), file.sha256);
}

TEST_F(SdkFilesTest, CorruptedPartEndsInIntegrityErrorAndIsKeptAside) {
  const std::uint64_t size = 6 * kMiB + 3;
  const auto file = send_random("f.bin", size).file;
  const std::string out = path("out.bin");
  ProgressLog cut;
  cut.stop_at = size / 2;
  EXPECT_THROW(bob_->download_file(file.id, out, false, cut.callback()), Interrupted);
  const auto kept = file_size(out + ".part");
  ASSERT_GT(kept, 1000u);
  {
    std::fstream part(out + ".part", std::ios::in | std::ios::out | std::ios::binary);
    part.seekg(1000);
    char c = 0;
    part.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    part.seekp(1000);
    part.write(&c, 1);
  }
  const auto error = error_of([&] { bob_->download_file(file.id, out, true); });
  EXPECT_EQ(error.code(), ErrorCode::integrity);
  EXPECT_NE(std::string(error.what()).find(out + ".corrupt"), std::string::npos) << error.what();
  EXPECT_TRUE(fs::exists(out + ".corrupt"));
  EXPECT_EQ(file_size(out + ".corrupt"), size);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".part"));
  EXPECT_FALSE(fs::exists(out + ".part.meta"));

  // A fresh download then succeeds.
  bob_->download_file(file.id, out, true);
  EXPECT_EQ(sha256_hex(out), file.sha256);
}

// The download directory may be writable by someone else (issue 12, item 6): an entry at
// <path>.part or <path>.part.meta that the SDK did not make is refused, never followed.
TEST_F(SdkFilesTest, PlantedSymlinksAreRefusedNotFollowed) {
  const auto file = send_random("f.bin", 3 * kMiB + 7).file;
  const std::string victim = path("victim");
  {
    std::ofstream(victim) << "precious\n";
  }
  for (const char* suffix : {".part", ".part.meta"}) {
    for (const bool resume : {false, true}) {
      const std::string out = path("out.bin");
      fs::create_symlink(victim, out + suffix);
      const auto error = error_of([&] { bob_->download_file(file.id, out, resume); });
      EXPECT_EQ(error.code(), ErrorCode::invalid_argument);
      EXPECT_EQ(std::string(error.what()), "cannot write " + out + suffix +
                                     ": it is a symbolic link (not followed, left as it is; remove it to "
                                     "download here)");
      EXPECT_EQ(read_text(victim), "precious\n");
      EXPECT_TRUE(fs::is_symlink(out + suffix));
      EXPECT_FALSE(fs::exists(fs::symlink_status(out)));
      fs::remove(out + suffix);
      std::error_code ec;
      fs::remove(out + ".part", ec);
      fs::remove(out + ".part.meta", ec);
    }
  }
  // Our own interrupted part is still resumed as before.
  const std::string out = path("mine.bin");
  ProgressLog cut;
  cut.stop_at = kMiB;
  EXPECT_THROW(bob_->download_file(file.id, out, false, cut.callback()), Interrupted);
  const auto resumed = bob_->download_file(file.id, out, true);
  EXPECT_GT(resumed.resumed_from, 0u);
  EXPECT_EQ(sha256_hex(out), file.sha256);
}

// Someone swaps <path>.part for a link while the bytes arrive: the link must not become <path>.
TEST_F(SdkFilesTest, PartSwappedDuringDownloadIsNotRenamedIntoPlace) {
  const auto file = send_random("f.bin", 3 * kMiB + 7).file;
  const std::string victim = path("victim");
  {
    std::ofstream(victim) << "precious\n";
  }
  const std::string out = path("out.bin");
  bool swapped = false;
  const auto error = error_of([&] {
    bob_->download_file(file.id, out, false, [&](std::uint64_t done, std::uint64_t) {
      if (done > 0 && !swapped) {
        fs::rename(out + ".part", path("moved-away"));
        fs::create_symlink(victim, out + ".part");
        swapped = true;
      }
    });
  });
  ASSERT_TRUE(swapped);
  EXPECT_EQ(error.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(std::string(error.what()), "cannot write " + out +
                                 ".part: it was replaced by something else during the download (not followed, "
                                 "left as it is; remove it to download here)");
  EXPECT_EQ(read_text(victim), "precious\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(out)));
  EXPECT_TRUE(fs::is_symlink(out + ".part"));
}

TEST_F(SdkFilesTest, InterruptedUploadResumesFromServerOffset) {
  const std::uint64_t size = 12 * kMiB + 99;
  write_random_file(path("up.bin"), size, 7);
  ProgressLog cut;
  cut.stop_at = size / 2;
  EXPECT_THROW(alice_->upload_file(bob_id_, path("up.bin"), "half", cut.callback()), Interrupted);

  // The unfinished upload is listed as uploading, and cannot be read yet.
  const auto listed = bob_->files(alice_id_);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state, "uploading");
  EXPECT_EQ(listed[0].name, "half");
  EXPECT_EQ(listed[0].size, size);
  EXPECT_EQ(error_of([&] { bob_->download_file(listed[0].id, path("early.bin")); }).code(), ErrorCode::conflict);

  ProgressLog rest;
  const auto result = alice_->upload_file(bob_id_, path("up.bin"), "whole", rest.callback());
  rest.expect_monotonic_to(size);
  EXPECT_GE(result.resumed_from, size / 2);
  EXPECT_LT(result.resumed_from, size);
  EXPECT_EQ(result.bytes_sent, size - result.resumed_from);
  EXPECT_EQ(rest.calls.front().first, result.resumed_from);
  EXPECT_EQ(result.file.name, "whole");  // the re-run's name wins
  EXPECT_EQ(result.file.state, "available");
  std::printf("upload resumed at %llu of %llu bytes; sent %llu\n",
              static_cast<unsigned long long>(result.resumed_from), static_cast<unsigned long long>(size),
              static_cast<unsigned long long>(result.bytes_sent));

  const auto files = bob_->files(alice_id_);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].state, "available");
  bob_->download_file(result.file.id, path("down.bin"));
  EXPECT_EQ(sha256_hex(path("down.bin")), sha256_hex(path("up.bin")));
}

TEST_F(SdkFilesTest, FilesListsBothDirectionsOldestFirst) {
  const auto one = send_random("one.txt", 100, 1).file;
  write_random_file(path("two.txt"), 200, 2);
  const auto two = bob_->upload_file(alice_id_, path("two.txt")).file;
  for (Client* c : {alice_.get(), bob_.get()}) {
    const UserId peer = c == alice_.get() ? bob_id_ : alice_id_;
    for (UserId filter : {peer, UserId{0}}) {
      const auto files = c->files(filter);
      ASSERT_EQ(files.size(), 2u);
      EXPECT_EQ(files[0].id, one.id);
      EXPECT_EQ(files[0].sender, alice_id_);
      EXPECT_EQ(files[0].sender_nick, "alice");
      EXPECT_EQ(files[0].recipient, bob_id_);
      EXPECT_EQ(files[0].size, 100u);
      EXPECT_EQ(files[0].name, "one.txt");
      EXPECT_EQ(files[0].state, "available");
      EXPECT_EQ(files[0].sha256, one.sha256);
      EXPECT_EQ(files[1].id, two.id);
      EXPECT_EQ(files[1].sender, bob_id_);
      EXPECT_EQ(files[1].recipient, alice_id_);
    }
  }
  const auto info = bob_->file_info(one.id);
  EXPECT_EQ(info.name, "one.txt");
  EXPECT_EQ(info.sha256, one.sha256);
  EXPECT_GT(info.time_ms, 1'600'000'000'000);
}

TEST_F(SdkFilesTest, ThirdUserIsNotAllowed) {
  const auto file = send_random("secret.bin", 1000).file;
  const UserId carol_id = new_user("carol");
  auto carol = logged_in(carol_id);
  EXPECT_EQ(error_of([&] { carol->file_info(file.id); }).code(), ErrorCode::not_allowed);
  EXPECT_EQ(error_of([&] { carol->download_file(file.id, path("stolen")); }).code(), ErrorCode::not_allowed);
  EXPECT_FALSE(fs::exists(path("stolen")));
  EXPECT_FALSE(fs::exists(path("stolen.part")));
  EXPECT_TRUE(carol->files(alice_id_).empty());
  EXPECT_TRUE(carol->files().empty());
  EXPECT_EQ(error_of([&] { bob_->file_info(file.id + 1000); }).code(), ErrorCode::not_found);
  EXPECT_EQ(error_of([&] { bob_->download_file(file.id + 1000, path("none")); }).code(), ErrorCode::not_found);
  // Not a friend: cannot start an upload.
  write_random_file(path("x"), 10, 3);
  EXPECT_EQ(error_of([&] { carol->upload_file(alice_id_, path("x")); }).code(), ErrorCode::not_allowed);
}

TEST_F(SdkFilesTest, UploadErrors) {
  const auto missing = error_of([&] { alice_->upload_file(bob_id_, path("missing")); });
  EXPECT_EQ(missing.code(), ErrorCode::invalid_argument);
  EXPECT_NE(std::string(missing.what()).find("cannot read " + path("missing")), std::string::npos) << missing.what();
  EXPECT_EQ(error_of([&] { alice_->upload_file(bob_id_, dir_); }).code(), ErrorCode::invalid_argument);
  auto guest = connected();
  write_random_file(path("x"), 10, 3);
  EXPECT_EQ(error_of([&] { guest->upload_file(bob_id_, path("x")); }).code(), ErrorCode::unauthenticated);
  // The connection stays usable after failures.
  EXPECT_EQ(send_random("ok.bin", 10).file.size, 10u);
}

TEST_F(SdkFilesTest, RecipientGetsFileEvent) {
  auto live = logged_in(bob_id_, true);
  live->subscribe(0);
  const auto file = send_random("hello.txt", 5000).file;
  std::optional<Event> file_event;
  for (auto event = live->next_event(10s); event; event = live->next_event(10s)) {
    if (event->type == "file") {
      file_event = std::move(event);
      break;
    }
  }
  ASSERT_TRUE(file_event.has_value());
  EXPECT_GT(file_event->seq, 0u);
  EXPECT_GT(file_event->time_ms, 1'600'000'000'000);
  EXPECT_EQ(file_event->user.id, alice_id_);
  EXPECT_EQ(file_event->user.nick, "alice");
  ASSERT_TRUE(file_event->file.has_value());
  EXPECT_EQ(file_event->file->id, file.id);
  EXPECT_EQ(file_event->file->name, "hello.txt");
  EXPECT_EQ(file_event->file->size, 5000u);
  EXPECT_EQ(file_event->file->sha256, file.sha256);
  EXPECT_EQ(file_event->file->sender, alice_id_);

  // The same item through fetch_inbox (the offline path).
  const auto page = bob_->fetch_inbox();
  bool found = false;
  for (const auto& e : page.events) {
    if (e.type == "file" && e.file && e.file->id == file.id) {
      found = true;
      EXPECT_EQ(e.seq, file_event->seq);
      EXPECT_EQ(e.user.id, alice_id_);
    }
  }
  EXPECT_TRUE(found);
}

// Throughput on loopback; run with --gtest_also_run_disabled_tests (OCCHAT_BENCH_MIB sets the size).
TEST_F(SdkFilesTest, DISABLED_Throughput) {
  const char* env = std::getenv("OCCHAT_BENCH_MIB");
  const std::uint64_t size = (env ? std::strtoull(env, nullptr, 10) : 200) * kMiB;
  write_random_file(path("bench.bin"), size, 5);
  // When the last byte was acknowledged / written, to tell streaming from the final checks.
  std::chrono::steady_clock::time_point up_streamed, down_streamed;
  auto mark = [size](std::chrono::steady_clock::time_point& at) {
    return [&at, size](std::uint64_t done, std::uint64_t) {
      if (done == size) at = std::chrono::steady_clock::now();
    };
  };
  auto t0 = std::chrono::steady_clock::now();
  const auto up = alice_->upload_file(bob_id_, path("bench.bin"), {}, mark(up_streamed));
  auto t1 = std::chrono::steady_clock::now();
  const auto down = bob_->download_file(up.file.id, path("bench.out"), false, mark(down_streamed));
  auto t2 = std::chrono::steady_clock::now();
  auto ms = [](auto d) { return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); };
  std::printf("upload: %lld ms to the last chunk, %lld ms finishing; download: %lld ms streaming, %lld ms verifying\n",
              ms(up_streamed - t0), ms(t1 - up_streamed), ms(down_streamed - t1), ms(t2 - down_streamed));
  EXPECT_EQ(sha256_hex(path("bench.out")), up.file.sha256);
  auto mbps = [&](auto d) { return static_cast<double>(size) / 1e6 / std::chrono::duration<double>(d).count(); };
  std::printf("%llu MiB: upload %.1f MB/s (incl. client hash), download %.1f MB/s (incl. final hash)\n",
              static_cast<unsigned long long>(size / kMiB), mbps(t1 - t0), mbps(t2 - t1));
  EXPECT_EQ(down.bytes_received, size);
}

}  // namespace
}  // namespace occhat

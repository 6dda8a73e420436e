// File transfer on a real occhat-server process with hand-built frames: uploads in chunks,
// resume, integrity, access rules, limits, hostile names, pushes.

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include "occhat/proto/sha256.hpp"
#include "raw_client.hpp"
#include "raw_peer.hpp"
#include "server_process.hpp"

namespace {

using namespace occhat::test;
using occhat::ErrorCode;
namespace fs = std::filesystem;

using Peer = RawPeer;

std::string random_bytes(std::size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string sha_of(const std::string& data) {
  proto::Sha256 h;
  h.update(data);
  const auto d = h.finish();
  return std::string(d.begin(), d.end());
}

constexpr std::size_t kChunk = 1024 * 1024;

// Sends data[from..] in chunks; returns the finish answer.
wire::Envelope upload_rest(Peer& p, std::uint64_t id, const std::string& data, std::uint64_t from) {
  for (std::uint64_t off = from; off < data.size(); off += kChunk) {
    const auto r = p.call(rq::upload_chunk(id, off, data.substr(off, kChunk)));
    EXPECT_TRUE(r.has_upload_state()) << r.ShortDebugString();
    EXPECT_EQ(r.upload_state().offset(), std::min<std::uint64_t>(off + kChunk, data.size()));
  }
  return p.call(rq::finish_upload(id));
}

std::string download(Peer& p, std::uint64_t id, std::uint64_t size) {
  std::string out;
  while (out.size() < size) {
    const auto r = p.call(rq::read_file(id, out.size(), kChunk));
    EXPECT_TRUE(r.has_file_chunk()) << r.ShortDebugString();
    if (!r.has_file_chunk() || r.file_chunk().data().empty()) break;
    out += r.file_chunk().data();
  }
  return out;
}

TEST(RawFiles, UploadInChunksReadBackAndPush) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  befriend(a, alice, b, bob);
  ASSERT_TRUE(b.call(rq::subscribe(1)).has_ok());
  const auto data = random_bytes(3 * kChunk + 123);
  const auto begun = a.call(rq::begin_upload(bob, "data.bin", data.size(), sha_of(data)));
  ASSERT_TRUE(begun.has_upload_state()) << begun.ShortDebugString();
  EXPECT_EQ(begun.upload_state().offset(), 0u);
  EXPECT_EQ(begun.upload_state().chunk_size(), kChunk);
  const auto id = begun.upload_state().upload_id();
  // Reads of an unfinished file: CONFLICT; the list shows it uploading.
  EXPECT_EQ(code_of(b.call(rq::read_file(id, 0, 10))), ErrorCode::conflict);
  ASSERT_EQ(b.call(rq::list_files(alice)).file_list().files_size(), 1);
  EXPECT_EQ(b.call(rq::list_files(alice)).file_list().files(0).state(), wire::FileInfo::UPLOADING);
  // Wrong offset: CONFLICT.
  EXPECT_EQ(code_of(a.call(rq::upload_chunk(id, 5, "xyz"))), ErrorCode::conflict);
  const auto done = upload_rest(a, id, data, 0);
  ASSERT_TRUE(done.has_file_info()) << done.ShortDebugString();
  EXPECT_EQ(done.file_info().id(), id);
  EXPECT_EQ(download(b, id, data.size()), data);
  EXPECT_EQ(download(a, id, data.size()), data);
  const auto listed = b.call(rq::list_files(alice));
  ASSERT_EQ(listed.file_list().files_size(), 1);
  EXPECT_EQ(listed.file_list().files(0).state(), wire::FileInfo::AVAILABLE);
  // The subscribed recipient got the file notice.
  std::optional<wire::Envelope> push;
  for (int i = 0; i < 5; ++i) {
    push = b.next_push();
    if (!push || push->has_inbox_items()) break;
  }
  ASSERT_TRUE(push && push->has_inbox_items());
  ASSERT_TRUE(push->inbox_items().items(0).has_file());
  EXPECT_EQ(push->inbox_items().items(0).file().file().id(), id);
  EXPECT_EQ(push->inbox_items().items(0).file().file().name(), "data.bin");
}

TEST(RawFiles, ResumeIntegrityAccessAndLimits) {
  ServerProcess server({}, {"--max-file-size", "10000000"});
  Peer a(server), b(server), c(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  sign_up(c, "carol");
  befriend(a, alice, b, bob);
  const auto data = random_bytes(2 * kChunk + 7);
  std::uint64_t id = 0;
  {
    Peer first(server);
    ASSERT_TRUE(first.call(rq::login(alice, kPassword)).has_login_ok());
    id = first.call(rq::begin_upload(bob, "r.bin", data.size(), sha_of(data))).upload_state().upload_id();
    ASSERT_TRUE(first.call(rq::upload_chunk(id, 0, data.substr(0, kChunk))).has_upload_state());
  }  // disconnects halfway
  const auto again = a.call(rq::begin_upload(bob, "r2.bin", data.size(), sha_of(data)));
  EXPECT_EQ(again.upload_state().upload_id(), id);
  EXPECT_EQ(again.upload_state().offset(), kChunk);
  ASSERT_TRUE(upload_rest(a, id, data, kChunk).has_file_info());
  EXPECT_EQ(download(b, id, data.size()), data);
  EXPECT_EQ(b.call(rq::get_file(id)).file_info().name(), "r2.bin");

  // Third user: NOT_ALLOWED, and lists nothing.
  EXPECT_EQ(code_of(c.call(rq::get_file(id))), ErrorCode::not_allowed);
  EXPECT_EQ(code_of(c.call(rq::read_file(id, 0, 10))), ErrorCode::not_allowed);
  EXPECT_EQ(c.call(rq::list_files(0)).file_list().files_size(), 0);
  EXPECT_EQ(code_of(c.call(rq::get_file(999999))), ErrorCode::not_found);
  // Non-friend begin.
  EXPECT_EQ(code_of(c.call(rq::begin_upload(alice, "x", 1, sha_of("x")))), ErrorCode::not_allowed);
  // Over the limit.
  EXPECT_EQ(code_of(a.call(rq::begin_upload(bob, "big", 10000001, sha_of("x")))), ErrorCode::resource_exhausted);

  // Bad sha: INTEGRITY and nothing listed.
  const auto before = b.call(rq::list_files(alice)).file_list().files_size();
  const auto bad = a.call(rq::begin_upload(bob, "bad", 5, sha_of("other")));
  const auto bad_id = bad.upload_state().upload_id();
  ASSERT_TRUE(a.call(rq::upload_chunk(bad_id, 0, "hello")).has_upload_state());
  EXPECT_EQ(code_of(a.call(rq::finish_upload(bad_id))), ErrorCode::integrity);
  EXPECT_EQ(b.call(rq::list_files(alice)).file_list().files_size(), before);

  // 0-byte file.
  const auto empty = a.call(rq::begin_upload(bob, "", 0, sha_of("")));
  const auto empty_done = a.call(rq::finish_upload(empty.upload_state().upload_id()));
  ASSERT_TRUE(empty_done.has_file_info()) << empty_done.ShortDebugString();
  EXPECT_EQ(empty_done.file_info().name(), "unnamed");
  EXPECT_EQ(empty_done.file_info().size(), 0u);
  const auto read = b.call(rq::read_file(empty_done.file_info().id(), 0, 100));
  ASSERT_TRUE(read.has_file_chunk());
  EXPECT_TRUE(read.file_chunk().data().empty());
}

TEST(RawFiles, HostileNamesAreTextOnly) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  befriend(a, alice, b, bob);
  const std::string marker = "occhat-hostile-marker";
  const std::vector<std::pair<std::string, std::string>> names = {
      {"../../" + marker + "1", "../../" + marker + "1"},
      {"/tmp/" + marker + "2", "/tmp/" + marker + "2"},
      {"a\\" + marker + "3", "a\\" + marker + "3"},
      {std::string("x\x01y\xff", 4), "x\xEF\xBF\xBDy\xEF\xBF\xBD"},
      {std::string(300, 'n'), std::string(255, 'n')},
  };
  for (const auto& [name, shown] : names) {
    const std::string data = "content of " + name;
    const auto begun = a.call(rq::begin_upload(bob, name, data.size(), sha_of(data)));
    ASSERT_TRUE(begun.has_upload_state()) << begun.ShortDebugString();
    const auto done = upload_rest(a, begun.upload_state().upload_id(), data, 0);
    ASSERT_TRUE(done.has_file_info()) << done.ShortDebugString();
    EXPECT_EQ(done.file_info().name(), shown);
  }
  EXPECT_EQ(b.call(rq::list_files(alice)).file_list().files_size(), static_cast<int>(names.size()));
  // Nothing named like the hostile names anywhere in the data dir's parent or /tmp.
  for (const auto& root : {fs::path(server.data_dir()).parent_path(), fs::path("/tmp")}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      EXPECT_EQ(it->path().filename().string().find(marker), std::string::npos) << it->path();
      if (it.depth() > 3) it.disable_recursion_pending();
    }
  }
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(server.data_dir()) / "files")) {
    if (entry.is_regular_file()) {
      EXPECT_EQ(entry.path().filename().string().find_first_not_of("0123456789.part"), std::string::npos);
    }
  }
}

}  // namespace

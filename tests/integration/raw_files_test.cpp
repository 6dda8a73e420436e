// File transfer on a real occhat-server process with hand-built frames: uploads in chunks,
// resume, integrity, access rules, limits, hostile names, pushes.

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include "occhat/proto/sha256.hpp"
#include "raw_client.hpp"
#include "server_process.hpp"

namespace {

using namespace occhat::test;
using occhat::ErrorCode;
namespace fs = std::filesystem;

class Peer {
 public:
  explicit Peer(const ServerProcess& server) : client_(greeted(server)) {}
  wire::Envelope call(const wire::Envelope& body) {
    const std::uint32_t id = next_id_++;
    EXPECT_TRUE(client_->send(id, body));
    for (;;) {
      proto::Frame frame;
      if (client_->read_frame(frame) != RawClient::Read::frame) return {};
      if (frame.is_push()) {
        pushes_.push_back(std::move(frame.body));
        continue;
      }
      return frame.body;
    }
  }
  std::optional<wire::Envelope> next_push() {
    if (!pushes_.empty()) {
      auto b = pushes_.front();
      pushes_.pop_front();
      return b;
    }
    proto::Frame frame;
    if (client_->read_frame(frame) != RawClient::Read::frame) return std::nullopt;
    return frame.body;
  }
  std::uint32_t sign_up(const std::string& nick) {
    const auto r = call(register_body(nick + "@example.org", nick, kPassword));
    const auto id = r.register_response().user_id();
    EXPECT_TRUE(call(login_body(id, kPassword)).has_login_ok());
    return id;
  }

 private:
  std::unique_ptr<RawClient> client_;
  std::uint32_t next_id_ = 10;
  std::deque<wire::Envelope> pushes_;
};

void befriend(Peer& a, std::uint32_t a_id, Peer& b, std::uint32_t b_id) {
  wire::Envelope e1, e2;
  e1.mutable_add_friend_request()->set_user_id(b_id);
  e2.mutable_add_friend_request()->set_user_id(a_id);
  a.call(e1);
  ASSERT_EQ(b.call(e2).add_friend_result().state(), wire::AddFriendResult::NOW_FRIENDS);
}

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

wire::Envelope begin_body(std::uint32_t to, const std::string& name, std::uint64_t size, const std::string& sha) {
  wire::Envelope e;
  auto* r = e.mutable_begin_upload_request();
  r->set_to(to);
  r->set_name(name);
  r->set_size(size);
  r->set_sha256(sha);
  return e;
}
wire::Envelope chunk_body(std::uint64_t id, std::uint64_t offset, const std::string& data) {
  wire::Envelope e;
  e.mutable_upload_chunk()->set_upload_id(id);
  e.mutable_upload_chunk()->set_offset(offset);
  e.mutable_upload_chunk()->set_data(data);
  return e;
}
wire::Envelope finish_body(std::uint64_t id) {
  wire::Envelope e;
  e.mutable_finish_upload_request()->set_upload_id(id);
  return e;
}
wire::Envelope list_body(std::uint32_t peer) {
  wire::Envelope e;
  e.mutable_list_files_request()->set_peer(peer);
  return e;
}
wire::Envelope get_body(std::uint64_t id) {
  wire::Envelope e;
  e.mutable_get_file_request()->set_file_id(id);
  return e;
}
wire::Envelope read_body(std::uint64_t id, std::uint64_t offset, std::uint32_t length) {
  wire::Envelope e;
  e.mutable_read_file_request()->set_file_id(id);
  e.mutable_read_file_request()->set_offset(offset);
  e.mutable_read_file_request()->set_length(length);
  return e;
}

constexpr std::size_t kChunk = 1024 * 1024;

// Sends data[from..] in chunks; returns the finish answer.
wire::Envelope upload_rest(Peer& p, std::uint64_t id, const std::string& data, std::uint64_t from) {
  for (std::uint64_t off = from; off < data.size(); off += kChunk) {
    const auto r = p.call(chunk_body(id, off, data.substr(off, kChunk)));
    EXPECT_TRUE(r.has_upload_state()) << r.ShortDebugString();
    EXPECT_EQ(r.upload_state().offset(), std::min<std::uint64_t>(off + kChunk, data.size()));
  }
  return p.call(finish_body(id));
}

std::string download(Peer& p, std::uint64_t id, std::uint64_t size) {
  std::string out;
  while (out.size() < size) {
    const auto r = p.call(read_body(id, out.size(), kChunk));
    EXPECT_TRUE(r.has_file_chunk()) << r.ShortDebugString();
    if (!r.has_file_chunk() || r.file_chunk().data().empty()) break;
    out += r.file_chunk().data();
  }
  return out;
}

TEST(RawFiles, UploadInChunksReadBackAndPush) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = a.sign_up("alice");
  const auto bob = b.sign_up("bob");
  befriend(a, alice, b, bob);
  wire::Envelope sub;
  sub.mutable_subscribe_request()->set_after_seq(1);
  ASSERT_TRUE(b.call(sub).has_ok());
  const auto data = random_bytes(3 * kChunk + 123);
  const auto begun = a.call(begin_body(bob, "data.bin", data.size(), sha_of(data)));
  ASSERT_TRUE(begun.has_upload_state()) << begun.ShortDebugString();
  EXPECT_EQ(begun.upload_state().offset(), 0u);
  EXPECT_EQ(begun.upload_state().chunk_size(), kChunk);
  const auto id = begun.upload_state().upload_id();
  // Reads of an unfinished file: CONFLICT; the list shows it uploading.
  EXPECT_EQ(code_of(b.call(read_body(id, 0, 10))), ErrorCode::conflict);
  ASSERT_EQ(b.call(list_body(alice)).file_list().files_size(), 1);
  EXPECT_EQ(b.call(list_body(alice)).file_list().files(0).state(), wire::FileInfo::UPLOADING);
  // Wrong offset: CONFLICT.
  EXPECT_EQ(code_of(a.call(chunk_body(id, 5, "xyz"))), ErrorCode::conflict);
  const auto done = upload_rest(a, id, data, 0);
  ASSERT_TRUE(done.has_file_info()) << done.ShortDebugString();
  EXPECT_EQ(done.file_info().id(), id);
  EXPECT_EQ(download(b, id, data.size()), data);
  EXPECT_EQ(download(a, id, data.size()), data);
  const auto listed = b.call(list_body(alice));
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
  const auto alice = a.sign_up("alice");
  const auto bob = b.sign_up("bob");
  c.sign_up("carol");
  befriend(a, alice, b, bob);
  const auto data = random_bytes(2 * kChunk + 7);
  std::uint64_t id = 0;
  {
    Peer first(server);
    ASSERT_TRUE(first.call(login_body(alice, kPassword)).has_login_ok());
    id = first.call(begin_body(bob, "r.bin", data.size(), sha_of(data))).upload_state().upload_id();
    ASSERT_TRUE(first.call(chunk_body(id, 0, data.substr(0, kChunk))).has_upload_state());
  }  // disconnects halfway
  const auto again = a.call(begin_body(bob, "r2.bin", data.size(), sha_of(data)));
  EXPECT_EQ(again.upload_state().upload_id(), id);
  EXPECT_EQ(again.upload_state().offset(), kChunk);
  ASSERT_TRUE(upload_rest(a, id, data, kChunk).has_file_info());
  EXPECT_EQ(download(b, id, data.size()), data);
  EXPECT_EQ(b.call(get_body(id)).file_info().name(), "r2.bin");

  // Third user: NOT_ALLOWED, and lists nothing.
  EXPECT_EQ(code_of(c.call(get_body(id))), ErrorCode::not_allowed);
  EXPECT_EQ(code_of(c.call(read_body(id, 0, 10))), ErrorCode::not_allowed);
  EXPECT_EQ(c.call(list_body(0)).file_list().files_size(), 0);
  EXPECT_EQ(code_of(c.call(get_body(999999))), ErrorCode::not_found);
  // Non-friend begin.
  EXPECT_EQ(code_of(c.call(begin_body(alice, "x", 1, sha_of("x")))), ErrorCode::not_allowed);
  // Over the limit.
  EXPECT_EQ(code_of(a.call(begin_body(bob, "big", 10000001, sha_of("x")))), ErrorCode::resource_exhausted);

  // Bad sha: INTEGRITY and nothing listed.
  const auto before = b.call(list_body(alice)).file_list().files_size();
  const auto bad = a.call(begin_body(bob, "bad", 5, sha_of("other")));
  const auto bad_id = bad.upload_state().upload_id();
  ASSERT_TRUE(a.call(chunk_body(bad_id, 0, "hello")).has_upload_state());
  EXPECT_EQ(code_of(a.call(finish_body(bad_id))), ErrorCode::integrity);
  EXPECT_EQ(b.call(list_body(alice)).file_list().files_size(), before);

  // 0-byte file.
  const auto empty = a.call(begin_body(bob, "", 0, sha_of("")));
  const auto empty_done = a.call(finish_body(empty.upload_state().upload_id()));
  ASSERT_TRUE(empty_done.has_file_info()) << empty_done.ShortDebugString();
  EXPECT_EQ(empty_done.file_info().name(), "unnamed");
  EXPECT_EQ(empty_done.file_info().size(), 0u);
  const auto read = b.call(read_body(empty_done.file_info().id(), 0, 100));
  ASSERT_TRUE(read.has_file_chunk());
  EXPECT_TRUE(read.file_chunk().data().empty());
}

TEST(RawFiles, HostileNamesAreTextOnly) {
  ServerProcess server;
  Peer a(server), b(server);
  const auto alice = a.sign_up("alice");
  const auto bob = b.sign_up("bob");
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
    const auto begun = a.call(begin_body(bob, name, data.size(), sha_of(data)));
    ASSERT_TRUE(begun.has_upload_state()) << begun.ShortDebugString();
    const auto done = upload_rest(a, begun.upload_state().upload_id(), data, 0);
    ASSERT_TRUE(done.has_file_info()) << done.ShortDebugString();
    EXPECT_EQ(done.file_info().name(), shown);
  }
  EXPECT_EQ(b.call(list_body(alice)).file_list().files_size(), static_cast<int>(names.size()));
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

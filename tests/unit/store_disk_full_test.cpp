// A full disk under the database (issue 12 item 2): a write that fails with SQLITE_FULL/ENOSPC
// is StoreError(resource_exhausted, "server disk is full"), not INTERNAL, and the store works
// again as soon as there is room, without being reopened. The database lives on a small tmpfs
// mounted by the test (needs root, as in CI); otherwise the test is skipped.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "occhat/store/store.hpp"

namespace {

namespace fs = std::filesystem;
using occhat::ErrorCode;
using occhat::store::open_store;
using occhat::store::StoreError;
using occhat::store::TokenHash;

TEST(StoreDiskFull, FullDiskIsResourceExhaustedAndRecovers) {
  char tmpl[] = "/tmp/occhat-store-full-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=4m,mode=0700") != 0) {
    const std::string reason = std::strerror(errno);
    ::rmdir(dir.c_str());
    GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << reason;
  }
  {
    auto store = open_store(dir + "/occhat.db");
    ASSERT_TRUE(store->create_user(100001, "a@example.org", "alice", "hash"));
    {
      std::ofstream filler(dir + "/filler", std::ios::binary);
      const std::string block(4096, '\0');
      while (filler.write(block.data(), static_cast<std::streamsize>(block.size())).flush()) {
      }
    }
    bool full = false;
    for (std::uint32_t i = 0; i < 20000 && !full; ++i) {
      TokenHash token{};
      std::memcpy(token.data(), &i, sizeof i);
      try {
        store->create_session(100001, token);
      } catch (const StoreError& e) {
        EXPECT_EQ(e.code(), ErrorCode::resource_exhausted) << e.what();
        EXPECT_STREQ(e.what(), "server disk is full");
        full = true;
      }
    }
    EXPECT_TRUE(full) << "no write failed on a full disk";
    fs::remove(dir + "/filler");
    TokenHash token{};
    token.fill(0xee);
    store->create_session(100001, token);
    EXPECT_EQ(store->user_for_session(token), std::optional<std::uint32_t>(100001));
  }
  ::umount2(dir.c_str(), MNT_DETACH);
  ::rmdir(dir.c_str());
}

}  // namespace

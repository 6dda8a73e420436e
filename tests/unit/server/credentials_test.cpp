// Password hashes: normal argon2id ones, and the legacy ones imported from PyChat
// ("legacy-md5+" + argon2id over the MD5 hex of the password; scripts/import-pychat.py).

#include "credentials.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

namespace occhat::server {
namespace {

// MD5 test vectors (RFC 1321): what PyChat stored for these passwords.
constexpr const char* kEmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";
constexpr const char* kAbcMd5 = "900150983cd24fb0d6963f7d28e17f72";

std::string argon2(const std::string& secret) {
  char out[crypto_pwhash_STRBYTES];
  EXPECT_EQ(crypto_pwhash_str(out, secret.data(), secret.size(), crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN), 0);
  return out;
}

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override { init_crypto(); }
};

TEST_F(CredentialsTest, ALegacyHashTakesThePasswordNotItsMd5) {
  const std::string legacy = std::string(kLegacyMd5Marker) + argon2(kAbcMd5);
  EXPECT_TRUE(needs_rehash(legacy));
  EXPECT_TRUE(verify_password(legacy, "abc"));
  EXPECT_FALSE(verify_password(legacy, kAbcMd5));  // a leaked PyChat file is no password list
  EXPECT_FALSE(verify_password(legacy, "abd"));
  EXPECT_FALSE(verify_password(legacy, ""));
  const std::string empty = std::string(kLegacyMd5Marker) + argon2(kEmptyMd5);
  EXPECT_TRUE(verify_password(empty, ""));
}

TEST_F(CredentialsTest, NormalHashesAreNotLegacy) {
  const std::string hash = hash_password("a normal password");
  EXPECT_FALSE(needs_rehash(hash));
  EXPECT_TRUE(verify_password(hash, "a normal password"));
  // The marker only counts at the start, and with a bad hash after it nothing verifies.
  EXPECT_FALSE(needs_rehash("x" + std::string(kLegacyMd5Marker) + hash));
  EXPECT_FALSE(verify_password(std::string(kLegacyMd5Marker), "abc"));
  EXPECT_FALSE(verify_password(std::string(kLegacyMd5Marker) + "garbage", "abc"));
  // A plain argon2id of the MD5 without the marker is not a legacy hash: the MD5 is its password.
  EXPECT_FALSE(verify_password(argon2(kAbcMd5), "abc"));
}

}  // namespace
}  // namespace occhat::server

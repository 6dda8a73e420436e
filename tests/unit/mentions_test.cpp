// @ID mentions in room messages (server/src/mentions.hpp).

#include <gtest/gtest.h>

#include "mentions.hpp"

namespace {

using occhat::server::parse_mentions;
using Ids = std::vector<std::uint32_t>;

TEST(Mentions, SixDigitIdsInOrderOfFirstMentionOnce) {
  EXPECT_EQ(parse_mentions("@271828 hi @314159, and @271828 again"), (Ids{271828, 314159}));
  EXPECT_EQ(parse_mentions("(@314159)"), (Ids{314159}));
  EXPECT_EQ(parse_mentions("@314159@271828"), (Ids{314159}));  // the second '@' follows a digit
}

TEST(Mentions, OtherTokensAreNotMentions) {
  EXPECT_TRUE(parse_mentions("mail bob@314159.example").empty());
  EXPECT_TRUE(parse_mentions("@31415 @3141592 @ 314159 @abcdef @099999").empty());
  EXPECT_TRUE(parse_mentions("").empty());
  EXPECT_TRUE(parse_mentions("@").empty());
}

}  // namespace

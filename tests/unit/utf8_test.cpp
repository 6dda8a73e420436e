// occhat::proto::decode_utf8 / is_valid_utf8: the one UTF-8 decoder of server and CLI.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "occhat/proto/utf8.hpp"

namespace occhat::proto {
namespace {

// Decodes `text` from 0; nullopt unless it is one whole sequence.
std::optional<char32_t> one(std::string_view text) {
  std::size_t pos = 0;
  const auto cp = decode_utf8(text, pos);
  EXPECT_EQ(pos, cp ? text.size() : 0u) << (cp ? "stopped early" : "moved on failure");
  return cp;
}

TEST(Utf8, DecodesEachLength) {
  EXPECT_EQ(one("A"), U'A');
  EXPECT_EQ(one(std::string_view("\0", 1)), U'\0');
  EXPECT_EQ(one("\x7f"), U'\x7f');
  EXPECT_EQ(one("\xc2\x80"), U'\x80');
  EXPECT_EQ(one("\xc3\xa9"), U'\u00e9');
  EXPECT_EQ(one("\xdf\xbf"), U'\u07ff');
  EXPECT_EQ(one("\xe0\xa0\x80"), U'\u0800');
  EXPECT_EQ(one("\xe2\x82\xac"), U'\u20ac');
  EXPECT_EQ(one("\xef\xbf\xbd"), U'\ufffd');
  EXPECT_EQ(one("\xed\x9f\xbf"), U'\ud7ff');  // just below the surrogates
  EXPECT_EQ(one("\xee\x80\x80"), U'\ue000');  // just above them
  EXPECT_EQ(one("\xf0\x90\x80\x80"), U'\U00010000');
  EXPECT_EQ(one("\xf0\x9f\x98\x80"), U'\U0001f600');
  EXPECT_EQ(one("\xf4\x8f\xbf\xbf"), U'\U0010ffff');
}

TEST(Utf8, RejectsOverlongForms) {
  EXPECT_EQ(one("\xc0\x80"), std::nullopt);  // U+0000
  EXPECT_EQ(one("\xc1\xbf"), std::nullopt);  // U+007F
  EXPECT_EQ(one("\xe0\x80\x80"), std::nullopt);
  EXPECT_EQ(one("\xe0\x9f\xbf"), std::nullopt);  // U+07FF
  EXPECT_EQ(one("\xf0\x80\x80\x80"), std::nullopt);
  EXPECT_EQ(one("\xf0\x8f\xbf\xbf"), std::nullopt);  // U+FFFF
}

TEST(Utf8, RejectsSurrogates) {
  EXPECT_EQ(one("\xed\xa0\x80"), std::nullopt);  // U+D800
  EXPECT_EQ(one("\xed\xaf\xbf"), std::nullopt);  // U+DBFF
  EXPECT_EQ(one("\xed\xb0\x80"), std::nullopt);  // U+DC00
  EXPECT_EQ(one("\xed\xbf\xbf"), std::nullopt);  // U+DFFF
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\xbd\xed\xb8\x80"));  // CESU-8 pair
}

TEST(Utf8, RejectsBeyondU10FFFF) {
  EXPECT_EQ(one("\xf4\x90\x80\x80"), std::nullopt);  // U+110000
  EXPECT_EQ(one("\xf5\x80\x80\x80"), std::nullopt);
  EXPECT_EQ(one("\xf7\xbf\xbf\xbf"), std::nullopt);
  EXPECT_EQ(one("\xf8\x88\x80\x80\x80"), std::nullopt);  // old 5-byte form
  EXPECT_EQ(one("\xfc\x84\x80\x80\x80\x80"), std::nullopt);
  EXPECT_EQ(one("\xfe"), std::nullopt);
  EXPECT_EQ(one("\xff"), std::nullopt);
}

TEST(Utf8, RejectsTruncatedSequences) {
  EXPECT_EQ(one("\xc3"), std::nullopt);
  EXPECT_EQ(one("\xe2\x82"), std::nullopt);
  EXPECT_EQ(one("\xf0\x9f\x98"), std::nullopt);
  EXPECT_EQ(one("\xe2"), std::nullopt);
  // Cut short by a byte that is not a continuation.
  EXPECT_EQ(one("\xc3" "A"), std::nullopt);
  EXPECT_EQ(one("\xe2\x82" "A"), std::nullopt);
  EXPECT_EQ(one("\xf0\x9f\x98" "A"), std::nullopt);
  // A truncated sequence at the end of a longer text.
  EXPECT_FALSE(is_valid_utf8("abc\xe2\x82"));
}

TEST(Utf8, RejectsStrayContinuationBytes) {
  EXPECT_EQ(one("\x80"), std::nullopt);
  EXPECT_EQ(one("\xbf"), std::nullopt);
  EXPECT_FALSE(is_valid_utf8("a\x80z"));
}

TEST(Utf8, StepsThroughText) {
  const std::string_view text = "a\xc3\xa9\xff\xe2\x82\xac";
  std::size_t pos = 0;
  EXPECT_EQ(decode_utf8(text, pos), U'a');
  EXPECT_EQ(pos, 1u);
  EXPECT_EQ(decode_utf8(text, pos), U'\u00e9');
  EXPECT_EQ(pos, 3u);
  EXPECT_EQ(decode_utf8(text, pos), std::nullopt);
  EXPECT_EQ(pos, 3u);
  ++pos;  // skip the bad byte
  EXPECT_EQ(decode_utf8(text, pos), U'\u20ac');
  EXPECT_EQ(pos, text.size());
}

TEST(Utf8, IsValidUtf8) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80"));
  EXPECT_TRUE(is_valid_utf8(std::string_view("nul\0inside", 10)));
  EXPECT_FALSE(is_valid_utf8("bad \xff utf8"));
}

TEST(Utf8, IsControl) {
  EXPECT_TRUE(is_control(U'\0'));
  EXPECT_TRUE(is_control(U'\x1f'));
  EXPECT_FALSE(is_control(U' '));
  EXPECT_FALSE(is_control(U'~'));
  EXPECT_TRUE(is_control(U'\x7f'));
  EXPECT_TRUE(is_control(U'\x80'));
  EXPECT_TRUE(is_control(U'\x9b'));
  EXPECT_TRUE(is_control(U'\x9f'));
  EXPECT_FALSE(is_control(U'\xa0'));
  EXPECT_FALSE(is_control(U'\u20ac'));
}

TEST(Utf8, IsBidiControl) {
  for (const char32_t cp : {U'\u061c', U'\u200e', U'\u200f', U'\u202a', U'\u202b', U'\u202c', U'\u202d',
                            U'\u202e', U'\u2066', U'\u2067', U'\u2068', U'\u2069'}) {
    EXPECT_TRUE(is_bidi_control(cp)) << static_cast<unsigned>(cp);
  }
  for (const char32_t cp : {U'a', U'\u061b', U'\u061d', U'\u200d', U'\u2010', U'\u2029', U'\u202f',
                            U'\u2065', U'\u206a', U'\u05d0', U'\U0001f600'}) {
    EXPECT_FALSE(is_bidi_control(cp)) << static_cast<unsigned>(cp);
  }
  EXPECT_FALSE(is_control(U'\u202e'));  // a format character, not a control character
}

TEST(Utf8, CleanUtf8ReplacesBadBytesAndChosenCharacters) {
  const auto no_digits = [](char32_t cp) { return cp >= U'0' && cp <= U'9'; };
  EXPECT_EQ(clean_utf8("a1\xc3\xa9", "?", 100, no_digits), "a?\xc3\xa9");
  // One replacement per byte that starts nothing valid (a truncated sequence is two here).
  EXPECT_EQ(clean_utf8("x\xe2\x82y\xff", "?", 100, no_digits), "x??y?");
  EXPECT_EQ(clean_utf8("", "?", 100, no_digits), "");
}

TEST(Utf8, CleanUtf8CutsOnWholeCharacters) {
  const auto none = [](char32_t) { return false; };
  EXPECT_EQ(clean_utf8("ab\xe2\x82\xac", "?", 4, none), "ab");  // the euro sign would need 5
  EXPECT_EQ(clean_utf8("ab\xe2\x82\xac", "?", 5, none), "ab\xe2\x82\xac");
  EXPECT_EQ(clean_utf8("a\xff", "<bad>", 5, none), "a");  // nor is a replacement cut
}

}  // namespace
}  // namespace occhat::proto

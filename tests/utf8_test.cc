// UTF-8 validation (RFC 3629) whole and streamed across fragment boundaries
// (RFC 6455 section 8.1): a stream split anywhere validates like the whole.
#include "wsbench/utf8.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

const std::vector<std::string>& ValidSamples() {
  static const auto* samples = new std::vector<std::string>{
      "",
      "hello",
      "\x7f",              // U+007F
      "\xc2\x80",          // U+0080
      "\xdf\xbf",          // U+07FF
      "\xe0\xa0\x80",      // U+0800
      "\xed\x9f\xbf",      // U+D7FF (last before surrogates)
      "\xee\x80\x80",      // U+E000
      "\xef\xbf\xbf",      // U+FFFF
      "\xf0\x90\x80\x80",  // U+10000
      "\xf4\x8f\xbf\xbf",  // U+10FFFF
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
  };
  return *samples;
}

const std::vector<std::string>& InvalidSamples() {
  static const auto* samples = new std::vector<std::string>{
      "\x80",  // lone continuation
      "a\xbf"
      "b",                 // continuation after ASCII
      "\xc0\x80",          // overlong NUL
      "\xc1\xbf",          // overlong
      "\xe0\x80\x80",      // overlong 3-byte
      "\xe0\x9f\xbf",      // overlong 3-byte
      "\xf0\x80\x80\x80",  // overlong 4-byte
      "\xf0\x8f\xbf\xbf",  // overlong 4-byte
      "\xed\xa0\x80",      // surrogate U+D800
      "\xed\xbf\xbf",      // surrogate U+DFFF
      "\xf4\x90\x80\x80",  // U+110000
      "\xf5\x80\x80\x80",  // F5 lead
      "\xff",              // never in UTF-8
      "\xfe",
      "\xe2\x82",          // truncated at the end
      "\xf0\x9f\x98",      // truncated at the end
      "\xc3",              // truncated at the end
      "\xe2\x28\xa1",      // bad second byte
      "\xe2\x82\x28",      // bad third byte
      "\xf0\x9f\x98\x28",  // bad fourth byte
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74"
      "\x65\x64",
  };
  return *samples;
}

bool StreamValid(const std::vector<std::string_view>& pieces) {
  Utf8Validator v;
  for (std::string_view p : pieces) {
    if (!v.Feed(p)) return false;
  }
  return v.Finish();
}

TEST(Utf8Test, WholeBuffers) {
  for (const std::string& s : ValidSamples()) EXPECT_TRUE(IsValidUtf8(s)) << s;
  for (const std::string& s : InvalidSamples()) {
    EXPECT_FALSE(IsValidUtf8(s)) << testing::PrintToString(s);
  }
}

TEST(Utf8Test, FindInvalidUtf8AgreesWithTheValidator) {
  for (const std::string& s : ValidSamples()) {
    EXPECT_EQ(FindInvalidUtf8(s), std::string_view::npos)
        << testing::PrintToString(s);
  }
  for (const std::string& s : InvalidSamples()) {
    const size_t at = FindInvalidUtf8(s);
    ASSERT_NE(at, std::string_view::npos) << testing::PrintToString(s);
    // Everything before the offset is valid UTF-8 on its own.
    EXPECT_TRUE(IsValidUtf8(std::string_view(s).substr(0, at)))
        << testing::PrintToString(s);
  }
  // Offsets point at the lead byte of the bad sequence.
  EXPECT_EQ(FindInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FindInvalidUtf8("caf\xc3\xa9 \xed\xa0\x80!"), 6u);
  EXPECT_EQ(FindInvalidUtf8("\xe2\x82\xac\xe2\x82"), 3u);
  EXPECT_EQ(FindInvalidUtf8("x\xc0\xaf"), 1u);
  // Random mutations of valid text: the scan and the SIMD validator agree.
  std::mt19937_64 rng(11);
  const std::string base = ValidSamples().back();
  for (int i = 0; i < 2000; ++i) {
    std::string t = base;
    t[rng() % t.size()] = static_cast<char>(rng());
    EXPECT_EQ(FindInvalidUtf8(t) == std::string_view::npos, IsValidUtf8(t))
        << testing::PrintToString(t);
  }
}

TEST(Utf8Test, SequenceLengthAndPrefix) {
  EXPECT_EQ(internal::Utf8SequenceLength('a'), 1);
  EXPECT_EQ(internal::Utf8SequenceLength(0x80), 0);
  EXPECT_EQ(internal::Utf8SequenceLength(0xC1), 0);
  EXPECT_EQ(internal::Utf8SequenceLength(0xC2), 2);
  EXPECT_EQ(internal::Utf8SequenceLength(0xEF), 3);
  EXPECT_EQ(internal::Utf8SequenceLength(0xF4), 4);
  EXPECT_EQ(internal::Utf8SequenceLength(0xF5), 0);
  const uint8_t e0_a0[] = {0xE0, 0xA0};
  const uint8_t e0_9f[] = {0xE0, 0x9F};
  const uint8_t ed_a0[] = {0xED, 0xA0};
  const uint8_t f4_8f_bf[] = {0xF4, 0x8F, 0xBF};
  const uint8_t f4_90[] = {0xF4, 0x90};
  EXPECT_TRUE(internal::IsValidUtf8Prefix(e0_a0, 2));
  EXPECT_FALSE(internal::IsValidUtf8Prefix(e0_9f, 2));
  EXPECT_FALSE(internal::IsValidUtf8Prefix(ed_a0, 2));
  EXPECT_TRUE(internal::IsValidUtf8Prefix(f4_8f_bf, 3));
  EXPECT_FALSE(internal::IsValidUtf8Prefix(f4_90, 2));
}

// Each sample inside some text, split into 2 and 3 pieces at every position,
// and fed byte by byte: the streamed verdict equals the whole-buffer one.
TEST(Utf8Test, SplitEverywhereMatchesWhole) {
  std::vector<std::string> all;
  for (const auto& s : ValidSamples()) all.push_back(s);
  for (const auto& s : InvalidSamples()) all.push_back(s);
  for (const std::string& sample : all) {
    for (const std::string& text : {sample, "ab" + sample + "\xc3\xa9z",
                                    sample + sample, "\xe2\x82\xac" + sample}) {
      const bool expected = IsValidUtf8(text);
      const std::string_view t = text;
      for (size_t i = 0; i <= t.size(); ++i) {
        ASSERT_EQ(StreamValid({t.substr(0, i), t.substr(i)}), expected)
            << testing::PrintToString(text) << " cut at " << i;
        for (size_t j = i; j <= t.size(); ++j) {
          ASSERT_EQ(
              StreamValid({t.substr(0, i), t.substr(i, j - i), t.substr(j)}),
              expected)
              << testing::PrintToString(text) << " cuts at " << i << "," << j;
        }
      }
      std::vector<std::string_view> bytes;
      for (size_t i = 0; i < t.size(); ++i) bytes.push_back(t.substr(i, 1));
      ASSERT_EQ(StreamValid(bytes), expected) << testing::PrintToString(text);
    }
  }
}

TEST(Utf8Test, CodePointSplitBetweenFramesIsCarried) {
  Utf8Validator v;
  EXPECT_TRUE(v.Feed("price: \xe2"));  // first byte of the euro sign
  EXPECT_EQ(v.tail_size(), 1u);
  EXPECT_FALSE(v.Finish());
  EXPECT_TRUE(v.Feed("\x82"));
  EXPECT_EQ(v.tail_size(), 2u);
  EXPECT_TRUE(v.Feed("\xac!"));
  EXPECT_EQ(v.tail_size(), 0u);
  EXPECT_TRUE(v.Finish());
}

TEST(Utf8Test, FailsFastOnAnImpossiblePrefix) {
  // RFC 6455 8.1 / Autobahn 6.4: fail as soon as the bytes cannot be UTF-8,
  // before the message ends.
  for (std::string_view bad :
       {"ok\xe0\x80", "ok\xed\xa0", "ok\xf4\x90", "ok\xf8", "ok\xc0"}) {
    Utf8Validator v;
    EXPECT_FALSE(v.Feed(bad)) << testing::PrintToString(std::string(bad));
    EXPECT_TRUE(v.failed());
    EXPECT_FALSE(v.Feed("more"));  // stays failed
  }
  Utf8Validator v;
  EXPECT_TRUE(v.Feed("\xf0"));
  EXPECT_FALSE(v.Feed("\x8f"));  // F0 8F..: overlong, known after 2 bytes
  v.Reset();
  EXPECT_TRUE(v.Feed("fine"));
  EXPECT_TRUE(v.Finish());
}

TEST(Utf8Test, RandomStreamsMatchWholeBuffer) {
  std::mt19937 rng(42);
  const uint8_t alphabet[] = {'a',  0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
                              0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed,
                              0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff};
  int valid = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text(rng() % 24, '\0');
    for (char& c : text)
      c = static_cast<char>(alphabet[rng() % sizeof(alphabet)]);
    const bool expected = IsValidUtf8(text);
    valid += expected;
    std::vector<std::string_view> pieces;
    std::string_view rest = text;
    while (!rest.empty()) {
      const size_t n = 1 + rng() % 4;
      pieces.push_back(rest.substr(0, n));
      rest.remove_prefix(std::min(n, rest.size()));
    }
    ASSERT_EQ(StreamValid(pieces), expected) << testing::PrintToString(text);
  }
  EXPECT_GT(valid, 100);  // the alphabet produces both outcomes
}

}  // namespace
}  // namespace wsbench

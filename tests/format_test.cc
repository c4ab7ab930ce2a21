// Tests for record/format.h: the short form shared by the summary, the
// compare table and the report.
#include "record/format.h"

#include <cmath>

#include "gtest/gtest.h"

namespace wsbench::record {
namespace {

TEST(FormatTest, ShortKeepsThreeSignificantDigitsWithSiSuffix) {
  EXPECT_EQ(FormatShort(1234567), "1.23M");
  EXPECT_EQ(FormatShort(12.3e6), "12.3M");
  EXPECT_EQ(FormatShort(45600), "45.6k");
  EXPECT_EQ(FormatShort(850000), "850k");
  EXPECT_EQ(FormatShort(2.5e9), "2.50G");
  EXPECT_EQ(FormatShort(3e12), "3.00T");
  EXPECT_EQ(FormatShort(999), "999");
  EXPECT_EQ(FormatShort(12.34), "12.3");
  EXPECT_EQ(FormatShort(2.5), "2.50");
  EXPECT_EQ(FormatShort(0.0123), "0.0123");
  EXPECT_EQ(FormatShort(0), "0");
  EXPECT_EQ(FormatShort(-45600), "-45.6k");
}

TEST(FormatTest, ShortMarksMissingAndInfinite) {
  EXPECT_EQ(FormatShort(NAN), "-");
  EXPECT_EQ(FormatShort(INFINITY), "inf");
  EXPECT_EQ(FormatShort(-INFINITY), "-inf");
}

TEST(FormatTest, Micros) {
  EXPECT_EQ(FormatMicros(0), "0");
  EXPECT_EQ(FormatMicros(0.04567), "0.0457");
  EXPECT_EQ(FormatMicros(1.2345), "1.23");
  EXPECT_EQ(FormatMicros(123.456), "123");
  EXPECT_EQ(FormatMicros(1234.5), "1234");
  EXPECT_EQ(FormatMicros(NAN), "-");
}

TEST(FormatTest, MarkdownTextCannotBreakATableOrInjectHtml) {
  EXPECT_EQ(MarkdownText("a|b"), "a\\|b");
  EXPECT_EQ(MarkdownText("<script>x</script>"), "&lt;script>x&lt;/script>");
  EXPECT_EQ(MarkdownText("haswell -> icelake"), "haswell -> icelake");
  EXPECT_EQ(MarkdownText("a & b"), "a &amp; b");
  EXPECT_EQ(MarkdownText("*x* _y_ [z](u) `c` \\"),
            "\\*x\\* \\_y\\_ \\[z\\](u) \\`c\\` \\\\");
  EXPECT_EQ(MarkdownText("two\nlines"), "two lines");
  EXPECT_EQ(MarkdownText("broadcast/medium"), "broadcast/medium");
}

TEST(FormatTest, MarkdownCodeFencesBackticksAndEscapesPipes) {
  EXPECT_EQ(MarkdownCode("wsbench --quick"), "`wsbench --quick`");
  EXPECT_EQ(MarkdownCode("a`b"), "``a`b``");
  EXPECT_EQ(MarkdownCode("`x`"), "`` `x` ``");
  EXPECT_EQ(MarkdownCode("a | b"), "`a \\| b`");
  EXPECT_EQ(MarkdownCode("<b>"), "`<b>`");  // literal inside a code span
}

}  // namespace
}  // namespace wsbench::record

// Tests for record/json.h: RFC 8259 escaping and numbers that read back.
#include "record/json.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace wsbench::record {
namespace {

TEST(JsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonEscape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
  EXPECT_EQ(JsonEscape("\r\t\b\f"), "\\r\\t\\b\\f");
  EXPECT_EQ(JsonEscape(std::string("nul\0x", 5)), "nul\\u0000x");
  EXPECT_EQ(JsonEscape("µs ✅"), "µs ✅");  // UTF-8 is copied
  EXPECT_EQ(JsonQuote("x\"y"), "\"x\\\"y\"");
}

TEST(JsonTest, NumbersRoundTripAndNonFiniteIsNull) {
  EXPECT_EQ(JsonNumber(NAN), "null");
  EXPECT_EQ(JsonNumber(INFINITY), "null");
  EXPECT_EQ(JsonNumber(-INFINITY), "null");
  EXPECT_EQ(JsonNumber(2.5), "2.5");
  EXPECT_EQ(JsonNumber(3), "3");
  for (double v : {0.1, 1.0 / 3, 1e-300, 1.7976931348623157e308, -12345.678}) {
    EXPECT_EQ(std::strtod(JsonNumber(v).c_str(), nullptr), v) << v;
  }
}

}  // namespace
}  // namespace wsbench::record

#include "load_level.h"

#include "gtest/gtest.h"

namespace wsbench::bench {
namespace {

TEST(LoadLevelTest, TableMatchesTheSpec) {
  ASSERT_EQ(kLoadLevels.size(), 8u);
  for (const LoadLevel& level : kLoadLevels) {
    EXPECT_EQ(level.ops, int64_t{level.connections} * level.messages_per_connection)
        << level.name;
    EXPECT_LE(level.subscribers, level.connections) << level.name;
  }
  EXPECT_EQ(kLoadLevels.front().name, "minimal");
  EXPECT_EQ(kLoadLevels.front().ops, 1'000);
  EXPECT_EQ(kLoadLevels.back().name, "maximum");
  EXPECT_EQ(kLoadLevels.back().ops, 9'900'000);
  EXPECT_EQ(kLoadLevels.back().subscribers, 5'000);
  for (size_t i = 1; i < kLoadLevels.size(); ++i) {
    EXPECT_GT(kLoadLevels[i].ops, kLoadLevels[i - 1].ops);
  }
}

TEST(LoadLevelTest, FindByName) {
  auto level = FindLoadLevel("very_high");
  ASSERT_TRUE(level.ok());
  EXPECT_EQ(level->ops, 1'000'000);
  auto bad = FindLoadLevel("huge");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("huge"), std::string_view::npos);
  EXPECT_NE(bad.status().message().find("maximum"), std::string_view::npos);
}

}  // namespace
}  // namespace wsbench::bench

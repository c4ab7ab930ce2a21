// Instantiates EVERY registered dimension at the minimal level and runs
// Setup / Reset / Run / Verify the way the driver does (one whole pass,
// then a pass split in chunks, then a pass in small batches), so a broken
// harness fails here rather than in the middle of a suite run.
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "load_level.h"
#include "workload.h"

namespace wsbench::bench {
namespace {

TEST(HarnessRegistryTest, NamesAreUniqueAndWellFormed) {
  std::set<std::string_view> names;
  for (const Dimension& d : Dimensions()) {
    EXPECT_TRUE(names.insert(d.name).second) << "registered twice: " << d.name;
    for (char c : d.name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << d.name;
    }
    EXPECT_NE(d.factory, nullptr) << d.name;
  }
}

class HarnessSmokeTest : public ::testing::TestWithParam<std::string> {};

const Dimension* Find(const std::string& name) {
  for (const Dimension& d : Dimensions()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

TEST_P(HarnessSmokeTest, MinimalLevelPassesVerify) {
  const Dimension* d = Find(GetParam());
  ASSERT_NE(d, nullptr);
  std::unique_ptr<Workload> w = d->factory();
  ASSERT_NE(w, nullptr);
  const LoadLevel& level = kLoadLevels.front();
  ASSERT_TRUE(w->Setup(level, WorkloadOptions{}).ok());
  const int64_t ops = w->ops();
  ASSERT_GT(ops, 0);
  if (ops != level.ops) EXPECT_FALSE(w->ops_note().empty()) << "ops differ from the level's: say how";
  if (!d->item_unit.empty()) EXPECT_GT(w->items_per_op(), 0) << "item_unit without items_per_op";

  // The throughput pass: one Run over the whole pass.
  for (int pass = 0; pass < 2; ++pass) {
    absl::Status s = w->Reset();
    ASSERT_TRUE(s.ok()) << s;
    w->Run(0, ops);
    s = w->Verify();
    ASSERT_TRUE(s.ok()) << "pass " << pass << ": " << s;
  }
  // Contiguous chunks (the driver splits long passes).
  ASSERT_TRUE(w->Reset().ok());
  w->Run(0, ops / 3);
  w->Run(ops / 3, ops);
  absl::Status chunked = w->Verify();
  EXPECT_TRUE(chunked.ok()) << "chunked pass: " << chunked;
  // The latency pass: small batches.
  ASSERT_TRUE(w->Reset().ok());
  for (int64_t b = 0; b < ops; b += 7) w->Run(b, std::min(ops, b + 7));
  absl::Status batched = w->Verify();
  EXPECT_TRUE(batched.ok()) << "batched pass: " << batched;
  std::map<std::string, double> counters;
  w->AddCounters(counters);
  // A reference cost per op is measured, never a placeholder.
  for (const auto& [key, value] : counters) {
    if (key.ends_with("_ns_per_op")) EXPECT_GT(value, 0) << key;
  }
}

std::vector<std::string> RegisteredNames() {
  std::vector<std::string> names;
  for (const Dimension& d : Dimensions()) names.emplace_back(d.name);
  if (names.empty()) names.push_back("none_registered");
  return names;
}

INSTANTIATE_TEST_SUITE_P(Registered, HarnessSmokeTest, ::testing::ValuesIn(RegisteredNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wsbench::bench

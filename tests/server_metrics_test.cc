#include "wsbench/server_metrics.h"

#include <string>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

TEST(ServerMetricsTest, SumsLoopsAndFormatsPrometheusText) {
  ServerCounters a, b;
  ServerCounters::Add(a.active, int64_t{3});
  ServerCounters::Add(b.active, int64_t{2});
  ServerCounters::Add(b.active, int64_t{-1});
  ServerCounters::Add(a.opened, uint64_t{7});
  ServerCounters::Add(b.messages_sent, uint64_t{11});
  const ServerCounters* loops[] = {&a, &b};
  const ServerStats s = SumCounters(loops);
  EXPECT_EQ(s.active, 4);
  EXPECT_EQ(s.opened, 7u);
  EXPECT_EQ(s.messages_sent, 11u);
  const std::string text = FormatPrometheus(s, 12345);
  EXPECT_NE(text.find("# TYPE websocket_active_connections gauge\n"
                      "websocket_active_connections 4\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE websocket_connections_opened_total counter\n"
                      "websocket_connections_opened_total 7\n"),
            std::string::npos);
  EXPECT_NE(text.find("websocket_messages_sent_total 11\n"), std::string::npos);
  EXPECT_NE(text.find("process_resident_memory_bytes 12345\n"),
            std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

TEST(ServerMetricsTest, ResidentMemoryIsPlausible) {
  const uint64_t rss = ResidentMemoryBytes();
  EXPECT_GT(rss, uint64_t{1} << 20);  // a test binary holds more than 1 MiB
  EXPECT_LT(rss, uint64_t{64} << 30);
}

}  // namespace
}  // namespace wsbench

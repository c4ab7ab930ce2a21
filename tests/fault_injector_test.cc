// Tests for bench/e2e/fault_mix.h and fault_injector.h: parsing the fault
// mix, the plan's exact counts, and the faults injected into a real
// wsbench::Server on loopback (its own thread, a free port) with the
// server's answers checked from both sides, under both slow-reader
// policies.
#include "e2e/fault_injector.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "e2e/client_loop.h"
#include "e2e/fault_mix.h"
#include "gtest/gtest.h"
#include "wsbench/frame_decoder.h"
#include "wsbench/server.h"

namespace wsbench::e2e {
namespace {

TEST(FaultMixTest, ParsesShares) {
  absl::StatusOr<FaultMix> mix =
      ParseFaultMix("rst=0.01,malformed=0.02,slow=0.005");
  ASSERT_TRUE(mix.ok()) << mix.status();
  EXPECT_DOUBLE_EQ(mix->of(FaultKind::kRst), 0.01);
  EXPECT_DOUBLE_EQ(mix->of(FaultKind::kMalformed), 0.02);
  EXPECT_DOUBLE_EQ(mix->of(FaultKind::kSlow), 0.005);
  EXPECT_EQ(mix->ToString(), "rst=0.01,malformed=0.02,slow=0.005");
  EXPECT_EQ(ParseFaultMix(mix->ToString())->share, mix->share);
  EXPECT_TRUE(ParseFaultMix("")->empty());
  EXPECT_TRUE(ParseFaultMix("none")->empty());
  EXPECT_EQ(ParseFaultMix("slow=0.1")->ToString(), "slow=0.1");
}

TEST(FaultMixTest, BadSpecsSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"rst", "not kind=share"},
      {"drop=0.1", "unknown fault 'drop'"},
      {"rst=0.1,rst=0.2", "'rst' given twice"},
      {"rst=abc", "'abc' is not a number"},
      {"rst=", "'' is not a number"},
      {"rst=-0.1", "not in [0, 1]"},
      {"rst=1.5", "not in [0, 1]"},
      {"rst=nan", "not a number"},
      {"rst=0.3,slow=0.3", "add up to 0.6"},
      {"rst=0.1,", "empty item"},
      {",rst=0.1", "empty item"},
  };
  for (const auto& [spec, why] : cases) {
    absl::StatusOr<FaultMix> mix = ParseFaultMix(spec);
    ASSERT_FALSE(mix.ok()) << spec;
    EXPECT_EQ(mix.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(mix.status().message().find(why), std::string_view::npos)
        << spec << ": " << mix.status().message();
    EXPECT_NE(mix.status().message().find("--faults"), std::string_view::npos);
  }
}

TEST(FaultPlanTest, ExactCountsSpreadOverIds) {
  const FaultMix mix = *ParseFaultMix("rst=0.01,malformed=0.02,slow=0.005");
  for (int64_t n : {1, 7, 100, 1000, 99'000}) {
    for (uint64_t seed : {1u, 42u, 0x5eed2026u}) {
      FaultPlan plan(mix, n, seed);
      std::array<int64_t, 4> seen = {0, 0, 0, 0};
      std::array<int64_t, kMalformedKinds> kinds = {};
      for (int64_t g = 0; g < n; ++g) {
        const FaultKind k = plan.KindOf(g);
        ++seen[static_cast<int>(k)];
        if (k == FaultKind::kMalformed) {
          ++kinds[static_cast<int>(plan.MalformedKindOf(g))];
        }
      }
      for (FaultKind k : {FaultKind::kNone, FaultKind::kRst,
                          FaultKind::kMalformed, FaultKind::kSlow}) {
        EXPECT_EQ(seen[static_cast<int>(k)], plan.count(k))
            << n << " " << FaultName(k);
      }
      if (n >= 1000) {
        EXPECT_EQ(plan.count(FaultKind::kRst), n / 100);
        EXPECT_EQ(plan.count(FaultKind::kMalformed), n / 50);
        EXPECT_EQ(plan.count(FaultKind::kSlow), n / 200);
        // Every malformed kind in rotation.
        for (int64_t c : kinds)
          EXPECT_GE(c, plan.count(FaultKind::kMalformed) / kMalformedKinds);
      }
      if (n >= 100) {  // each kind asked for appears at least once
        EXPECT_GE(plan.count(FaultKind::kSlow), 1);
      }
    }
  }
  // Different seeds pick different connections.
  FaultPlan a(mix, 1000, 1), b(mix, 1000, 2);
  int same = 0;
  for (int64_t g = 0; g < 1000; ++g) {
    same += a.KindOf(g) != FaultKind::kNone && a.KindOf(g) == b.KindOf(g);
  }
  EXPECT_LT(same, 10);
  EXPECT_EQ(FaultPlan().KindOf(0), FaultKind::kNone);
}

TEST(FaultMixTest, MalformedFramesDecodeToTheirCloseCodes) {
  // The server's decoder (require_mask) answers each as the plan expects.
  for (int m = 0; m < kMalformedKinds; ++m) {
    const MalformedKind kind = static_cast<MalformedKind>(m);
    FrameDecoderOptions decoder_options;
    decoder_options.max_frame_size = 1 << 20;
    decoder_options.max_message_size = 1 << 20;
    FrameDecoder decoder(decoder_options);  // require_mask, as a server
    std::string bytes = MalformedFrame(kind, 1 << 20);
    std::span<uint8_t> input(reinterpret_cast<uint8_t*>(bytes.data()),
                             bytes.size());
    FrameEvent event = decoder.Next(input);
    EXPECT_EQ(event.type, FrameEventType::kError) << MalformedName(kind);
    const uint16_t code = event.close_code;
    EXPECT_EQ(code, ExpectedCloseCode(kind)) << MalformedName(kind);
  }
}

// A wsbench::Server on its own thread, stopped and joined at the end.
class LiveServer {
 public:
  explicit LiveServer(ServerOptions options) {
    options.port = 0;
    auto server = Server::Create(options);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    thread_ = std::thread([this] { status_ = server_->Run(); });
  }
  ~LiveServer() {
    server_->Shutdown();
    thread_.join();
    EXPECT_TRUE(status_.ok()) << status_;
  }
  Server& operator*() { return *server_; }
  Server* operator->() { return server_.get(); }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  absl::Status status_;
};

void RunFaults(OverflowPolicy policy) {
  ServerOptions server_options;
  server_options.queue_byte_limit = 64 * 1024;
  server_options.overflow = policy;
  LiveServer server(server_options);

  constexpr int64_t kConnections = 120;
  ClientLoopOptions loop_options;
  loop_options.ports = {server->port()};
  ClientLoop loop(loop_options);
  const int64_t start = MonotonicNs();
  absl::StatusOr<int64_t> opened =
      loop.Open({.first_id = 0,
                 .count = kConnections,
                 .start_ns = start,
                 .deadline_ns = start + 20'000'000'000});
  ASSERT_TRUE(opened.ok()) << opened.status();
  ASSERT_EQ(*opened, kConnections);
  // The server has seen every upgrade once its gauge says so.
  const int64_t until = MonotonicNs() + 10'000'000'000;
  while (server->stats().active != kConnections && MonotonicNs() < until) {
    loop.Poll(5);
  }
  ASSERT_EQ(server->stats().active, kConnections);

  FaultOptions options;
  // 6 rst, 14 malformed (each of the 7 kinds twice), 4 slow.
  options.plan = FaultPlan(*ParseFaultMix("rst=0.05,malformed=0.12,slow=0.03"),
                           kConnections, 7);
  options.overflow = policy;
  options.queue_byte_limit = server_options.queue_byte_limit;
  options.max_frame_size = server_options.max_frame_size;
  std::vector<std::pair<int64_t, int64_t>> conns;
  for (int64_t i = 0; i < kConnections; ++i) conns.emplace_back(i, i);

  const ServerStats before = server->stats();
  absl::StatusOr<FaultReport> report =
      InjectFaults(loop, conns, options, MonotonicNs() + 30'000'000'000);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->injected[0], options.plan.count(FaultKind::kRst));
  EXPECT_EQ(report->injected[1], options.plan.count(FaultKind::kMalformed));
  EXPECT_EQ(report->injected[2], options.plan.count(FaultKind::kSlow));
  EXPECT_EQ(report->injected[0], 6);
  EXPECT_EQ(report->injected[1], 14);
  EXPECT_EQ(report->injected[2], 4);
  EXPECT_EQ(report->answered[1], 14) << report->first_problem;
  EXPECT_EQ(report->answered[2], 4) << report->first_problem;
  for (int m = 0; m < kMalformedKinds; ++m) {
    EXPECT_EQ(report->malformed_sent[m], 2) << m;
    EXPECT_EQ(report->malformed_answered[m], 2) << m;
  }
  EXPECT_EQ(report->healthy, kConnections - 24);
  EXPECT_EQ(report->healthy_open, report->healthy);
  EXPECT_GT(report->slow_publishes, 0);
  if (policy == OverflowPolicy::kDropMessage) {
    EXPECT_LT(report->slow_events_min, report->slow_publishes);
  }

  std::printf(
      "%s policy: injected rst %lld malformed %lld slow %lld; slow "
      "readers got >= %lld of %lld events\n",
      policy == OverflowPolicy::kDropMessage ? "drop" : "close",
      static_cast<long long>(report->injected[0]),
      static_cast<long long>(report->injected[1]),
      static_cast<long long>(report->injected[2]),
      static_cast<long long>(report->slow_events_min),
      static_cast<long long>(report->slow_publishes));
  // The server's side: wait for the gauge to settle (the RSTs arrive
  // asynchronously), then every fault must be accounted for.
  const bool drop = policy == OverflowPolicy::kDropMessage;
  const int64_t expected = kConnections - 6 - 14 - (drop ? 0 : 4);
  const int64_t settle = MonotonicNs() + 10'000'000'000;
  while (server->stats().active != expected && MonotonicNs() < settle) {
    loop.Poll(5);
  }
  const ServerStats after = server->stats();
  ServerAnswer answer = CheckServerAnswers(*report, before, after, policy);
  EXPECT_TRUE(answer.problems.empty())
      << answer.problems.size() << " problem(s), first: "
      << (answer.problems.empty() ? "" : answer.problems[0]);
  EXPECT_EQ(answer.expected_active, expected);
  EXPECT_EQ(answer.answered[0], 6);
  EXPECT_EQ(answer.answered[1], 14);
  EXPECT_EQ(answer.answered[2], 4);
  EXPECT_EQ(after.protocol_errors - before.protocol_errors, 14u);
  if (drop) {
    EXPECT_GT(after.messages_dropped, before.messages_dropped);
  } else {
    EXPECT_EQ(after.closed_slow - before.closed_slow, 4u);
  }

  // The healthy clients close cleanly and the gauge returns to 0.
  CloseResult closed = loop.CloseAll(1000, MonotonicNs() + 10'000'000'000);
  EXPECT_EQ(closed.unclean, 0);
  const int64_t drain = MonotonicNs() + 10'000'000'000;
  while (server->stats().active != 0 && MonotonicNs() < drain) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server->stats().active, 0);
}

TEST(FaultInjectorTest, ServerAnswersEveryFaultDropPolicy) {
  RunFaults(OverflowPolicy::kDropMessage);
}

TEST(FaultInjectorTest, ServerAnswersEveryFaultClosePolicy) {
  RunFaults(OverflowPolicy::kCloseConnection);
}

TEST(FaultInjectorTest, CheckServerAnswersNamesWhatIsMissing) {
  FaultReport report;
  report.injected = {2, 3, 1};
  report.answered = {0, 3, 1};
  ServerStats before, after;
  before.active = 100;
  after = before;
  after.active = 95;  // 2 rst + 3 malformed gone
  after.protocol_errors = 3;
  after.messages_dropped = 40;
  ServerAnswer ok =
      CheckServerAnswers(report, before, after, OverflowPolicy::kDropMessage);
  EXPECT_TRUE(ok.problems.empty()) << ok.problems[0];
  EXPECT_EQ(ok.answered, (std::array<int64_t, 3>{2, 3, 1}));

  after.active = 96;  // one rst still counted open
  after.protocol_errors = 2;
  after.messages_dropped = 0;
  ServerAnswer bad =
      CheckServerAnswers(report, before, after, OverflowPolicy::kDropMessage);
  ASSERT_EQ(bad.problems.size(), 3u);
  EXPECT_NE(bad.problems[0].find("2 protocol errors for 3 malformed"),
            std::string::npos);
  EXPECT_NE(bad.problems[1].find("dropped no event"), std::string::npos);
  EXPECT_NE(bad.problems[2].find("gauge 96 after the faults, expected 95"),
            std::string::npos);
  EXPECT_EQ(bad.answered[0], 0);

  // Close policy: the slow reader must be among the closed.
  after.active = 94;
  after.protocol_errors = 3;
  after.closed_slow = 1;
  ServerAnswer close = CheckServerAnswers(report, before, after,
                                          OverflowPolicy::kCloseConnection);
  EXPECT_TRUE(close.problems.empty()) << close.problems[0];
  after.closed_slow = 0;
  close = CheckServerAnswers(report, before, after,
                             OverflowPolicy::kCloseConnection);
  ASSERT_FALSE(close.problems.empty());
  EXPECT_NE(close.problems[0].find("closed 0 slow reader(s) of 1"),
            std::string::npos);
}

}  // namespace
}  // namespace wsbench::e2e

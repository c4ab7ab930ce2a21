// MessageTraffic and ReplyChecker against a real wsbench::Server on
// loopback: every corpus message of a pass sent over a few connections, the
// server's replies checked in order, error replies counted per code.
#include "message_traffic.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "message_corpus.h"
#include "wsbench/frame.h"
#include "wsbench/frame_decoder.h"
#include "wsbench/message_parser.h"
#include "wsbench/server.h"

namespace wsbench::bench {
namespace {

// A blocking WebSocket client for the test: connect, upgrade, masked frames
// out, server frames in.
class TestClient {
 public:
  explicit TestClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{20, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string request =
        "GET /?user=traffic HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    ok_ = ok_ && SendAll(request);
    std::string response;
    char c;
    while (ok_ && !response.ends_with("\r\n\r\n")) {
      ok_ = read(fd_, &c, 1) == 1;
      response += c;
    }
    ok_ = ok_ && response.starts_with("HTTP/1.1 101");
  }
  ~TestClient() { close(fd_); }
  bool ok() const { return ok_; }

  bool Send(Opcode opcode, std::string_view payload) {
    std::string frame;
    FrameHeader h{.opcode = opcode, .masked = true};
    h.mask_key = {0x12, 0x34, 0x56, static_cast<uint8_t>(payload.size())};
    AppendFrame(h, payload, frame);
    return SendAll(frame);
  }
  // The next complete message (empty optional-like: false on error).
  bool Receive(std::string& message) {
    for (;;) {
      std::span<uint8_t> in(buffer_.data() + begin_, end_ - begin_);
      const size_t before = in.size();
      FrameEvent ev = decoder_.Next(in);
      begin_ += before - in.size();
      if (ev.type == FrameEventType::kMessage) {
        message.assign(ev.text());
        return true;
      }
      if (ev.type != FrameEventType::kNeedMore) return false;
      begin_ = end_ = 0;
      const ssize_t n = read(fd_, buffer_.data(), buffer_.size());
      if (n <= 0) return false;
      end_ = static_cast<size_t>(n);
    }
  }

 private:
  bool SendAll(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = write(fd_, bytes.data(), bytes.size());
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  int fd_ = -1;
  bool ok_ = false;
  std::vector<uint8_t> buffer_ = std::vector<uint8_t>(1 << 16);
  size_t begin_ = 0, end_ = 0;
  FrameDecoder decoder_{FrameDecoderOptions{.require_mask = false}};
};

class ServerThread {
 public:
  ServerThread() {
    ServerOptions o;
    o.port = 0;
    auto s = Server::Create(o);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return;
    server_ = std::move(*s);
    thread_ = std::thread([this] { EXPECT_TRUE(server_->Run().ok()); });
  }
  ~ServerThread() {
    if (!server_) return;
    server_->Shutdown();
    thread_.join();
  }
  uint16_t port() const { return server_ ? server_->port() : 0; }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

MessageCorpus& Corpus() {
  static MessageCorpus* corpus = [] {
    auto* c = new MessageCorpus();
    ParserOptions po;
    po.max_message_bytes = kCorpusMaxMessageBytes;
    MessageParser parser(po);
    EXPECT_TRUE(c->Build(8, WorkloadOptions{}, parser).ok());
    return c;
  }();
  return *corpus;
}

TEST(ClassifyReplyTest, ReadsTypeAndErrorCode) {
  std::string_view code;
  EXPECT_EQ(ClassifyReply(R"({"type":"ack","of":"ping","id":1})", &code),
            ReplyKind::kAck);
  EXPECT_EQ(ClassifyReply(R"({"type":"event","channel":"a","data":1})", &code),
            ReplyKind::kEvent);
  EXPECT_EQ(
      ClassifyReply(
          R"({"type":"error","code":"unknown_type","message":"x","at":9})",
          &code),
      ReplyKind::kError);
  EXPECT_EQ(code, "unknown_type");
  EXPECT_EQ(ClassifyReply(R"({"type":"error"})", &code), ReplyKind::kOther);
  EXPECT_EQ(ClassifyReply("hello", &code), ReplyKind::kOther);
}

// Every message of 3,000 ops over 3 connections (window 8) gets exactly the
// reply the model expects, in order; error replies by code equal the
// invalid messages' (invalid share raised to 5% so every kind occurs).
TEST(MessageTrafficTest, ServerRepliesMatchTheModelInOrder) {
  MessageCorpus corpus;
  ParserOptions po;
  po.max_message_bytes = kCorpusMaxMessageBytes;
  MessageParser parser(po);
  WorkloadOptions wo;
  wo.invalid_share = 0.05;
  ASSERT_TRUE(corpus.Build(8, wo, parser).ok());
  MessageTraffic traffic;
  ServerOptions defaults;
  ASSERT_TRUE(
      traffic.Build(corpus, ReplyMode::kServer, defaults.max_message_size)
          .ok());
  // Oversized corpus messages (4.3 KB) are within the server's 1 MiB.
  EXPECT_GT(traffic.model_differs(), 0);

  ServerThread server;
  ASSERT_NE(server.port(), 0);
  constexpr int kConns = 3, kWindow = 8;
  constexpr int64_t kOps = 3000;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int c = 0; c < kConns; ++c) {
    clients.push_back(std::make_unique<TestClient>(server.port()));
    ASSERT_TRUE(clients.back()->ok());
  }
  ReplyChecker checker(traffic, kConns, kWindow);
  std::string reply;
  int64_t t = 1;
  for (int64_t i = 0; i < kOps; ++i) {
    const int c = static_cast<int>(i % kConns);
    if (checker.pending(c) == kWindow) {
      ASSERT_TRUE(clients[c]->Receive(reply));
      EXPECT_GT(checker.Received(c, reply), 0);
    }
    const uint16_t index = corpus.IndexForOp(i);
    ASSERT_TRUE(
        clients[c]->Send(traffic.opcode(index), traffic.message(index)));
    checker.Sent(c, index, t++);
  }
  for (int c = 0; c < kConns; ++c) {
    while (checker.pending(c) > 0) {
      ASSERT_TRUE(clients[c]->Receive(reply));
      checker.Received(c, reply);
    }
  }
  const TrafficCounts want = traffic.ExpectedCounts(0, kOps);
  EXPECT_TRUE(CheckTraffic(checker.counts(), want, "test").ok())
      << CheckTraffic(checker.counts(), want, "test");
  EXPECT_GT(want.error_replies(), 30);
  EXPECT_GT(want.errors[static_cast<size_t>(MessageError::kInvalidUtf8)], 0);
  EXPECT_GT(want.acks, 2000);
}

TEST(ReplyCheckerTest, FlagsWrongUnexpectedAndMissingReplies) {
  MessageTraffic traffic;
  ASSERT_TRUE(traffic.Build(Corpus(), ReplyMode::kServer, 1 << 20).ok());
  ReplyChecker checker(traffic, 2, 2);
  const uint16_t a = Corpus().IndexForOp(0), b = Corpus().IndexForOp(1);
  EXPECT_EQ(checker.Received(0, traffic.expected(a)), -1);  // nothing sent
  checker.Sent(0, a, 100);
  checker.Sent(0, b, 200);
  checker.Sent(0, a, 300);  // over the window of 2
  EXPECT_EQ(checker.Received(0, traffic.expected(b)), 100);  // out of order
  EXPECT_EQ(checker.Received(0, traffic.expected(b)), 200);
  const TrafficCounts& c = checker.counts();
  EXPECT_EQ(c.unexpected, 1);
  EXPECT_EQ(c.overflows, 1);
  EXPECT_EQ(c.mismatches, traffic.expected(a) == traffic.expected(b) ? 0 : 1);
  EXPECT_EQ(c.replies, 2 - c.mismatches);
  EXPECT_FALSE(c.first_problem.empty());
  EXPECT_FALSE(CheckTraffic(c, traffic.ExpectedCounts(0, 2), "t").ok());
  // A pass with one reply missing fails its check.
  checker.Reset();
  checker.Sent(1, a, 1);
  checker.Sent(1, b, 2);
  checker.Received(1, traffic.expected(a));
  absl::Status s =
      CheckTraffic(checker.counts(), traffic.ExpectedCounts(0, 2), "pass");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("replies matched = 1, expected 2"),
            std::string_view::npos)
      << s;
}

TEST(MessageTrafficTest, EchoModeExpectsTheMessageItselfAndSendsBadUtf8Binary) {
  MessageTraffic traffic;
  ASSERT_TRUE(traffic.Build(Corpus(), ReplyMode::kEcho, 0).ok());
  int binary = 0;
  for (size_t i = 0; i < Corpus().messages().size(); ++i) {
    const auto index = static_cast<uint16_t>(i);
    EXPECT_EQ(traffic.expected(index), traffic.message(index));
    if (traffic.opcode(index) == Opcode::kBinary) {
      ++binary;
      EXPECT_EQ(Corpus().messages()[i].error, MessageError::kInvalidUtf8);
    }
  }
  EXPECT_GT(binary, 0);
  const TrafficCounts want = traffic.ExpectedCounts(0, 1000);
  EXPECT_EQ(want.echoes, 1000);
  EXPECT_EQ(want.error_replies(), 0);
}

}  // namespace
}  // namespace wsbench::bench

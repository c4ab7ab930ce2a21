#include "wsbench/reply_builder.h"

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "simdjson.h"
#include "wsbench/message.h"
#include "wsbench/message_parser.h"

namespace wsbench {
namespace {

// Parses `reply` with simdjson's DOM (an independent, validating parser).
simdjson::dom::element ParseJson(simdjson::dom::parser& parser, std::string_view reply) {
  simdjson::dom::element root;
  auto error = parser.parse(reply.data(), reply.size()).get(root);
  EXPECT_EQ(error, simdjson::SUCCESS) << simdjson::error_message(error) << " in " << reply;
  return root;
}

std::string_view Str(simdjson::dom::element e, const char* key) {
  std::string_view s;
  EXPECT_EQ(e[key].get(s), simdjson::SUCCESS) << key;
  return s;
}

TEST(ReplyBuilderTest, AckForSubscribe) {
  ReplyBuilder replies;
  const std::vector<std::string_view> channels = {"orders.eu", "chat"};
  EXPECT_EQ(replies.Ack(CommandType::kSubscribe, "7", channels),
            R"({"type":"ack","of":"subscribe","id":7,"channels":["orders.eu","chat"]})");
  EXPECT_EQ(replies.Ack(CommandType::kUnsubscribe, "", channels),
            R"({"type":"ack","of":"unsubscribe","channels":["orders.eu","chat"]})");
  EXPECT_EQ(replies.Ack(CommandType::kPing, R"("req-1")", {}),
            R"({"type":"ack","of":"ping","id":"req-1"})");
}

TEST(ReplyBuilderTest, AckFromParsedCommandRoundTrips) {
  MessageParser parser;
  Command command;
  ReplyBuilder replies;
  simdjson::dom::parser dom;
  ASSERT_EQ(parser.Parse(R"({"type":"subscribe","id":"a\"b","channels":["caf\u00e9","q\"\\\n\u0001"]})",
                         command),
            MessageError::kOk);
  const std::string reply(replies.Ack(command));
  auto root = ParseJson(dom, reply);
  EXPECT_EQ(Str(root, "type"), "ack");
  EXPECT_EQ(Str(root, "of"), "subscribe");
  EXPECT_EQ(Str(root, "id"), "a\"b");
  simdjson::dom::array channels;
  ASSERT_EQ(root["channels"].get(channels), simdjson::SUCCESS);
  std::vector<std::string_view> names;
  for (auto c : channels) names.push_back(c.get_string().value());
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "caf\xc3\xa9");
  EXPECT_EQ(names[1], std::string_view("q\"\\\n\x01", 5));
  // Control characters use the short escapes or \u00XX.
  EXPECT_NE(reply.find(R"("q\"\\\n\u0001")"), std::string::npos) << reply;
}

TEST(ReplyBuilderTest, EventEnvelopeCarriesRawData) {
  ReplyBuilder replies;
  simdjson::dom::parser dom;
  const std::string_view data = R"({"user":"alice","n":[1,2.5,null]})";
  const std::string reply(replies.Event("chat.\"lobby\"", data));
  EXPECT_EQ(reply, R"({"type":"event","channel":"chat.\"lobby\"","data":{"user":"alice","n":[1,2.5,null]}})");
  auto root = ParseJson(dom, reply);
  EXPECT_EQ(Str(root, "type"), "event");
  EXPECT_EQ(Str(root, "channel"), "chat.\"lobby\"");
  EXPECT_EQ(simdjson::minify(root["data"].value()), data);
}

TEST(ReplyBuilderTest, PublishThroughParserAndEventRoundTrips) {
  MessageParser parser;
  Command command;
  ReplyBuilder replies;
  simdjson::dom::parser dom;
  ASSERT_EQ(parser.Parse(R"({"type":"publish","channel":"t\tab","data":"x\u0000y"})", command),
            MessageError::kOk);
  const std::string reply(replies.Event(command.channel, command.data));
  auto root = ParseJson(dom, reply);
  EXPECT_EQ(Str(root, "channel"), "t\tab");
  EXPECT_EQ(Str(root, "data"), std::string_view("x\0y", 3));
}

// Names sent without escapes are copied; the reply must be byte for byte what
// escaping them gives, for every length the copy handles differently.
TEST(ReplyBuilderTest, PlainNamesCopyExactlyAsEscapingWrites) {
  MessageParser parser;
  Command command;
  ReplyBuilder replies;
  std::string plain_reply, escaped_reply;
  for (size_t n = 1; n <= 40; ++n) {
    std::string name;
    for (size_t i = 0; i < n; ++i)
      name.push_back(static_cast<char>('a' + i % 26));
    if (n % 3 == 0) name.replace(0, 1, R"(\u00e9)");  // Escaped: not plain.
    if (n % 5 == 0) name += "â¬";                 // Non-ASCII: still plain.
    const std::string text = R"({"type":"unsubscribe","channels":["x",")" +
                             name + R"(" , "y.)" + name + R"("],"id":1})";
    ASSERT_EQ(parser.Parse(text, command), MessageError::kOk) << text;
    ASSERT_EQ(command.channel_count, 3u);
    const uint32_t want = n % 3 == 0 ? 0b001u : 0b111u;
    EXPECT_EQ(command.plain_names, want) << text;
    plain_reply = replies.Ack(command);
    escaped_reply = replies.Ack(command.type, command.id, command.channels());
    EXPECT_EQ(plain_reply, escaped_reply) << text;

    const std::string publish =
        R"({"type":"publish","channel":")" + name + R"(" ,"data":[1]})";
    ASSERT_EQ(parser.Parse(publish, command), MessageError::kOk) << publish;
    EXPECT_EQ((command.plain_names & Command::kPlainChannelBit) != 0,
              n % 3 != 0)
        << publish;
    plain_reply = replies.Event(command);
    escaped_reply = replies.Event(command.channel, command.data);
    EXPECT_EQ(plain_reply, escaped_reply) << publish;
  }
  // Escapes of every kind make a name not plain, even when the unescaped
  // name is plain text.
  ASSERT_EQ(
      parser.Parse(
          R"({"type":"subscribe","channels":["a\/b","\u0061","a\"","ok"]})",
          command),
      MessageError::kOk);
  EXPECT_EQ(command.plain_names, 0b1000u);
}

TEST(ReplyBuilderTest, ErrorReplies) {
  ReplyBuilder replies;
  simdjson::dom::parser dom;
  EXPECT_EQ(replies.Error(MessageError::kUnknownType, 15, "3"),
            R"({"type":"error","code":"unknown_type","message":"unknown message type","at":15,"id":3})");
  for (size_t i = 1; i < kMessageErrorCount; ++i) {
    const auto error = static_cast<MessageError>(i);
    auto root = ParseJson(dom, replies.Error(error, 4294967295u));
    EXPECT_EQ(Str(root, "code"), MessageErrorName(error));
    uint64_t at = 0;
    ASSERT_EQ(root["at"].get(at), simdjson::SUCCESS);
    EXPECT_EQ(at, 4294967295u);
  }
  // A Status message with quotes, backslashes and a control byte.
  const std::string message = "unknown_type: unknown message type 'a\"b\\c\x1f' at byte 9";
  const std::string reply(replies.Error("unknown_type", message));
  auto root = ParseJson(dom, reply);
  EXPECT_EQ(Str(root, "message"), message);
  EXPECT_NE(reply.find(R"(\u001f)"), std::string::npos);
}

TEST(ReplyBuilderTest, EveryByteEscapesToValidJson) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // Multi-byte UTF-8 passes through.
  std::string quoted;
  AppendJsonString(all, quoted);
  simdjson::dom::parser dom;
  std::string doc = "[" + quoted + "]";
  simdjson::dom::element root = ParseJson(dom, doc);
  std::string_view back;
  ASSERT_EQ(root.at(0).get(back), simdjson::SUCCESS);
  EXPECT_EQ(back, all);
}

TEST(ReplyBuilderTest, BufferIsReusedOnceGrown) {
  ReplyBuilder replies(64);
  EXPECT_EQ(replies.grow_count(), 0u);
  const std::string big_data = "\"" + std::string(5000, 'x') + "\"";
  std::string_view reply = replies.Event("c", big_data);
  EXPECT_EQ(reply.size(), big_data.size() + std::string_view(R"({"type":"event","channel":"c","data":})").size());
  const uint64_t grows = replies.grow_count();
  EXPECT_GE(grows, 1u);
  const size_t capacity = replies.capacity();
  for (int i = 0; i < 100; ++i) {
    replies.Event("c", big_data);
    replies.Ack(CommandType::kPing, "1", {});
    replies.Error(MessageError::kMalformedJson, 3);
  }
  EXPECT_EQ(replies.grow_count(), grows);
  EXPECT_EQ(replies.capacity(), capacity);
  // Each call replaces the previous reply.
  EXPECT_EQ(replies.Ack(CommandType::kPing, "1", {}), R"({"type":"ack","of":"ping","id":1})");
  EXPECT_EQ(replies.view(), R"({"type":"ack","of":"ping","id":1})");
}

TEST(ReplyBuilderTest, WorstCaseEscapingFits) {
  ReplyBuilder replies(64);
  const std::string controls(1000, '\x01');  // Each becomes 6 bytes.
  const std::vector<std::string_view> channels(16, controls);
  std::string_view reply = replies.Ack(CommandType::kSubscribe, "1", channels);
  EXPECT_EQ(reply.size(), std::string_view(R"({"type":"ack","of":"subscribe","id":1,"channels":[]})").size() +
                              16 * (6000 + 2) + 15);
  simdjson::dom::parser dom;
  ParseJson(dom, reply);
}

}  // namespace
}  // namespace wsbench

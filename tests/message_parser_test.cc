#include "wsbench/message_parser.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "simdjson.h"
#include "wsbench/message.h"

namespace wsbench {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> Fixtures(std::string_view dir) {
  std::vector<fs::path> out;
  for (const auto& entry :
       fs::directory_iterator(fs::path(WSBENCH_TESTDATA_DIR) / "messages" / dir)) {
    out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Prefix(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.substr(0, name.find('.'));
}

TEST(MessageParserTest, ValidFixturesParseIntoTheirType) {
  MessageParser parser;
  Command command;
  const auto files = Fixtures("valid");
  ASSERT_GE(files.size(), 10u);
  for (const auto& file : files) {
    const std::string text = ReadFile(file);
    ASSERT_EQ(parser.Parse(text, command), MessageError::kOk)
        << file.filename() << ": " << parser.last_status();
    EXPECT_EQ(CommandTypeName(command.type), Prefix(file)) << file.filename();
    EXPECT_TRUE(parser.last_status().ok());
  }
}

TEST(MessageParserTest, InvalidFixturesGetTheirDistinctError) {
  MessageParser parser;
  Command command;
  const auto files = Fixtures("invalid");
  ASSERT_GE(files.size(), 30u);
  std::vector<std::string> kinds_seen;
  for (const auto& file : files) {
    const std::string text = ReadFile(file);
    const MessageError code = parser.Parse(text, command);
    EXPECT_EQ(MessageErrorName(code), Prefix(file)) << file.filename() << ": "
                                                    << parser.last_status();
    const absl::Status status = parser.last_status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    const std::string message(status.message());
    EXPECT_EQ(message.rfind(std::string(MessageErrorName(code)) + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(" at byte "), std::string::npos) << message;
    kinds_seen.push_back(Prefix(file));
  }
  // Every error kind except kOversized (tested below with a small limit) has a fixture.
  std::sort(kinds_seen.begin(), kinds_seen.end());
  kinds_seen.erase(std::unique(kinds_seen.begin(), kinds_seen.end()), kinds_seen.end());
  EXPECT_EQ(kinds_seen.size(), kMessageErrorCount - 2);  // minus kOk, kOversized
}

TEST(MessageParserTest, Subscribe) {
  MessageParser parser;
  Command command;
  ASSERT_EQ(parser.Parse(R"({"type":"subscribe","channels":["orders.eu","chat"],"id":9})", command),
            MessageError::kOk);
  EXPECT_EQ(command.type, CommandType::kSubscribe);
  ASSERT_EQ(command.channels().size(), 2u);
  EXPECT_EQ(command.channels()[0], "orders.eu");
  EXPECT_EQ(command.channels()[1], "chat");
  EXPECT_EQ(command.id, "9");
  EXPECT_TRUE(command.data.empty());
}

TEST(MessageParserTest, UnsubscribeWithFieldsInAnyOrderAndWhitespace) {
  MessageParser parser;
  Command command;
  ASSERT_EQ(parser.Parse(" {\"id\" : \"r-1\" ,\n \"channels\":[ \"a\" ],\"type\":\"unsubscribe\"}\n",
                         command),
            MessageError::kOk);
  EXPECT_EQ(command.type, CommandType::kUnsubscribe);
  ASSERT_EQ(command.channels().size(), 1u);
  EXPECT_EQ(command.channels()[0], "a");
  EXPECT_EQ(command.id, R"("r-1")");  // Raw JSON, trailing space trimmed.
}

TEST(MessageParserTest, ChannelNamesAreUnescaped) {
  MessageParser parser;
  Command command;
  ASSERT_EQ(parser.Parse(R"({"type":"subscribe","channels":["caf\u00e9 \"q\"","a\\b"]})", command),
            MessageError::kOk);
  ASSERT_EQ(command.channels().size(), 2u);
  EXPECT_EQ(command.channels()[0], "caf\xc3\xa9 \"q\"");
  EXPECT_EQ(command.channels()[1], "a\\b");
}

TEST(MessageParserTest, PublishKeepsDataAsRawJson) {
  MessageParser parser;
  Command command;
  const std::string data = R"({"user":"alice","n":[1,2.5e3,{"x":null}],"t":"\"hi\"\n"})";
  const std::string text = R"({"type":"publish","channel":"chat","data":)" + data + " }";
  ASSERT_EQ(parser.Parse(text, command), MessageError::kOk) << parser.last_status();
  EXPECT_EQ(command.type, CommandType::kPublish);
  EXPECT_EQ(command.channel, "chat");
  EXPECT_EQ(command.data, data);
  EXPECT_TRUE(command.id.empty());
  EXPECT_TRUE(command.channels().empty());
}

TEST(MessageParserTest, PublishScalarData) {
  MessageParser parser;
  Command command;
  for (std::string data : {R"("text, with \"quotes\" and , commas")", "-12.5e+3", "true",
                           "false", "null", "0", "[]", "{}"}) {
    const std::string text = R"({"type":"publish","data":)" + data + R"( ,"channel":"c"})";
    ASSERT_EQ(parser.Parse(text, command), MessageError::kOk) << data << parser.last_status();
    EXPECT_EQ(command.data, data);
  }
}

TEST(MessageParserTest, PingIds) {
  MessageParser parser;
  Command command;
  ASSERT_EQ(parser.Parse(R"({"type":"ping","id":-9223372036854775808})", command),
            MessageError::kOk);
  EXPECT_EQ(command.type, CommandType::kPing);
  EXPECT_EQ(command.id, "-9223372036854775808");
  ASSERT_EQ(parser.Parse(R"({"type":"ping","id":"a\"b"})", command), MessageError::kOk);
  EXPECT_EQ(command.id, R"("a\"b")");
  EXPECT_EQ(parser.Parse(R"({"type":"ping","id":true})", command), MessageError::kMistypedField);
  EXPECT_EQ(parser.last_error().field, MessageField::kId);
  EXPECT_EQ(parser.Parse(R"({"type":"ping","id":null})", command), MessageError::kMistypedField);
  EXPECT_EQ(parser.Parse(R"({"type":"ping","id":"bad \x escape"})", command),
            MessageError::kMalformedJson);
}

TEST(MessageParserTest, UnknownFieldsAreValidatedThenIgnored) {
  MessageParser parser;
  Command command;
  EXPECT_EQ(parser.Parse(R"({"type":"ping","id":1,"extra":{"a":[1,"x",null]}})", command),
            MessageError::kOk);
  EXPECT_EQ(parser.Parse(R"({"type":"ping","id":1,"extra":{"a":[1,"x",nul]}})", command),
            MessageError::kMalformedJson);
  // A key spelled with escapes is a different (unknown) key.
  EXPECT_EQ(parser.Parse(R"({"typ\u0065":"ping","id":1})", command), MessageError::kMissingField);
}

TEST(MessageParserTest, BadDataGrammarIsRejectedEvenThoughDataIsRaw) {
  MessageParser parser;
  Command command;
  for (const char* data : {R"({"a" 1})", R"({"a":1,})", "[1,,2]", "[1 2]", "01", "1.", "-",
                           "1e", R"({"a":tru})", R"("\u12G4")", R"({"k\q":1})", "[nulll]",
                           R"({1:2})"}) {
    const std::string text = std::string(R"({"type":"publish","channel":"c","data":)") + data + "}";
    const MessageError code = parser.Parse(text, command);
    EXPECT_EQ(code, MessageError::kMalformedJson) << data << " -> " << parser.last_status();
  }
}

// Container data is checked by walking simdjson's structural index; every
// grammar rule must hold at every depth, and valid text must pass untouched.
TEST(MessageParserTest, ContainerDataIsCheckedAtEveryDepth) {
  MessageParser parser;
  Command command;
  for (const char* data :
       {R"([true,false,null,-0,0.5e-7,1E+2,"a\\\"b\u00e9\/",{},[],{"a":{"b":[[]]}}])",
        "[ 1 , true\t,\n\"x\" ,null ]", R"(["a\\"])", R"({"a\\":1,"b":[false]})",
        R"({"k":"\b\f\n\r\t\""})", "[[[1],[2,[3]]],{}]", R"({"":""})"}) {
    const std::string text = std::string(R"({"type":"publish","channel":"c","data":)") + data + "}";
    ASSERT_EQ(parser.Parse(text, command), MessageError::kOk) << data << parser.last_status();
    EXPECT_EQ(command.data, data);
  }
  for (const char* data :
       {"[tru]", "[truex]", "[fals]", "[nul]", "[-]", "[1.]", "[1e+]", "[01]", "[-01]",
        "[1 2]", "[1,]", "[,1]", "[1}", R"({"a":1])", R"({"a":1 "b":2})", R"({"a"})",
        R"({"a":})", "{:1}", R"({"a":1,})", R"([{"a":[1,{"b":"\q"}]}])", R"(["ok","\u12"])",
        R"([["x"]"y"])", "[true false]", "[1.5.5]", "[+1]", "[.5]", R"({"a":1:2})",
        R"([{"a":1},{"b" 2}])", "[[],]", R"({"a":"b","c"})", "[1,\\u0031]"}) {
    const std::string text = std::string(R"({"type":"publish","channel":"c","data":)") + data + "}";
    EXPECT_EQ(parser.Parse(text, command), MessageError::kMalformedJson)
        << data << " -> " << parser.last_status();
  }
}

TEST(MessageParserTest, ErrorOffsetsPointAtTheProblem) {
  MessageParser parser;
  Command command;
  std::string text = R"({"id":1,"type":"bogus"})";
  ASSERT_EQ(parser.Parse(text, command), MessageError::kUnknownType);
  EXPECT_EQ(parser.last_error().offset, text.find("\"bogus\""));
  EXPECT_EQ(parser.last_error().detail_view(), "bogus");
  EXPECT_EQ(std::string(parser.last_status().message()),
            "unknown_type: unknown message type 'bogus' in field \"type\" at byte 15");

  text = "{\"type\":\"ping\",\"id\":\"ab\xff\"}";
  ASSERT_EQ(parser.Parse(text, command), MessageError::kInvalidUtf8);
  EXPECT_EQ(parser.last_error().offset, text.find('\xff'));

  text = R"({"type":"publish","channel":"c","data":{"a":1)";
  ASSERT_EQ(parser.Parse(text, command), MessageError::kTruncated);
  EXPECT_EQ(parser.last_error().offset, text.size());

  text = R"({"type":"publish","channel":"c","data":[1,02]})";
  ASSERT_EQ(parser.Parse(text, command), MessageError::kMalformedJson);
  EXPECT_EQ(parser.last_error().offset, text.find("02"));
  EXPECT_NE(std::string(parser.last_status().message()).find("bad number"), std::string::npos);

  text = R"({"type":"unsubscribe","channels":["a","b",7]})";
  ASSERT_EQ(parser.Parse(text, command), MessageError::kMistypedField);
  EXPECT_EQ(parser.last_error().field, MessageField::kChannels);
  EXPECT_EQ(parser.last_error().offset, text.find('7'));
}

TEST(MessageParserTest, OversizedComesFirst) {
  ParserOptions options;
  options.max_message_bytes = 40;
  MessageParser parser(options);
  Command command;
  std::string text = R"({"type":"ping","id":"0123456789012345"})";  // 39 bytes
  ASSERT_EQ(text.size(), 39u);
  EXPECT_EQ(parser.Parse(text, command), MessageError::kOk);
  text = R"({"type":"ping","id":"01234567890123456"})";  // 40: at the limit
  EXPECT_EQ(parser.Parse(text, command), MessageError::kOk);
  text = R"({"type":"ping","id":"012345678901234567"})";  // 41
  EXPECT_EQ(parser.Parse(text, command), MessageError::kOversized);
  // Even if it is also broken in every other way.
  EXPECT_EQ(parser.Parse(std::string(100, '\xff'), command), MessageError::kOversized);
  EXPECT_EQ(std::string(parser.last_status().message()),
            "oversized: message is larger than the limit at byte 40");
}

TEST(MessageParserTest, InvalidUtf8BeatsTruncation) {
  MessageParser parser;
  Command command;
  EXPECT_EQ(parser.Parse("{\"type\":\"publish\",\"data\":\"\xc3", command),
            MessageError::kInvalidUtf8);
}

TEST(MessageParserTest, EveryProperPrefixIsTruncated) {
  MessageParser parser;
  Command command;
  const std::string text =
      R"({"type":"publish","channel":"a.b","data":{"k":[1,-2.5e3,"s\"\u00e9",true,false,null]},"id":"x"})";
  ASSERT_EQ(parser.Parse(text, command), MessageError::kOk);
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_EQ(parser.Parse(std::string_view(text.data(), n), command), MessageError::kTruncated)
        << n << ": " << text.substr(0, n);
  }
}

TEST(MessageParserTest, ChannelLimits) {
  MessageParser parser;
  Command command;
  auto subscribe = [](int count, size_t name_size) {
    std::string text = R"({"type":"subscribe","channels":[)";
    for (int i = 0; i < count; ++i) {
      if (i > 0) text += ',';
      std::string name = std::to_string(i);
      name.resize(name_size, 'x');
      text += '"' + name + '"';
    }
    return text + "]}";
  };
  ASSERT_EQ(parser.Parse(subscribe(16, 10), command), MessageError::kOk);
  EXPECT_EQ(command.channels().size(), 16u);
  EXPECT_EQ(command.channels()[15], "15xxxxxxxx");
  EXPECT_EQ(parser.Parse(subscribe(17, 10), command), MessageError::kTooManyChannels);
  EXPECT_EQ(parser.Parse(subscribe(1, 200), command), MessageError::kOk);
  EXPECT_EQ(parser.Parse(subscribe(1, 201), command), MessageError::kBadChannelName);
  EXPECT_EQ(parser.Parse(subscribe(0, 1), command), MessageError::kNoChannels);
}

TEST(MessageParserTest, DepthLimit) {
  MessageParser parser;  // max_depth 32; the root object is depth 1.
  Command command;
  auto nested = [](int levels) {
    return R"({"type":"publish","channel":"c","data":)" + std::string(levels, '[') +
           std::string(levels, ']') + "}";
  };
  EXPECT_EQ(parser.Parse(nested(31), command), MessageError::kOk) << parser.last_status();
  EXPECT_EQ(parser.Parse(nested(32), command), MessageError::kTooDeep);
  // Deep nesting in an ignored field counts too.
  EXPECT_EQ(parser.Parse(R"({"type":"ping","id":1,"x":)" + std::string(40, '[') +
                             std::string(40, ']') + "}",
                         command),
            MessageError::kTooDeep);
}

// Past 64 levels the grammar walk keeps its container stack in memory
// instead of a register word; both must check the same grammar and limit.
TEST(MessageParserTest, DeepLimitsBeyondSixtyFourLevels) {
  for (const uint32_t max_depth : {32u, 64u, 65u, 66u, 100u}) {
    ParserOptions options;
    options.max_depth = max_depth;
    MessageParser parser(options);
    Command command;
    auto publish = [](const std::string& data) {
      return R"({"type":"publish","channel":"c","data":)" + data + "}";
    };
    auto nested = [](uint32_t levels, const char* inner) {
      std::string data;
      for (uint32_t i = 0; i < levels; ++i) data += i % 2 ? R"({"k":)" : "[";
      data += inner;
      for (uint32_t i = levels; i-- > 0;) data += i % 2 ? "}" : "]";
      return data;
    };
    const uint32_t deepest = max_depth - 1;  // The root object is level 1.
    EXPECT_EQ(parser.Parse(publish(nested(deepest, "1")), command),
              MessageError::kOk)
        << max_depth << parser.last_status();
    EXPECT_EQ(command.data, nested(deepest, "1"));
    EXPECT_EQ(parser.Parse(publish(nested(deepest + 1, "1")), command),
              MessageError::kTooDeep)
        << max_depth;
    EXPECT_EQ(parser.Parse(publish(nested(deepest, "1,]")), command),
              MessageError::kMalformedJson)
        << max_depth;
    std::string swapped = nested(deepest, "1");
    std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
    EXPECT_EQ(parser.Parse(publish(swapped), command),
              MessageError::kMalformedJson)
        << max_depth << " " << swapped;
  }
}

TEST(MessageParserTest, PaddedInputIsParsedInPlace) {
  MessageParser parser;
  Command command;
  const std::string_view text = R"({"type":"publish","channel":"c","data":{"a":1}})";
  std::string buffer(text);
  buffer.resize(text.size() + kMessagePadding, '}');  // Padding content is irrelevant.
  ASSERT_EQ(parser.Parse(std::string_view(buffer.data(), text.size()), buffer.size(), command),
            MessageError::kOk);
  EXPECT_EQ(parser.copies(), 0u);
  EXPECT_EQ(command.data, R"({"a":1})");
  EXPECT_GE(command.data.data(), buffer.data());  // Points into the caller's buffer.
  EXPECT_LT(command.data.data(), buffer.data() + buffer.size());

  // One byte short of the padding: copied into the parser's own buffer.
  ASSERT_EQ(parser.Parse(std::string_view(buffer.data(), text.size()), buffer.size() - 1, command),
            MessageError::kOk);
  EXPECT_EQ(parser.copies(), 1u);
  EXPECT_EQ(command.data, R"({"a":1})");
  EXPECT_TRUE(command.data.data() < buffer.data() ||
              command.data.data() >= buffer.data() + buffer.size());
}

TEST(MessageParserTest, ParserIsReusedAcrossMessages) {
  MessageParser parser;
  Command command;
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(parser.Parse(R"({"type":"subscribe","channels":["x","y","z"]})", command),
              MessageError::kOk);
    EXPECT_EQ(command.channels().size(), 3u);
    EXPECT_EQ(command.channels()[2], "z");
    ASSERT_EQ(parser.Parse(R"({"type":"bogus"})", command), MessageError::kUnknownType);
    ASSERT_EQ(parser.Parse(R"({"type":"publish","channel":"p","data":[1]})", command),
              MessageError::kOk);
    // Fields of the previous command do not leak into this one.
    EXPECT_EQ(command.channels().size(), 0u);
    EXPECT_EQ(command.channel, "p");
    EXPECT_EQ(command.data, "[1]");
    ASSERT_EQ(parser.Parse(R"({"type":"ping","id":5})", command), MessageError::kOk);
    EXPECT_TRUE(command.data.empty());
    EXPECT_EQ(command.id, "5");
  }
}

// The root object's own grammar is checked over the structural index as
// strictly as "data"'s, whatever the padding after the message holds.
TEST(MessageParserTest, RootGrammarIsCheckedWhateverThePaddingHolds) {
  MessageParser parser;
  Command command;
  const std::pair<const char*, MessageError> cases[] = {
      {R"({"type":"ping","id":1,})", MessageError::kMalformedJson},
      {R"({"type":"ping" "id":1})", MessageError::kMalformedJson},
      {R"({"type":"ping","id":1])", MessageError::kMalformedJson},
      {R"({"type" "ping","id":1})", MessageError::kMalformedJson},
      {R"({"type":"ping",,"id":1})", MessageError::kMalformedJson},
      {R"({,"type":"ping","id":1})", MessageError::kMalformedJson},
      {R"({"type":"ping","id":1}})", MessageError::kMalformedJson},
      {R"({"type":"ping","id":1} {})", MessageError::kMalformedJson},
      {R"({"type":"ping","id":1,"x":[})", MessageError::kMalformedJson},
      {R"({"type":"ping","id":1,"x":{"a":1]})", MessageError::kMalformedJson},
      {R"({"type":"ping","id":1,"a\x":1})", MessageError::kMalformedJson},
      {R"({"type":"ping","id":1,"x":tru})", MessageError::kMalformedJson},
      {R"({"type":"subscribe","channels":["a" "b"]})",
       MessageError::kMalformedJson},
      {R"({"type":"subscribe","channels":["a",]})",
       MessageError::kMalformedJson},
      {R"({"type":"subscribe","channels":["a"})", MessageError::kMalformedJson},
      {R"({"type":"ping","id":1,"x":[)", MessageError::kTruncated},
      {R"({"type":"subscribe","channels":["a",)", MessageError::kTruncated},
      {R"({"type":"ping","id":1)", MessageError::kTruncated},
      {R"({"type":"ping","id":)", MessageError::kTruncated},
      {R"({"type":"ping","id":1,"x":1)", MessageError::kTruncated},
      {R"({"type":"ping","id":1,"x":true)", MessageError::kTruncated},
      {R"({"type")", MessageError::kTruncated},
      {R"({)", MessageError::kTruncated},
      {R"(   )", MessageError::kTruncated},
      {R"([1,2])", MessageError::kNotAnObject},
      {R"(  "ping" )", MessageError::kNotAnObject},
      {R"(7)", MessageError::kNotAnObject},
      {R"({"type":"ping","id":1,"type":"ping"})",
       MessageError::kDuplicateField},
      {R"({"type":7,"id":1})", MessageError::kMistypedField},
      {R"({"type":"publish","channel":["c"],"data":1})",
       MessageError::kMistypedField},
      {R"({"type":"subscribe","channels":"c"})", MessageError::kMistypedField},
      {R"({})", MessageError::kMissingField},
  };
  for (const std::string padding :
       {std::string(kMessagePadding, ' '), std::string(kMessagePadding, '}'),
        std::string(kMessagePadding, ']'), std::string(kMessagePadding, '"'),
        std::string(kMessagePadding, '1')}) {
    for (const auto& [text, want] : cases) {
      std::string buffer = std::string(text) + padding;
      const std::string_view message(buffer.data(), std::strlen(text));
      EXPECT_EQ(parser.Parse(message, buffer.size(), command), want)
          << text << " + '" << padding[0] << "': " << parser.last_status();
      EXPECT_EQ(parser.Parse(message, command), want) << text << " (copied)";
    }
  }
}

TEST(MessageParserTest, EscapedStringsAreUnescapedAndIdsAreInt64) {
  MessageParser parser;
  Command command;
  ASSERT_EQ(parser.Parse(R"({"type":"pin\u0067","id":1})", command),
            MessageError::kOk);
  EXPECT_EQ(command.type, CommandType::kPing);
  ASSERT_EQ(
      parser.Parse(
          R"({"type":"publish","channel":"a\/b\u00e9","data":{"k":"\ud800"}})",
          command),
      MessageError::kOk);
  EXPECT_EQ(command.channel, "a/b\xc3\xa9");
  EXPECT_EQ(command.data, R"({"k":"\ud800"})");
  EXPECT_EQ(command.plain_names, 0u);
  // A lone surrogate in a string the command keeps cannot be unescaped.
  EXPECT_EQ(parser.Parse(R"({"type":"ping","id":"\ud800"})", command),
            MessageError::kMalformedJson);
  for (const std::string id :
       {"0", "-0", "9223372036854775807", "-9223372036854775808",
        "1234567890123456789", "-1"}) {
    const std::string text = R"({"type":"ping","id":)" + id + " }";
    ASSERT_EQ(parser.Parse(text, command), MessageError::kOk) << text;
    EXPECT_EQ(command.id, id);
  }
  for (const char* id : {"9223372036854775808", "-9223372036854775809",
                         "12345678901234567890123", "1.0", "1e2", "-1E-2",
                         "[1]", "{}", "false"}) {
    const std::string text = std::string(R"({"type":"ping","id":)") + id + "}";
    EXPECT_EQ(parser.Parse(text, command), MessageError::kMistypedField)
        << text;
    EXPECT_EQ(parser.last_error().field, MessageField::kId) << text;
  }
  for (const char* id : {"01", "-", "1.", "+1", "--1", "1e", "[1,]", "nul"}) {
    const std::string text = std::string(R"({"type":"ping","id":)") + id + "}";
    EXPECT_EQ(parser.Parse(text, command), MessageError::kMalformedJson)
        << text;
  }
}

TEST(MessageParserTest, ParseOrStatus) {
  MessageParser parser;
  Command command;
  EXPECT_TRUE(parser.ParseOrStatus(R"({"type":"ping","id":1})", command).ok());
  const absl::Status status = parser.ParseOrStatus(R"({"type":"publish","data":1})", command);
  EXPECT_EQ(std::string(status.message()),
            "missing_field: required field is missing in field \"channel\" at byte 0");
}

TEST(MessageParserTest, DataValidationCanBeTurnedOff) {
  ParserOptions options;
  options.validate_data = false;
  MessageParser lax(options);
  MessageParser strict;
  Command command;
  const std::string text = R"({"type":"publish","channel":"c","data":[1 2]})";
  EXPECT_EQ(strict.Parse(text, command), MessageError::kMalformedJson);
  ASSERT_EQ(lax.Parse(text, command), MessageError::kOk);
  EXPECT_EQ(command.data, "[1 2]");
  // UTF-8 is still checked over the whole message.
  EXPECT_EQ(lax.Parse("{\"type\":\"publish\",\"channel\":\"c\",\"data\":[\"\xff\"]}", command),
            MessageError::kInvalidUtf8);
}

// Differential check against simdjson's validating DOM parser: random byte
// mutations of a publish message are accepted by Parse exactly when the
// mutated text is a valid JSON document (the schema stays intact or errors
// are schema errors, which need valid JSON too).
TEST(MessageParserTest, AgreesWithDomParserOnMutatedMessages) {
  MessageParser parser;
  simdjson::dom::parser dom;
  Command command;
  std::mt19937_64 rng(42);
  const std::string base =
      R"({"type":"publish","channel":"c","data":{"a":[1,-2.5e+3,0.5,true,false,null,"x\"y\\z\u00e9\n"],"b":{"c":{}},"d":[],"e":"plain text here"}})";
  const std::string alphabet = "{}[]\",:\\ 0123456789-+.eEtrufalsn\x01";
  int valid = 0, invalid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = 40 + rng() % (text.size() - 41);  // Inside "data".
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<ptrdiff_t>(at), c); break;
        default: text.erase(at, 1); break;
      }
    }
    simdjson::dom::element root;
    const simdjson::error_code dom_error = dom.parse(text).get(root);
    if (dom_error == simdjson::NUMBER_ERROR || dom_error == simdjson::NUMBER_OUT_OF_RANGE) continue;
    const MessageError code = parser.Parse(text, command);
    const bool json_error = code == MessageError::kMalformedJson ||
                            code == MessageError::kTruncated || code == MessageError::kTooDeep;
    EXPECT_EQ(dom_error == simdjson::SUCCESS, !json_error)
        << text << " -> " << parser.last_status() << " / " << simdjson::error_message(dom_error);
    if (code == MessageError::kOk) {
      // The relayed data is itself a valid JSON document.
      simdjson::dom::parser data_dom;
      EXPECT_EQ(data_dom.parse(std::string(command.data)).error(), simdjson::SUCCESS) << text;
    }
    (dom_error == simdjson::SUCCESS ? valid : invalid)++;
  }
  EXPECT_GT(valid, 500);
  EXPECT_GT(invalid, 5000);
}

TEST(MessageParserTest, NamesAreDistinct) {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < kMessageErrorCount; ++i) {
    names.push_back(MessageErrorName(static_cast<MessageError>(i)));
    EXPECT_NE(MessageErrorDescription(static_cast<MessageError>(i)), "unknown error");
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
  EXPECT_EQ(MessageErrorName(MessageError::kBadChannelName), "bad_channel_name");
}

}  // namespace
}  // namespace wsbench

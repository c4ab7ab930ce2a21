// RFC 6455 section 5 client-frame decoding: every rule and close code, the
// fixtures of tests/testdata/frames/, streams split at every byte, no copy for
// unfragmented messages.
#include "wsbench/frame_decoder.h"

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "wsbench/frame.h"

namespace wsbench {
namespace {

constexpr std::array<uint8_t, 4> kKey = {0x9a, 0x13, 0x5c, 0xe7};

std::string Client(Opcode op, std::string_view payload, bool fin = true,
                   std::array<uint8_t, 4> key = kKey) {
  std::string out;
  AppendFrame({.opcode = op, .fin = fin, .masked = true, .mask_key = key},
              payload, out);
  return out;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string Describe(const FrameEvent& ev) {
  switch (ev.type) {
    case FrameEventType::kMessage:
      return std::string(ev.opcode == Opcode::kText ? "text" : "binary") +
             (ev.compressed ? "+z" : "") + ":" + Escape(ev.text());
    case FrameEventType::kPing:
      return "ping:" + Escape(ev.text());
    case FrameEventType::kPong:
      return "pong:" + Escape(ev.text());
    case FrameEventType::kClose:
      return "close:" + std::to_string(ev.close_code) + ":" + Escape(ev.text());
    case FrameEventType::kError:
      return "error:" + std::to_string(ev.close_code);
    case FrameEventType::kNeedMore:
      return "need-more";
  }
  return "?";
}

// Decodes `stream` delivered as separate reads cut at `cuts` (ascending);
// each read is its own buffer, as a socket would deliver it. Returns the
// events' descriptions joined by spaces; stops at the first error.
std::string DecodeWithCuts(std::string_view stream,
                           const FrameDecoderOptions& options,
                           const std::vector<size_t>& cuts,
                           FrameDecoder* out = nullptr) {
  FrameDecoder local(options);
  FrameDecoder& decoder = out ? *out : local;
  std::string result;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : stream.size();
    std::vector<uint8_t> read(stream.begin() + start, stream.begin() + end);
    start = end;
    std::span<uint8_t> in(read);
    for (;;) {
      const FrameEvent ev = decoder.Next(in);
      if (ev.type == FrameEventType::kNeedMore) {
        EXPECT_TRUE(in.empty());
        break;
      }
      if (!result.empty()) result += ' ';
      result += Describe(ev);
      if (ev.type == FrameEventType::kError) return result;
    }
  }
  return result;
}

std::string Decode(std::string_view stream,
                   const FrameDecoderOptions& options = {}) {
  return DecodeWithCuts(stream, options, {});
}

// --- fixtures -------------------------------------------------------------

struct Fixture {
  std::string name;
  FrameDecoderOptions options;
  std::string bytes;
  std::string expected;
};

std::string Trim(std::string s) {
  const size_t b = s.find_first_not_of(" \t");
  const size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<Fixture> LoadFixtures() {
  std::ifstream file(std::string(WSBENCH_TESTDATA_DIR) +
                     "/frames/client_frames.txt");
  EXPECT_TRUE(file.good());
  std::vector<Fixture> fixtures;
  std::string line;
  while (std::getline(file, line)) {
    if (Trim(line).empty() || Trim(line)[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '|')) fields.push_back(Trim(field));
    EXPECT_EQ(fields.size(), 4u) << line;
    if (fields.size() != 4) continue;
    Fixture f;
    f.name = fields[0];
    std::stringstream opts(fields[1]);
    std::string opt;
    while (std::getline(opts, opt, ',')) {
      if (opt == "-") continue;
      if (opt == "nomask")
        f.options.require_mask = false;
      else if (opt == "rsv1")
        f.options.allow_rsv1 = true;
      else if (opt == "noutf8")
        f.options.validate_utf8 = false;
      else if (opt.rfind("maxframe=", 0) == 0)
        f.options.max_frame_size = std::stoull(opt.substr(9));
      else if (opt.rfind("maxmsg=", 0) == 0)
        f.options.max_message_size = std::stoull(opt.substr(7));
      else
        ADD_FAILURE() << "unknown option " << opt << " in " << f.name;
    }
    std::stringstream hex(fields[2]);
    std::string byte;
    while (hex >> byte)
      f.bytes += static_cast<char>(std::stoi(byte, nullptr, 16));
    f.expected = fields[3];
    fixtures.push_back(f);
  }
  return fixtures;
}

TEST(FrameDecoderFixtureTest, EveryFixtureWholeAndSplitAtEveryByte) {
  const std::vector<Fixture> fixtures = LoadFixtures();
  ASSERT_GT(fixtures.size(), 50u);
  for (const Fixture& f : fixtures) {
    EXPECT_EQ(Decode(f.bytes, f.options), f.expected) << f.name;
    for (size_t i = 0; i <= f.bytes.size(); ++i) {
      EXPECT_EQ(DecodeWithCuts(f.bytes, f.options, {i}), f.expected)
          << f.name << " cut " << i;
    }
    std::vector<size_t> every;
    for (size_t i = 1; i < f.bytes.size(); ++i) every.push_back(i);
    EXPECT_EQ(DecodeWithCuts(f.bytes, f.options, every), f.expected)
        << f.name << " bytewise";
  }
}

// --- rules not easily written as fixtures -----------------------------------

TEST(FrameDecoderTest, UnfragmentedMessageIsUnmaskedInPlaceWithoutCopy) {
  std::string wire = Client(Opcode::kText, "in place, please");
  std::vector<uint8_t> buf(wire.begin(), wire.end());
  std::span<uint8_t> in(buf);
  FrameDecoder decoder;
  const FrameEvent ev = decoder.Next(in);
  ASSERT_EQ(ev.type, FrameEventType::kMessage);
  EXPECT_FALSE(ev.copied);
  EXPECT_EQ(ev.payload.data(), buf.data() + 6);  // 2-byte header + 4-byte key
  EXPECT_EQ(ev.text(), "in place, please");
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(decoder.frames(), 1u);
  EXPECT_EQ(decoder.bytes_consumed(), wire.size());
}

TEST(FrameDecoderTest, ControlFrameInPlaceAndFragmentedMessageCopied) {
  std::string wire = Client(Opcode::kBinary, "ab", false) +
                     Client(Opcode::kPing, "p") +
                     Client(Opcode::kContinuation, "cd");
  std::vector<uint8_t> buf(wire.begin(), wire.end());
  std::span<uint8_t> in(buf);
  FrameDecoder decoder;
  FrameEvent ping = decoder.Next(in);
  ASSERT_EQ(ping.type, FrameEventType::kPing);
  EXPECT_FALSE(ping.copied);
  EXPECT_TRUE(decoder.in_message());
  FrameEvent msg = decoder.Next(in);
  ASSERT_EQ(msg.type, FrameEventType::kMessage);
  EXPECT_TRUE(msg.copied);
  EXPECT_EQ(msg.opcode, Opcode::kBinary);
  EXPECT_EQ(msg.text(), "abcd");
  EXPECT_FALSE(decoder.in_message());
  EXPECT_EQ(decoder.Next(in).type, FrameEventType::kNeedMore);
  EXPECT_EQ(decoder.frames(), 3u);
}

TEST(FrameDecoderTest, LengthBoundariesAllEncodings) {
  for (size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 70000u}) {
    std::string payload(size, '\0');
    for (size_t i = 0; i < size; ++i)
      payload[i] = static_cast<char>('a' + i % 26);
    const std::string wire = Client(Opcode::kText, payload);
    EXPECT_EQ(Decode(wire), "text:" + payload) << size;
    // Cut inside the header and at a few payload points.
    for (size_t cut : {1u, 2u, 3u, 5u, 9u, 11u, 13u, 14u, 100u, 20000u}) {
      if (cut >= wire.size()) continue;
      EXPECT_EQ(DecodeWithCuts(wire, {}, {cut}), "text:" + payload)
          << size << " cut " << cut;
    }
  }
}

TEST(FrameDecoderTest, ControlPayloadLimitIs125) {
  const std::string p125(125, 'x');
  EXPECT_EQ(Decode(Client(Opcode::kPing, p125)), "ping:" + p125);
  EXPECT_EQ(Decode(Client(Opcode::kPong, p125)), "pong:" + p125);
  EXPECT_EQ(Decode(Client(Opcode::kPing, p125 + "x")), "error:1002");
  // Split control payloads are assembled in the decoder's own array.
  EXPECT_EQ(DecodeWithCuts(Client(Opcode::kPing, p125), {}, {7, 50, 100}),
            "ping:" + p125);
}

TEST(FrameDecoderTest, ValidCloseCodes) {
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                        1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
    EXPECT_TRUE(IsValidWireCloseCode(code)) << code;
    std::string payload = {static_cast<char>(code >> 8),
                           static_cast<char>(code & 0xff)};
    EXPECT_EQ(Decode(Client(Opcode::kClose, payload + "bye")),
              "close:" + std::to_string(code) + ":bye");
  }
  for (uint16_t code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000,
                        2999, 5000, 65535}) {
    EXPECT_FALSE(IsValidWireCloseCode(code)) << code;
    std::string payload = {static_cast<char>(code >> 8),
                           static_cast<char>(code & 0xff)};
    EXPECT_EQ(Decode(Client(Opcode::kClose, payload)), "error:1002") << code;
  }
}

TEST(FrameDecoderTest, CloseReasonUtf8AndLength) {
  const std::string ok = std::string("\x03\xe8", 2) + "caf\xc3\xa9";
  EXPECT_EQ(Decode(Client(Opcode::kClose, ok)), "close:1000:caf\\xc3\\xa9");
  // A 2-byte code + 123-byte reason is the longest close frame.
  const std::string longest =
      std::string("\x03\xe8", 2) + std::string(123, 'r');
  EXPECT_EQ(Decode(Client(Opcode::kClose, longest)),
            "close:1000:" + std::string(123, 'r'));
  const std::string bad =
      std::string("\x03\xe8", 2) + "\xed\xa0\x80";  // surrogate
  EXPECT_EQ(Decode(Client(Opcode::kClose, bad)), "error:1007");
}

TEST(FrameDecoderTest, SizeLimitsFailFromTheHeaderAlone) {
  FrameDecoderOptions options;
  options.max_frame_size = 1000;
  options.max_message_size = 1500;
  // Only the header of a 1001-byte frame: the error needs no payload.
  const std::string wire = Client(Opcode::kBinary, std::string(1001, 'b'));
  FrameDecoder decoder(options);
  std::vector<uint8_t> header(wire.begin(), wire.begin() + 8);
  std::span<uint8_t> in(header);
  FrameEvent ev = decoder.Next(in);
  ASSERT_EQ(ev.type, FrameEventType::kError);
  EXPECT_EQ(ev.close_code, 1009);
  EXPECT_EQ(ev.error, FrameError::kFrameTooBig);
  EXPECT_EQ(decoder.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(decoder.status().message()).find("1001"),
            std::string::npos);

  // Fragments each under the frame limit whose sum is over the message limit.
  const std::string frags =
      Client(Opcode::kText, std::string(1000, 'a'), false) +
      Client(Opcode::kContinuation, std::string(500, 'a'), false) +
      Client(Opcode::kContinuation, "a");
  EXPECT_EQ(Decode(frags, options), "error:1009");
  const std::string fits =
      Client(Opcode::kText, std::string(1000, 'a'), false) +
      Client(Opcode::kContinuation, std::string(500, 'a'));
  EXPECT_EQ(Decode(fits, options), "text:" + std::string(1500, 'a'));
}

TEST(FrameDecoderTest, ErrorsAreStickyAndSayWhatAndWhere) {
  const std::string first = Client(Opcode::kText, "fine");
  std::string wire = first + "\x83\x80" + std::string(4, '\0');  // opcode 3
  std::vector<uint8_t> buf(wire.begin(), wire.end());
  std::span<uint8_t> in(buf);
  FrameDecoder decoder;
  EXPECT_TRUE(decoder.status().ok());
  EXPECT_EQ(decoder.Next(in).type, FrameEventType::kMessage);
  FrameEvent ev = decoder.Next(in);
  ASSERT_EQ(ev.type, FrameEventType::kError);
  EXPECT_EQ(ev.error, FrameError::kReservedOpcode);
  EXPECT_EQ(ev.close_code, 1002);
  const absl::Status status = decoder.status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  EXPECT_NE(message.find("reserved opcode"), std::string::npos) << message;
  EXPECT_NE(message.find("opcode 0x3"), std::string::npos) << message;
  EXPECT_NE(message.find("stream byte " + std::to_string(first.size())),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("1002"), std::string::npos) << message;
  // Sticky: the same error again, nothing more consumed.
  const size_t left = in.size();
  EXPECT_EQ(decoder.Next(in).error, FrameError::kReservedOpcode);
  EXPECT_EQ(in.size(), left);
  decoder.Reset();
  EXPECT_TRUE(decoder.status().ok());
  std::string again = Client(Opcode::kText, "after reset");
  std::vector<uint8_t> buf2(again.begin(), again.end());
  std::span<uint8_t> in2(buf2);
  EXPECT_EQ(decoder.Next(in2).text(), "after reset");
}

TEST(FrameDecoderTest, EveryErrorHasANameAndTheRightCloseCode) {
  EXPECT_EQ(CloseCodeFor(FrameError::kNone), 1000);
  EXPECT_EQ(CloseCodeFor(FrameError::kInvalidUtf8), 1007);
  EXPECT_EQ(CloseCodeFor(FrameError::kInvalidCloseReason), 1007);
  EXPECT_EQ(CloseCodeFor(FrameError::kFrameTooBig), 1009);
  EXPECT_EQ(CloseCodeFor(FrameError::kMessageTooBig), 1009);
  for (FrameError e :
       {FrameError::kUnmaskedFrame, FrameError::kReservedBits,
        FrameError::kReservedOpcode, FrameError::kNonMinimalLength,
        FrameError::kLengthMsbSet, FrameError::kControlTooLong,
        FrameError::kControlFragmented, FrameError::kUnexpectedContinuation,
        FrameError::kExpectedContinuation, FrameError::kCloseTooShort,
        FrameError::kInvalidCloseCode}) {
    EXPECT_EQ(CloseCodeFor(e), 1002) << FrameErrorName(e);
    EXPECT_NE(FrameErrorName(e), "unknown error");
  }
}

TEST(FrameDecoderTest, InvalidUtf8FailsFastInsideALongFrame) {
  // The bad byte is near the start of a frame whose end has not arrived yet.
  const std::string wire =
      Client(Opcode::kText, "ab\xff" + std::string(5000, 'c'));
  FrameDecoder decoder;
  std::vector<uint8_t> part(wire.begin(), wire.begin() + 100);
  std::span<uint8_t> in(part);
  FrameEvent ev = decoder.Next(in);
  EXPECT_EQ(ev.type, FrameEventType::kError);
  EXPECT_EQ(ev.close_code, 1007);
}

// A realistic multi-frame stream: all encodings, fragmented text with a code
// point split between fragments and pings in between, binary, pong, empty
// message, close. Decoded identically whether delivered whole, cut once at
// every byte, cut twice at many pairs, or byte by byte.
std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string MixedStream() {
  std::string s;
  s += Client(Opcode::kText, "{\"op\":\"publish\",\"channel\":\"news\"}");
  s += Client(Opcode::kBinary, std::string(200, '\x7f'), true, {1, 2, 3, 4});
  s += Client(Opcode::kText, "fragmented \xe2", false);
  s += Client(Opcode::kPing, "ping-1");
  s += Client(Opcode::kContinuation, "\x82", false, {0xff, 0, 0xff, 0});
  s += Client(Opcode::kPing, "");
  s += Client(Opcode::kContinuation, "\xac end \xf0\x9f\x98\x80");
  s += Client(Opcode::kPong, "pong");
  s += Client(Opcode::kText, "");
  s += Client(Opcode::kBinary, std::string(130, '\0'), false);
  s += Client(Opcode::kContinuation, "tail");
  s += Client(Opcode::kClose, std::string("\x03\xe8", 2) + "bye");
  return s;
}

TEST(FrameDecoderTest, SplitReadsAtEveryOffsetDecodeIdentically) {
  const std::string stream = MixedStream();
  const std::string whole = Decode(stream);
  ASSERT_EQ(whole, "text:{\"op\":\"publish\",\"channel\":\"news\"} binary:" +
                       Repeat("\\x7f", 200) +
                       " ping:ping-1 ping: text:fragmented \\xe2\\x82\\xac end "
                       "\\xf0\\x9f\\x98\\x80 pong:pong text: binary:" +
                       Repeat("\\x00", 130) + "tail close:1000:bye");
  for (size_t i = 0; i <= stream.size(); ++i) {
    ASSERT_EQ(DecodeWithCuts(stream, {}, {i}), whole) << "cut at " << i;
  }
  for (size_t i = 0; i <= stream.size(); i += 3) {
    for (size_t j = i; j <= stream.size(); j += 11) {
      ASSERT_EQ(DecodeWithCuts(stream, {}, {i, j}), whole)
          << "cuts at " << i << "," << j;
    }
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < stream.size(); ++i) every.push_back(i);
  EXPECT_EQ(DecodeWithCuts(stream, {}, every), whole);
  // Random read sizes, as a socket would deliver them.
  std::mt19937 rng(5);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<size_t> cuts;
    for (size_t pos = rng() % 40; pos < stream.size(); pos += 1 + rng() % 60) {
      cuts.push_back(pos);
    }
    ASSERT_EQ(DecodeWithCuts(stream, {}, cuts), whole);
  }
}

TEST(FrameDecoderTest, NothingAfterCloseIsProcessed) {
  const std::string wire =
      Client(Opcode::kClose, "") + Client(Opcode::kText, "late");
  FrameDecoder decoder;
  EXPECT_EQ(DecodeWithCuts(wire, {}, {}, &decoder), "close:1005:");
  EXPECT_TRUE(decoder.closed());
  EXPECT_EQ(decoder.bytes_consumed(), wire.size());
  EXPECT_EQ(decoder.frames(), 1u);
}

TEST(FrameDecoderTest, Rsv1MessageIsReportedCompressedAndNotUtf8Checked) {
  FrameDecoderOptions options;
  options.allow_rsv1 = true;
  std::string wire;
  AppendFrame({.opcode = Opcode::kText,
               .fin = false,
               .rsv1 = true,
               .masked = true,
               .mask_key = kKey},
              "\xff\xfe", wire);
  wire += Client(Opcode::kContinuation, std::string("\x00\x01", 2));
  std::string expected = "text+z:\\xff\\xfe\\x00\\x01";
  EXPECT_EQ(Decode(std::string_view(wire.data(), wire.size()), options),
            expected);
  // The next message is not compressed unless its own first frame says so.
  wire += Client(Opcode::kText, "plain");
  EXPECT_EQ(Decode(wire, options), expected + " text:plain");
}

}  // namespace
}  // namespace wsbench

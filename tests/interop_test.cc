// Interop with wsproto (tests/interop/wsproto_interop.py): wsproto's client
// handshake and frames decoded by our handshake parser, FrameDecoder and
// permessage-deflate; our 101 and server frames written for wsproto to
// decode. Reads the committed fixtures in tests/testdata/interop/, or the
// directory in WSBENCH_INTEROP_DIR (the live round trip, where it also writes
// its output for the script's `check` step).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "wsbench/frame.h"
#include "wsbench/frame_decoder.h"
#include "wsbench/handshake.h"
#include "wsbench/permessage_deflate.h"
#include "wsbench/utf8.h"

namespace wsbench {
namespace {

struct Event {
  char kind;  // T text, B binary, P ping, O pong, C close (code + reason)
  std::string payload;
  friend bool operator==(const Event&, const Event&) = default;
};

std::ostream& operator<<(std::ostream& os, const Event& e) {
  return os << e.kind << "(" << e.payload.size() << " B: "
            << e.payload.substr(0, 40) << ")";
}

std::string InputDir() {
  const char* dir = std::getenv("WSBENCH_INTEROP_DIR");
  return dir != nullptr ? dir : std::string(WSBENCH_TESTDATA_DIR) + "/interop";
}

std::string OutputDir() {
  const char* dir = std::getenv("WSBENCH_INTEROP_DIR");
  std::string out = dir != nullptr ? dir : testing::TempDir() + "wsbench_interop";
  std::filesystem::create_directories(out);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::vector<Event> ReadEvents(std::string_view data) {
  std::vector<Event> events;
  while (data.size() >= 5) {
    const auto* p = reinterpret_cast<const uint8_t*>(data.data());
    const size_t n = (size_t{p[1]} << 24) | (size_t{p[2]} << 16) | (size_t{p[3]} << 8) | p[4];
    events.push_back({data[0], std::string(data.substr(5, n))});
    data.remove_prefix(std::min(data.size(), 5 + n));
  }
  EXPECT_TRUE(data.empty());
  return events;
}

std::string WriteEvents(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) {
    out += e.kind;
    const uint32_t n = static_cast<uint32_t>(e.payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(n >> shift);
    out += e.payload;
  }
  return out;
}

// The permessage-deflate parameters in a 101 response's extension header.
std::optional<PerMessageDeflateParams> ParamsFromResponse(std::string_view response) {
  const size_t at = response.find("Sec-WebSocket-Extensions: ");
  if (at == std::string_view::npos) return std::nullopt;
  const size_t start = at + 26;
  const std::string_view value = response.substr(start, response.find("\r\n", start) - start);
  std::vector<ExtensionOffer> offers;
  std::vector<ExtensionParam> params;
  EXPECT_TRUE(ParseExtensionHeader(value, 0, offers, params).ok()) << value;
  if (offers.size() != 1) return std::nullopt;
  PerMessageDeflateParams p;
  for (const ExtensionParam& param : params) {
    if (param.name == "server_no_context_takeover") p.server_no_context_takeover = true;
    if (param.name == "client_no_context_takeover") p.client_no_context_takeover = true;
    if (param.name == "server_max_window_bits") p.server_max_window_bits = std::stoi(std::string(param.value));
    if (param.name == "client_max_window_bits") p.client_max_window_bits = std::stoi(std::string(param.value));
  }
  return p;
}

std::string HeaderValue(std::string_view response, std::string_view name) {
  const size_t at = response.find(std::string(name) + ": ");
  if (at == std::string_view::npos) return "";
  const size_t start = at + name.size() + 2;
  return std::string(response.substr(start, response.find("\r\n", start) - start));
}

// Decodes a frame stream (fed in `chunk`-byte reads) into events, inflating
// compressed messages with `codec`.
std::vector<Event> Decode(std::string stream, const FrameDecoderOptions& options,
                          PerMessageDeflate* codec, size_t chunk) {
  std::vector<Event> events;
  FrameDecoder decoder(options);
  auto* bytes = reinterpret_cast<uint8_t*>(stream.data());
  for (size_t pos = 0; pos < stream.size();) {
    const size_t n = std::min(chunk, stream.size() - pos);
    std::span<uint8_t> in(bytes + pos, n);
    pos += n;
    for (;;) {
      FrameEvent ev = decoder.Next(in);
      if (ev.type == FrameEventType::kNeedMore) break;
      if (ev.type == FrameEventType::kError) {
        ADD_FAILURE() << "decoder error: " << decoder.status();
        return events;
      }
      std::string payload(ev.text());
      switch (ev.type) {
        case FrameEventType::kMessage: {
          if (ev.compressed) {
            EXPECT_NE(codec, nullptr);
            if (codec == nullptr) return events;
            absl::StatusOr<std::string_view> inflated = codec->Decompress(payload);
            EXPECT_TRUE(inflated.ok()) << inflated.status();
            if (!inflated.ok()) return events;
            payload = std::string(*inflated);
          }
          const bool text = ev.opcode == Opcode::kText;
          if (text) {
            EXPECT_TRUE(IsValidUtf8(payload));
          }
          events.push_back({text ? 'T' : 'B', payload});
          break;
        }
        case FrameEventType::kPing:
          events.push_back({'P', payload});
          break;
        case FrameEventType::kPong:
          events.push_back({'O', payload});
          break;
        case FrameEventType::kClose: {
          std::string close;
          close += static_cast<char>(ev.close_code >> 8);
          close += static_cast<char>(ev.close_code & 0xff);
          events.push_back({'C', close + payload});
          break;
        }
        default:
          break;
      }
    }
  }
  return events;
}

// Our server's traffic: plain and (when negotiated) compressed messages,
// fragmented ones with a ping between the fragments, 16- and 64-bit lengths.
// wsproto 1.2.0 loses its inflate state when a control frame arrives between
// the fragments of a compressed message (python-hyper/wsproto pull request
// #205, open), although RFC 6455 section 5.4 allows it; `ping_in_compressed`
// = false leaves that ping out of the frames written for wsproto.
void MakeServerFrames(PerMessageDeflate* codec, bool ping_in_compressed, std::string& frames,
                      std::vector<Event>& events) {
  const auto message = [&](Opcode op, const std::string& payload, int fragments) {
    std::string wire = payload;
    if (codec != nullptr) wire = std::string(*codec->Compress(payload));
    const size_t step = wire.size() / fragments;
    for (int i = 0; i < fragments; ++i) {
      FrameHeader h;
      h.opcode = i == 0 ? op : Opcode::kContinuation;
      h.fin = i == fragments - 1;
      h.rsv1 = codec != nullptr && i == 0;  // RFC 7692 section 6.1
      const size_t begin = i * step;
      const size_t end = h.fin ? wire.size() : begin + step;
      AppendFrame(h, std::string_view(wire).substr(begin, end - begin), frames);
      if (i == 0 && fragments > 1 && (codec == nullptr || ping_in_compressed)) {
        AppendFrame({.opcode = Opcode::kPing}, "server-ping", frames);
        events.push_back({'P', "server-ping"});
      }
    }
    events.push_back({op == Opcode::kText ? 'T' : 'B', payload});
  };
  message(Opcode::kText, "hello from wsbench", 1);
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(255 - i);
  message(Opcode::kBinary, binary, 1);
  for (int i = 0; i < 5; ++i) {
    message(Opcode::kText,
            R"({"type":"ticker","product_id":"BTC-USD","seq":)" + std::to_string(1000 + i) +
                R"(,"price":")" + std::to_string(43000 + 7 * i) + R"(.25"})",
            1);
  }
  message(Opcode::kText, "fragmented caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 message from wsbench", 3);
  message(Opcode::kText, "", 1);
  message(Opcode::kText, std::string(300, 'y'), 1);
  std::string big;
  for (uint32_t i = 0; i < 70000; ++i) big += static_cast<char>((i * i) >> 3);
  message(Opcode::kBinary, big, 2);
  AppendFrame({.opcode = Opcode::kPong}, "server-pong", frames);
  events.push_back({'O', "server-pong"});
  AppendFrame({.opcode = Opcode::kClose}, std::string("\x03\xe8") + "done", frames);
  events.push_back({'C', std::string("\x03\xe8") + "done"});
}

struct Scenario {
  const char* name;
  bool deflate;
};

void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

class InteropTest : public testing::TestWithParam<Scenario> {};

TEST_P(InteropTest, RoundTrip) {
  const Scenario& s = GetParam();
  const std::string in = InputDir() + "/" + s.name;
  const std::string out = OutputDir() + "/" + s.name;

  // 1. wsproto's upgrade request, parsed by us, split in two reads.
  const std::string request = ReadFile(in + ".request.txt");
  ASSERT_FALSE(request.empty());
  UpgradeRequestParser parser;
  absl::StatusOr<ParseResult> r = parser.Parse(std::string_view(request).substr(0, 50));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(*r, ParseResult::kNeedMore);
  r = parser.Parse(request);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(*r, ParseResult::kComplete);

  const std::string_view subprotocols[] = {"chat"};
  HandshakeConfig config{subprotocols, PerMessageDeflateConfig{}};
  std::string response;
  const HandshakeResult result = AppendAcceptResponse(parser.request(), config, response);
  WriteFile(out + ".response.txt", response);

  // Our accept key and negotiation agree with wsproto's own server.
  const std::string theirs = ReadFile(in + ".wsproto_response.txt");
  EXPECT_EQ(std::string(result.accept.data(), result.accept.size()),
            HeaderValue(theirs, "Sec-WebSocket-Accept"));
  EXPECT_EQ(std::string(result.subprotocol), HeaderValue(theirs, "Sec-WebSocket-Protocol"));
  const std::optional<PerMessageDeflateParams> their_params = ParamsFromResponse(theirs);
  ASSERT_EQ(result.permessage_deflate.has_value(), s.deflate);
  ASSERT_EQ(their_params.has_value(), s.deflate);
  if (s.deflate) {
    EXPECT_EQ(*result.permessage_deflate, *their_params);
  }

  std::unique_ptr<PerMessageDeflate> server_codec, client_codec;
  if (s.deflate) {
    auto codec = PerMessageDeflate::Create(*result.permessage_deflate);
    ASSERT_TRUE(codec.ok()) << codec.status();
    server_codec = std::move(*codec);
    codec = PerMessageDeflate::Create(*result.permessage_deflate, {.role = Role::kClient});
    ASSERT_TRUE(codec.ok()) << codec.status();
    client_codec = std::move(*codec);
  }

  // 2. wsproto's client frames, decoded by FrameDecoder + our inflate, read
  // whole and in awkward chunk sizes.
  const std::string client_frames = ReadFile(in + ".client_frames.bin");
  const std::vector<Event> want = ReadEvents(ReadFile(in + ".client_events.bin"));
  ASSERT_FALSE(want.empty());
  for (size_t chunk : {client_frames.size(), size_t{1}, size_t{7}, size_t{1000}}) {
    if (s.deflate) {
      auto codec = PerMessageDeflate::Create(*result.permessage_deflate);
      server_codec = std::move(*codec);
    }
    FrameDecoderOptions options;
    options.allow_rsv1 = s.deflate;
    const std::vector<Event> got = Decode(client_frames, options, server_codec.get(), chunk);
    ASSERT_EQ(got.size(), want.size()) << "chunk " << chunk;
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << i;
  }

  // 3. Our server frames for wsproto (checked by the script), and decoded
  // here too as a client would.
  std::string server_frames;
  std::vector<Event> server_events;
  MakeServerFrames(server_codec.get(), /*ping_in_compressed=*/false, server_frames,
                   server_events);
  WriteFile(out + ".server_frames.bin", server_frames);
  WriteFile(out + ".server_events.bin", WriteEvents(server_events));
  FrameDecoderOptions client_side;
  client_side.allow_rsv1 = s.deflate;
  client_side.require_mask = false;
  const std::vector<Event> back = Decode(server_frames, client_side, client_codec.get(), 4096);
  EXPECT_EQ(back, server_events);

  // With the ping between compressed fragments, as RFC 6455 allows: our own
  // client-side decode handles it.
  if (s.deflate) {
    auto server = PerMessageDeflate::Create(*result.permessage_deflate);
    auto client = PerMessageDeflate::Create(*result.permessage_deflate, {.role = Role::kClient});
    ASSERT_TRUE(server.ok() && client.ok());
    std::string frames;
    std::vector<Event> events;
    MakeServerFrames(server->get(), /*ping_in_compressed=*/true, frames, events);
    EXPECT_EQ(Decode(frames, client_side, client->get(), 333), events);
  }
}

INSTANTIATE_TEST_SUITE_P(Wsproto, InteropTest,
                         testing::Values(Scenario{"plain", false}, Scenario{"deflate", true},
                                         Scenario{"deflate_no_context", true}),
                         [](const testing::TestParamInfo<Scenario>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace wsbench

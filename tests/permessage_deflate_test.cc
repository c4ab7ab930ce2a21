#include "wsbench/permessage_deflate.h"

#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

// Counts heap allocations made through operator new (the std::strings and
// vectors of this test binary); zlib's own allocations are counted by the
// codec itself (measured()).
// (GCC flags free() of a pointer from operator new once inlined; it is this
// replacement's own pair.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<long> g_news{0};
}  // namespace
void* operator new(size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace wsbench {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

std::unique_ptr<PerMessageDeflate> MakeCodec(const PerMessageDeflateParams& params,
                                             Role role = Role::kServer,
                                             size_t max_message_size = size_t{16} << 20) {
  PerMessageDeflateOptions options;
  options.role = role;
  options.max_message_size = max_message_size;
  absl::StatusOr<std::unique_ptr<PerMessageDeflate>> codec =
      PerMessageDeflate::Create(params, options);
  EXPECT_TRUE(codec.ok()) << codec.status();
  return codec.ok() ? std::move(*codec) : nullptr;
}

// A JSON-ish message corpus: compressible, varied.
std::vector<std::string> Corpus(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  const char* channels[] = {"trades.BTC-USD", "trades.ETH-USD", "book.SOL-USD", "chat.lobby"};
  for (int i = 0; i < n; ++i) {
    std::string m = R"({"type":"update","channel":")";
    m += channels[rng() % 4];
    m += R"(","seq":)" + std::to_string(rng()) + R"(,"data":[)";
    const int items = 1 + static_cast<int>(rng() % 40);
    for (int j = 0; j < items; ++j) {
      if (j) m += ',';
      m += R"({"p":)" + std::to_string(rng() % 100000) + R"(,"q":)" + std::to_string(rng() % 1000) + "}";
    }
    m += "]}";
    if (i % 7 == 0) {  // some incompressible binary
      for (int j = 0; j < 200; ++j) m.push_back(static_cast<char>(rng()));
    }
    out.push_back(std::move(m));
  }
  out.push_back("");  // the empty message
  return out;
}

// Inflates with zlib directly (an independent path): raw inflate of payload
// + 00 00 ff ff.
std::string ZlibInflate(std::string_view payload, z_stream* stream) {
  std::string in(payload);
  in += Bytes({0x00, 0x00, 0xff, 0xff});
  std::string out(1 << 20, '\0');
  stream->next_in = reinterpret_cast<Bytef*>(in.data());
  stream->avail_in = static_cast<uInt>(in.size());
  stream->next_out = reinterpret_cast<Bytef*>(out.data());
  stream->avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(stream, Z_SYNC_FLUSH);
  EXPECT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR) << rc;
  out.resize(out.size() - stream->avail_out);
  return out;
}

// RFC 7692 section 7.2.3.1 and 7.2.3.2: "Hello" and a second "Hello" sharing
// the LZ77 window (zlib's output, which the RFC examples were made with).
TEST(PerMessageDeflateTest, Rfc7692CompressionExamples) {
  auto server = MakeCodec({});
  absl::StatusOr<std::string_view> c = server->Compress("Hello");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  c = server->Compress("Hello");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, Bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));

  // Without context takeover the second message is compressed on its own.
  auto reset = MakeCodec({.server_no_context_takeover = true});
  ASSERT_TRUE(reset->Compress("Hello").ok());
  c = reset->Compress("Hello");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
}

TEST(PerMessageDeflateTest, Rfc7692DecompressionExamples) {
  auto server = MakeCodec({});
  const std::string examples[] = {
      Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}),                    // 7.2.3.1
      Bytes({0xf2, 0x00, 0x11, 0x00, 0x00}),                                // 7.2.3.2
      Bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}),  // 7.2.3.3
      Bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}),              // 7.2.3.4 BFINAL
      Bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07,
             0x00}),                                                         // 7.2.3.5
  };
  for (const std::string& e : examples) {
    absl::StatusOr<std::string_view> m = server->Decompress(e);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(*m, "Hello");
  }
  // After the BFINAL message the stream starts over: a fresh "Hello" works.
  absl::StatusOr<std::string_view> m =
      server->Decompress(Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, "Hello");
}

// Every configuration: server compresses, an independent zlib inflater and
// our client-role codec both get the messages back.
TEST(PerMessageDeflateTest, RoundTripAllConfigurations) {
  const std::vector<std::string> corpus = Corpus(60, 7);
  for (bool no_context : {false, true}) {
    for (int bits = 9; bits <= 15; ++bits) {
      PerMessageDeflateParams params;
      params.server_no_context_takeover = no_context;
      params.client_no_context_takeover = no_context;
      params.server_max_window_bits = bits;
      params.client_max_window_bits = bits;
      auto server = MakeCodec(params, Role::kServer);
      auto client = MakeCodec(params, Role::kClient);
      z_stream ref{};
      ASSERT_EQ(inflateInit2(&ref, -bits), Z_OK);
      for (const std::string& message : corpus) {
        absl::StatusOr<std::string_view> wire = server->Compress(message);
        ASSERT_TRUE(wire.ok()) << wire.status();
        ASSERT_TRUE(wire->size() < 4 || wire->substr(wire->size() - 4) != Bytes({0, 0, 0xff, 0xff}));
        const std::string wire_copy(*wire);
        if (no_context) inflateReset(&ref);
        EXPECT_EQ(ZlibInflate(wire_copy, &ref), message) << "bits " << bits;
        absl::StatusOr<std::string_view> back = client->Decompress(wire_copy);
        ASSERT_TRUE(back.ok()) << back.status();
        EXPECT_EQ(*back, message);
        // And the other direction.
        absl::StatusOr<std::string_view> up = client->Compress(message);
        ASSERT_TRUE(up.ok());
        const std::string up_copy(*up);
        absl::StatusOr<std::string_view> down = server->Decompress(up_copy);
        ASSERT_TRUE(down.ok()) << down.status();
        EXPECT_EQ(*down, message);
      }
      inflateEnd(&ref);
    }
  }
}

// An empty message after another one: zlib writes nothing for the flush, so
// the codec sends 00; an empty payload from another sender is accepted too,
// and neither upsets the next message.
TEST(PerMessageDeflateTest, EmptyMessages) {
  auto client = MakeCodec({}, Role::kClient);
  auto server = MakeCodec({});
  const std::string first(*client->Compress("Hello"));
  const std::string empty(*client->Compress(""));
  EXPECT_EQ(empty, Bytes({0x00}));
  const std::string third(*client->Compress("Hello"));
  EXPECT_EQ(*server->Decompress(first), "Hello");
  EXPECT_EQ(*server->Decompress(empty), "");
  EXPECT_EQ(*server->Decompress(""), "");
  EXPECT_EQ(*server->Decompress(third), "Hello");
}

TEST(PerMessageDeflateTest, ContextTakeoverShrinksRepeats) {
  const std::string message(R"({"type":"ticker","product_id":"BTC-USD","price":"43000.12"})");
  auto takeover = MakeCodec({});
  auto reset = MakeCodec({.server_no_context_takeover = true});
  ASSERT_TRUE(takeover->Compress(message).ok());
  ASSERT_TRUE(reset->Compress(message).ok());
  const size_t with = takeover->Compress(message)->size();
  const size_t without = reset->Compress(message)->size();
  EXPECT_LT(with, without / 3) << with << " vs " << without;
}

TEST(PerMessageDeflateTest, FragmentedMessageSplitAtEveryByte) {
  auto client = MakeCodec({}, Role::kClient);
  const std::string message = Corpus(3, 11)[1];
  const std::string wire(*client->Compress(message));
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    auto server = MakeCodec({});
    absl::StatusOr<std::string_view> part =
        server->Decompress(std::string_view(wire).substr(0, cut), /*fin=*/false);
    ASSERT_TRUE(part.ok()) << part.status();
    EXPECT_EQ(*part, std::string_view(message).substr(0, part->size()));
    absl::StatusOr<std::string_view> whole =
        server->Decompress(std::string_view(wire).substr(cut), /*fin=*/true);
    ASSERT_TRUE(whole.ok()) << whole.status();
    EXPECT_EQ(*whole, message) << cut;
  }
}

TEST(PerMessageDeflateTest, ThreeFragmentsWithContextTakeover) {
  auto client = MakeCodec({}, Role::kClient);
  auto server = MakeCodec({});
  const std::vector<std::string> corpus = Corpus(20, 3);
  for (const std::string& message : corpus) {
    const std::string wire(*client->Compress(message));
    const size_t a = wire.size() / 3, b = 2 * wire.size() / 3;
    ASSERT_TRUE(server->Decompress(wire.substr(0, a), false).ok());
    ASSERT_TRUE(server->Decompress(wire.substr(a, b - a), false).ok());
    absl::StatusOr<std::string_view> m = server->Decompress(wire.substr(b), true);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(*m, message);
  }
}

TEST(PerMessageDeflateTest, NoContextTakeoverRejectsBackReferences) {
  // The client promised client_no_context_takeover, so the server resets its
  // inflater per message: a message that refers to the previous one fails.
  auto server = MakeCodec({.client_no_context_takeover = true});
  ASSERT_TRUE(server->Decompress(Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})).ok());
  absl::StatusOr<std::string_view> m = server->Decompress(Bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("invalid DEFLATE data"), absl::string_view::npos)
      << m.status();
}

TEST(PerMessageDeflateTest, DecompressionBombHitsLimit) {
  const size_t limit = 1 << 20;
  auto client = MakeCodec({}, Role::kClient);
  const std::string bomb(*client->Compress(std::string(64 << 20, 'a')));
  EXPECT_LT(bomb.size(), 100'000u);
  auto server = MakeCodec({}, Role::kServer, limit);
  absl::StatusOr<std::string_view> m = server->Decompress(bomb);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(m.status().message().find("limit of 1048576 bytes"), absl::string_view::npos);
  // The output buffer never grew past the limit.
  EXPECT_LE(server->buffer_bytes(), 2 * limit + 64);
  // A message exactly at the limit passes, and the codec recovers.
  auto client2 = MakeCodec({}, Role::kClient);
  const std::string ok(*client2->Compress(std::string(limit, 'b')));
  m = server->Decompress(ok);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->size(), limit);
}

TEST(PerMessageDeflateTest, BombAcrossFragments) {
  auto client = MakeCodec({}, Role::kClient);
  const std::string bomb(*client->Compress(std::string(8 << 20, 'z')));
  auto server = MakeCodec({}, Role::kServer, 1 << 20);
  const size_t half = bomb.size() / 2;
  absl::StatusOr<std::string_view> m = server->Decompress(bomb.substr(0, half), false);
  if (m.ok()) m = server->Decompress(bomb.substr(half), true);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(PerMessageDeflateTest, CorruptData) {
  auto server = MakeCodec({});
  absl::StatusOr<std::string_view> m = server->Decompress(Bytes({0xff, 0xff, 0xff, 0x00}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  // The codec is usable again afterwards.
  m = server->Decompress(Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, "Hello");
}

TEST(PerMessageDeflateTest, InvalidParameters) {
  EXPECT_FALSE(PerMessageDeflate::Create({.server_max_window_bits = 16}).ok());
  EXPECT_FALSE(PerMessageDeflate::Create({.client_max_window_bits = 7}).ok());
  // A server cannot compress with an 8-bit window (zlib); a client can inflate it.
  EXPECT_FALSE(PerMessageDeflate::Create({.server_max_window_bits = 8}).ok());
  EXPECT_TRUE(PerMessageDeflate::Create({.client_max_window_bits = 8}).ok());
  PerMessageDeflateOptions bad_level;
  bad_level.level = 10;
  EXPECT_FALSE(PerMessageDeflate::Create({}, bad_level).ok());
}

TEST(PerMessageDeflateTest, NoAllocationAfterWarmUp) {
  for (bool no_context : {false, true}) {
    auto server = MakeCodec(
        {.server_no_context_takeover = no_context, .client_no_context_takeover = no_context});
    auto client = MakeCodec(
        {.server_no_context_takeover = no_context, .client_no_context_takeover = no_context},
        Role::kClient);
    const std::vector<std::string> corpus = Corpus(200, 5);
    // Two passes of the client's stream (with context takeover the second
    // pass differs from the first).
    std::vector<std::string> wire, wire2;
    for (const std::string& m : corpus) wire.emplace_back(*client->Compress(m));
    for (const std::string& m : corpus) wire2.emplace_back(*client->Compress(m));
    // Warm up: every message once.
    for (size_t i = 0; i < corpus.size(); ++i) {
      ASSERT_TRUE(server->Compress(corpus[i]).ok());
      ASSERT_TRUE(server->Decompress(wire[i]).ok());
    }
    const PerMessageDeflateMemory zlib_before = server->measured();
    const long news_before = g_news.load();
    size_t total = 0;
    for (size_t i = 0; i < corpus.size(); ++i) {
      total += server->Compress(corpus[i])->size();
      total += server->Decompress(wire2[i])->size();
    }
    EXPECT_EQ(g_news.load(), news_before) << "operator new after warm-up";
    EXPECT_EQ(server->measured().deflate_bytes, zlib_before.deflate_bytes);
    EXPECT_EQ(server->measured().inflate_bytes, zlib_before.inflate_bytes);
    EXPECT_GT(total, 0u);
  }
}

// Memory per connection for each configuration: zlib's documented formula
// against what zlib actually allocated (after one message each way, when
// inflate has allocated its window).
TEST(PerMessageDeflateTest, MemoryPerConnection) {
  std::printf("%-34s %10s %10s %10s %10s\n", "configuration", "deflate", "(formula)", "inflate",
              "(formula)");
  for (int mem_level : {8, 1}) {
    for (int bits : {15, 12, 9}) {
      PerMessageDeflateParams params;
      params.server_max_window_bits = bits;
      params.client_max_window_bits = bits;
      PerMessageDeflateOptions options;
      options.mem_level = mem_level;
      auto server = PerMessageDeflate::Create(params, options);
      ASSERT_TRUE(server.ok());
      auto client = PerMessageDeflate::Create(params, {.role = Role::kClient});
      ASSERT_TRUE(client.ok());
      const std::string wire(*(*client)->Compress("warm up the inflate window"));
      ASSERT_TRUE((*server)->Compress("x").ok());
      ASSERT_TRUE((*server)->Decompress(wire).ok());
      const PerMessageDeflateMemory measured = (*server)->measured();
      const PerMessageDeflateMemory formula = PerMessageDeflate::EstimateMemory(params, options);
      std::printf("windowBits %2d memLevel %d %13zu %10zu %10zu %10zu\n", bits, mem_level,
                  measured.deflate_bytes, formula.deflate_bytes, measured.inflate_bytes,
                  formula.inflate_bytes);
      // The formula's "few kilobytes for small objects" is an estimate: within 10%.
      EXPECT_NEAR(static_cast<double>(measured.deflate_bytes),
                  static_cast<double>(formula.deflate_bytes), 0.1 * formula.deflate_bytes);
      EXPECT_NEAR(static_cast<double>(measured.inflate_bytes),
                  static_cast<double>(formula.inflate_bytes), 0.1 * formula.inflate_bytes);
    }
  }
  const PerMessageDeflateMemory def = PerMessageDeflate::EstimateMemory({});
  EXPECT_EQ(def.deflate_bytes, (128u << 10) + (128u << 10) + (6u << 10));
  EXPECT_EQ(def.inflate_bytes, (32u << 10) + (7u << 10));
}

}  // namespace
}  // namespace wsbench

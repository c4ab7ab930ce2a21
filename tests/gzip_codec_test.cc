#include "wsbench/gzip_codec.h"

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Testdata(const std::string& name) {
  return ReadFile(std::string(WSBENCH_TESTDATA_DIR) + "/gzip/" + name);
}

std::unique_ptr<GzipCodec> MakeCodec(GzipOptions options = {}) {
  absl::StatusOr<std::unique_ptr<GzipCodec>> codec = GzipCodec::Create(options);
  EXPECT_TRUE(codec.ok()) << codec.status();
  return std::move(codec).value();
}

// JSON-like text of about `size` bytes with realistic redundancy.
std::string JsonText(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s = "[";
  while (s.size() < size) {
    s += "{\"id\":" + std::to_string(rng() % 100000) + ",\"side\":\"" +
         (rng() % 2 ? "buy" : "sell") + "\",\"price\":\"" +
         std::to_string(60000 + rng() % 5000) + "." +
         std::to_string(rng() % 100) + "\",\"qty\":" +
         std::to_string(rng() % 1000) + "},";
  }
  s.resize(size);
  return s;
}

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(size, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string RoundTrip(GzipCodec& codec, const std::string& input) {
  absl::StatusOr<GzipResult> r = codec.Compress(input);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  const std::string compressed(r->data);
  absl::StatusOr<std::string_view> back = codec.Decompress(compressed);
  EXPECT_TRUE(back.ok()) << back.status();
  return back.ok() ? std::string(*back) : std::string();
}

TEST(GzipCodecTest, CreateRejectsBadOptions) {
  EXPECT_EQ(GzipCodec::Create({.level = 10}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GzipCodec::Create({.level = -2}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GzipCodec::Create({.mem_level = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(GzipCodec::Create({.level = -1}).ok());
}

TEST(GzipCodecTest, EmptyMessageRoundTripsWhenThresholdIsZero) {
  auto codec = MakeCodec({.min_size = 0});
  absl::StatusOr<GzipResult> r = codec->Compress("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->compressed);
  EXPECT_EQ(r->output_size, 20u);  // 10-byte header, empty block, 8-byte trailer
  EXPECT_EQ(r->savings_pct(), 0.0);
  absl::StatusOr<std::string_view> back = codec->Decompress(r->data);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->empty());
}

TEST(GzipCodecTest, SmallMessagesPassThroughAndSaySo) {
  auto codec = MakeCodec({.min_size = 128});
  const std::string small = "{\"type\":\"ping\",\"id\":7}";
  absl::StatusOr<GzipResult> r = codec->Compress(small);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->compressed);
  EXPECT_EQ(r->data.data(), small.data());  // the input itself, no copy
  EXPECT_EQ(r->output_size, small.size());
  EXPECT_EQ(r->savings_pct(), 0.0);
  EXPECT_EQ(codec->passed_through_count(), 1u);
  EXPECT_EQ(codec->compressed_count(), 0u);
  // At the threshold it is compressed.
  const std::string at(128, 'a');
  r = codec->Compress(at);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->compressed);
  EXPECT_EQ(codec->compressed_count(), 1u);
}

TEST(GzipCodecTest, OneKibJsonRoundTripsWithRealSavings) {
  auto codec = MakeCodec();
  const std::string json = JsonText(1024, 1);
  absl::StatusOr<GzipResult> r = codec->Compress(json);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->compressed);
  // RFC 1952 section 2.3.1: ID1 ID2 CM=8 (deflate).
  ASSERT_GE(r->data.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(r->data[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(r->data[1]), 0x8b);
  EXPECT_EQ(r->data[2], 8);
  EXPECT_EQ(r->input_size, 1024u);
  EXPECT_EQ(r->output_size, r->data.size());
  EXPECT_GT(r->savings_pct(), 40.0);
  EXPECT_LT(r->savings_pct(), 100.0);
  EXPECT_EQ(RoundTrip(*codec, json), json);
}

TEST(GzipCodecTest, OneMibRoundTrips) {
  auto codec = MakeCodec();
  const std::string big = JsonText(1 << 20, 2);
  EXPECT_EQ(RoundTrip(*codec, big), big);
}

TEST(GzipCodecTest, IncompressibleInputRoundTripsWithNegativeSavings) {
  auto codec = MakeCodec();
  const std::string noise = RandomBytes(64 * 1024, 3);
  absl::StatusOr<GzipResult> r = codec->Compress(noise);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->output_size, noise.size());
  EXPECT_LT(r->savings_pct(), 0.0);
  EXPECT_EQ(RoundTrip(*codec, noise), noise);
}

TEST(GzipCodecTest, EveryLevelRoundTripsAndHigherLevelsAreSmaller) {
  const std::string json = JsonText(16 * 1024, 4);
  size_t size_at[10] = {};
  for (int level = -1; level <= 9; ++level) {
    auto codec = MakeCodec({.level = level});
    absl::StatusOr<GzipResult> r = codec->Compress(json);
    ASSERT_TRUE(r.ok()) << "level " << level;
    if (level >= 0) size_at[level] = r->output_size;
    EXPECT_EQ(RoundTrip(*codec, json), json) << "level " << level;
  }
  EXPECT_GT(size_at[0], json.size());  // stored blocks
  EXPECT_LT(size_at[1], json.size() / 2);
  EXPECT_LE(size_at[9], size_at[1]);
}

TEST(GzipCodecTest, StreamReuseAcrossManyCalls) {
  auto codec = MakeCodec({.min_size = 64});
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const size_t size = 64 + rng() % 4000;
    const std::string msg =
        i % 10 == 9 ? RandomBytes(size, i) : JsonText(size, i);
    absl::StatusOr<GzipResult> r = codec->Compress(msg);
    ASSERT_TRUE(r.ok()) << i;
    const std::string reused(r->data);
    // A reset stream must give exactly what a fresh stream gives.
    auto fresh = MakeCodec({.min_size = 64});
    absl::StatusOr<GzipResult> f = fresh->Compress(msg);
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(reused, std::string(f->data)) << "call " << i;
    absl::StatusOr<std::string_view> back = codec->Decompress(reused);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(*back, msg) << "call " << i;
  }
  EXPECT_EQ(codec->compressed_count(), 2000u);
}

// Writes `data` to a temporary file, runs `gzip -dc` on it and returns what
// gzip printed (empty and a test failure when gzip fails).
std::string SystemGunzip(std::string_view data) {
  char path[] = "/tmp/wsbench_gzip_test_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  if (fd < 0) return {};
  EXPECT_EQ(write(fd, data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  close(fd);
  const std::string out_path = std::string(path) + ".out";
  const std::string cmd = std::string("gzip -dc < ") + path + " > " + out_path;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::string out = ReadFile(out_path);
  std::remove(path);
  std::remove(out_path.c_str());
  return out;
}

// Inflates one gzip member with bare zlib (not the codec), or returns
// nullopt when zlib rejects it.
std::optional<std::string> ZlibGunzip(std::string_view gz, size_t size) {
  z_stream s{};
  if (inflateInit2(&s, 31) != Z_OK) return std::nullopt;
  std::string out(size + 1, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  s.avail_in = static_cast<uInt>(gz.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&s, Z_FINISH);
  const bool whole = rc == Z_STREAM_END && s.avail_in == 0;
  out.resize(out.size() - s.avail_out);
  inflateEnd(&s);
  if (!whole) return std::nullopt;
  return out;
}

class GzipBackendTest : public testing::TestWithParam<GzipBackend> {};

INSTANTIATE_TEST_SUITE_P(Backends, GzipBackendTest,
                         testing::Values(GzipBackend::kZlib,
                                         GzipBackend::kLibdeflate),
                         [](const testing::TestParamInfo<GzipBackend>& info) {
                           return std::string(GzipBackendName(info.param));
                         });

TEST_P(GzipBackendTest, SystemGzipDecompressesOurOutput) {
  auto codec = MakeCodec({.backend = GetParam()});
  for (size_t size : {size_t{200}, size_t{1024}, size_t{300'000}}) {
    const std::string json = JsonText(size, 6 + size);
    absl::StatusOr<GzipResult> r = codec->Compress(json);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->compressed);
    EXPECT_EQ(SystemGunzip(r->data), json) << "size " << size;
  }
}

TEST_P(GzipBackendTest, BareZlibInflatesOurOutput) {
  auto codec = MakeCodec({.backend = GetParam()});
  for (size_t size :
       {size_t{128}, size_t{1000}, size_t{5000}, size_t{70'000}}) {
    for (uint64_t seed = 0; seed < 5; ++seed) {
      const std::string json = JsonText(size, seed * 1000 + size);
      absl::StatusOr<GzipResult> r = codec->Compress(json);
      ASSERT_TRUE(r.ok()) << r.status();
      const std::optional<std::string> back = ZlibGunzip(r->data, size);
      ASSERT_TRUE(back.has_value()) << "size " << size << " seed " << seed;
      EXPECT_EQ(*back, json) << "size " << size << " seed " << seed;
    }
  }
  // Incompressible input still yields a valid member.
  const std::string noise = RandomBytes(4096, 99);
  absl::StatusOr<GzipResult> r = codec->Compress(noise);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ZlibGunzip(r->data, noise.size()), noise);
}

TEST_P(GzipBackendTest, EveryLevelRoundTripsThroughTheCodec) {
  const int max_level = GetParam() == GzipBackend::kZlib ? 9 : 12;
  const std::string json = JsonText(20'000, 12);
  for (int level = -1; level <= max_level; ++level) {
    auto codec = MakeCodec({.level = level, .backend = GetParam()});
    EXPECT_EQ(RoundTrip(*codec, json), json) << "level " << level;
  }
}

TEST_P(GzipBackendTest, ReusedCompressorGivesTheSameBytesEveryCall) {
  auto codec = MakeCodec({.backend = GetParam()});
  const std::string a = JsonText(3000, 1), b = JsonText(700, 2);
  absl::StatusOr<GzipResult> first = codec->Compress(a);
  ASSERT_TRUE(first.ok());
  const std::string expected(first->data);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(codec->Compress(b).ok());
    absl::StatusOr<GzipResult> again = codec->Compress(a);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(std::string(again->data), expected) << "call " << i;
  }
  EXPECT_EQ(codec->compressed_count(), 401u);
}

TEST(GzipCodecTest, LevelRangeDependsOnTheBackend) {
  EXPECT_FALSE(GzipCodec::Create({.level = 10}).ok());
  EXPECT_TRUE(
      GzipCodec::Create({.level = 12, .backend = GzipBackend::kLibdeflate})
          .ok());
  absl::StatusOr<std::unique_ptr<GzipCodec>> bad =
      GzipCodec::Create({.level = 13, .backend = GzipBackend::kLibdeflate});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("libdeflate"), std::string::npos)
      << bad.status();
  EXPECT_FALSE(
      GzipCodec::Create({.level = -2, .backend = GzipBackend::kLibdeflate})
          .ok());
}

TEST(GzipCodecTest, LibdeflateSavesAboutAsMuchAsZlib) {
  auto zlib = MakeCodec();
  auto libdeflate = MakeCodec({.backend = GzipBackend::kLibdeflate});
  size_t in = 0, zlib_out = 0, libdeflate_out = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::string json = JsonText(300 + seed * 150, seed);
    in += json.size();
    absl::StatusOr<GzipResult> z = zlib->Compress(json);
    absl::StatusOr<GzipResult> l = libdeflate->Compress(json);
    ASSERT_TRUE(z.ok() && l.ok());
    zlib_out += z->output_size;
    libdeflate_out += l->output_size;
  }
  // Same level, same format: within 10% of zlib's size, and real savings.
  EXPECT_LT(libdeflate_out, zlib_out * 11 / 10);
  EXPECT_LT(libdeflate_out, in / 2);
}

TEST(GzipCodecTest, DecompressesSystemGzipOutput) {
  auto codec = MakeCodec();
  const std::string expected = Testdata("message.json");
  ASSERT_FALSE(expected.empty());
  absl::StatusOr<std::string_view> back =
      codec->Decompress(Testdata("message.json.gz"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, expected);
}

TEST(GzipCodecTest, DecompressesConcatenatedMembers) {
  auto codec = MakeCodec();
  absl::StatusOr<std::string_view> back =
      codec->Decompress(Testdata("two_members.gz"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "hello world\n");
}

TEST(GzipCodecTest, CompressionBombHitsTheLimit) {
  auto big = MakeCodec({.max_inflated_size = 64 << 20});
  const std::string zeros(10 << 20, '\0');
  absl::StatusOr<GzipResult> r = big->Compress(zeros);
  ASSERT_TRUE(r.ok());
  EXPECT_LT(r->output_size, 64u * 1024);  // ~10 KiB
  const std::string bomb(r->data);

  auto codec = MakeCodec({.max_inflated_size = 1 << 20});
  absl::StatusOr<std::string_view> back = codec->Decompress(bomb);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(back.status().message().find("limit of 1048576 bytes"),
            absl::string_view::npos)
      << back.status();
  // The big codec (limit above 10 MiB) inflates it fine.
  back = big->Decompress(bomb);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->size(), zeros.size());
}

TEST(GzipCodecTest, InflateBufferNeverExceedsTheLimit) {
  // 12 MiB of zeros against a 16 MiB limit, then a bomb over it: the output
  // buffer grows by doubling but is capped at the limit (+1 byte), never
  // doubled past it.
  constexpr size_t kLimit = size_t{16} << 20;
  auto big = MakeCodec({.max_inflated_size = 64 << 20});
  for (size_t size : {size_t{12} << 20, size_t{20} << 20}) {
    absl::StatusOr<GzipResult> r = big->Compress(std::string(size, '\0'));
    ASSERT_TRUE(r.ok());
    const std::string gz(r->data);
    auto codec = MakeCodec({.max_inflated_size = kLimit});
    (void)codec->Decompress(gz);
    EXPECT_LE(codec->inflate_buffer_bytes(), kLimit + 1) << size;
  }
}

TEST(GzipCodecTest, OutputExactlyAtTheLimitIsAllowed) {
  auto codec = MakeCodec({.max_inflated_size = 5000});
  const std::string at(5000, 'x');
  const std::string over(5001, 'x');
  absl::StatusOr<GzipResult> r = codec->Compress(at);
  ASSERT_TRUE(r.ok());
  const std::string gz_at(r->data);
  r = codec->Compress(over);
  ASSERT_TRUE(r.ok());
  const std::string gz_over(r->data);
  EXPECT_TRUE(codec->Decompress(gz_at).ok());
  EXPECT_EQ(codec->Decompress(gz_over).status().code(),
            absl::StatusCode::kResourceExhausted);
}

class GzipCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    codec_ = MakeCodec();
    json_ = JsonText(2048, 9);
    absl::StatusOr<GzipResult> r = codec_->Compress(json_);
    ASSERT_TRUE(r.ok());
    gz_ = std::string(r->data);
  }
  absl::Status DecompressStatus(const std::string& data) {
    return codec_->Decompress(data).status();
  }
  std::unique_ptr<GzipCodec> codec_;
  std::string json_;
  std::string gz_;
};

TEST_F(GzipCorruptionTest, EmptyInput) {
  absl::Status s = DecompressStatus("");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("empty"), absl::string_view::npos);
}

TEST_F(GzipCorruptionTest, BadMagicInHeader) {
  std::string bad = gz_;
  bad[1] = 0x00;
  absl::Status s = DecompressStatus(bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("incorrect header check"), absl::string_view::npos)
      << s;
}

TEST_F(GzipCorruptionTest, UnknownCompressionMethod) {
  std::string bad = gz_;
  bad[2] = 7;
  absl::Status s = DecompressStatus(bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unknown compression method"),
            absl::string_view::npos)
      << s;
}

TEST_F(GzipCorruptionTest, BadCrcInTrailer) {
  std::string bad = gz_;
  bad[bad.size() - 8] ^= 0x01;  // CRC32 is the trailer's first 4 bytes
  absl::Status s = DecompressStatus(bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("incorrect data check"), absl::string_view::npos)
      << s;
}

TEST_F(GzipCorruptionTest, BadLengthInTrailer) {
  std::string bad = gz_;
  bad[bad.size() - 4] ^= 0x01;  // ISIZE
  absl::Status s = DecompressStatus(bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("incorrect length check"), absl::string_view::npos)
      << s;
}

TEST_F(GzipCorruptionTest, TruncatedInputs) {
  for (size_t keep : {size_t{1}, size_t{5}, size_t{10}, gz_.size() / 2,
                      gz_.size() - 4, gz_.size() - 1}) {
    absl::Status s = DecompressStatus(gz_.substr(0, keep));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << keep;
    EXPECT_NE(s.message().find("truncated"), absl::string_view::npos)
        << keep << ": " << s;
    EXPECT_NE(s.message().find(std::to_string(keep) + " bytes"),
              absl::string_view::npos)
        << s;
  }
}

TEST_F(GzipCorruptionTest, CorruptDeflateDataIsAnError) {
  // Flipping bytes in the deflate body gives a data error or a CRC mismatch,
  // never success with wrong bytes.
  for (size_t pos = 12; pos + 8 < gz_.size(); pos += 37) {
    std::string bad = gz_;
    bad[pos] ^= 0x5a;
    absl::StatusOr<std::string_view> back = codec_->Decompress(bad);
    EXPECT_FALSE(back.ok() && *back != json_) << "flip at " << pos;
    if (!back.ok()) {
      EXPECT_TRUE(back.status().code() == absl::StatusCode::kInvalidArgument ||
                  back.status().code() == absl::StatusCode::kDataLoss ||
                  back.status().code() ==
                      absl::StatusCode::kResourceExhausted)
          << back.status();
    }
  }
}

TEST_F(GzipCorruptionTest, TrailingGarbageAfterMember) {
  absl::Status s = DecompressStatus(gz_ + "garbage!!!!!");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("trailing data"), absl::string_view::npos) << s;
}

TEST_F(GzipCorruptionTest, CodecRecoversAfterAnError) {
  std::string bad = gz_;
  bad[bad.size() - 8] ^= 0x01;
  EXPECT_FALSE(codec_->Decompress(bad).ok());
  EXPECT_FALSE(codec_->Decompress(gz_.substr(0, 30)).ok());
  absl::StatusOr<std::string_view> back = codec_->Decompress(gz_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, json_);
}

TEST(GzipCodecTest, MatchesBareZlibWithTheSameSettings) {
  // Our framing adds nothing: output equals zlib's own gzip deflate.
  const std::string json = JsonText(3000, 10);
  auto codec = MakeCodec({.level = 6});
  absl::StatusOr<GzipResult> r = codec->Compress(json);
  ASSERT_TRUE(r.ok());
  z_stream s{};
  ASSERT_EQ(deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, json.size()), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(json.data()));
  s.avail_in = static_cast<uInt>(json.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - s.avail_out);
  deflateEnd(&s);
  EXPECT_EQ(std::string(r->data), out);
}

}  // namespace
}  // namespace wsbench

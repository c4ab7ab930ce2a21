// The `compression` dimension: gzip of server messages with GzipCodec.
//
// Setup generates a corpus of 512 realistic JSON messages from the seed
// (order-book updates, trades, chat lines, presence lists; sizes mixed from
// about 300 B to 3 KiB, mean about 1 KiB) so the savings are those of real
// traffic, not of random bytes. Op i compresses corpus[i % 512] at level 6
// with the codec's reused deflate stream. ops() = level ops / 100: one gzip
// costs about as much as a thousand checks of the other dimensions, and the
// full sweep must stay short.
//
// Setup also times bare zlib (one deflateInit2'd stream, deflateReset per
// message, same level, same inputs, preallocated output) so the report can
// show the codec's throughput as a share of it (counter
// bare_zlib_ops_per_second; setup_vs_bare_zlib_pct is the ratio of the two
// measured back to back in Setup). In the same interleaved rounds it times
// the codec's second backend, libdeflate, on the same corpus at the same
// level, side by side with the codec on zlib: counters zlib_* and
// libdeflate_* (ops_per_second, mb_per_second of input, savings_pct) and
// libdeflate_vs_zlib_speedup. The timed passes use zlib, the default backend.
//
// Verify checks: no codec errors; the pass's total compressed bytes equal
// those Setup recorded; the sum of the CRC32s in the gzip trailers written
// during the pass equals the sum of zlib's crc32 over the inputs (so every
// op compressed the right bytes); and every corpus message round-trips
// through GzipCodec::Decompress byte for byte, as does its libdeflate member
// (zlib inflates what libdeflate wrote).
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <time.h>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "wsbench/gzip_codec.h"
#include "wsbench/status_macros.h"
#include "workload.h"

namespace wsbench::bench {
namespace {

constexpr int kCorpus = 512;
constexpr int kLevel = 6;
constexpr size_t kMinSize = 128;

constexpr const char* kWords[] = {
    "the",   "order", "filled", "market", "price", "moved", "after", "news",
    "we",    "should", "hedge",  "this",   "risk",  "today", "volume", "spike",
    "check", "the",    "book",   "depth",  "on",    "btc",   "eth",    "desk",
    "agreed", "limit", "stop",   "sell",   "buy",   "long",  "short",  "close"};

std::string Symbol(std::mt19937_64& rng) {
  constexpr const char* kBase[] = {"btc", "eth", "sol", "ada", "xrp", "dot",
                                   "avax", "link"};
  constexpr const char* kQuote[] = {"usd", "eur", "usdt"};
  return fmt::format("{}-{}", kBase[rng() % 8], kQuote[rng() % 3]);
}

// One event envelope of about `target` bytes.
std::string JsonMessage(std::mt19937_64& rng, size_t target) {
  const uint64_t ts = 1763800000000ULL + rng() % 100000000;
  const int kind = static_cast<int>(rng() % 4);
  std::string s;
  switch (kind) {
    case 0: {  // order book update
      const std::string sym = Symbol(rng);
      s = fmt::format(
          R"({{"type":"event","channel":"book.{}","seq":{},"ts":{},"data":{{"symbol":"{}","bids":[)",
          sym, rng() % 10000000, ts, sym);
      const double mid = 1000.0 + static_cast<double>(rng() % 60000);
      for (int i = 0; s.size() + 40 < target; ++i) {
        if (i > 0) s += ',';
        s += fmt::format(R"(["{:.2f}","{:.4f}"])", mid - i * 0.5,
                         static_cast<double>(rng() % 100000) / 1000.0);
      }
      s += R"(],"asks":[]}})";
      break;
    }
    case 1: {  // trades
      const std::string sym = Symbol(rng);
      s = fmt::format(
          R"({{"type":"event","channel":"trades.{}","seq":{},"ts":{},"data":{{"trades":[)",
          sym, rng() % 10000000, ts);
      for (int i = 0; s.size() + 130 < target; ++i) {
        if (i > 0) s += ',';
        s += fmt::format(
            R"({{"id":{},"side":"{}","price":"{:.2f}","qty":"{:.4f}","ts":{},"maker":{}}})",
            100000000 + rng() % 1000000, rng() % 2 ? "buy" : "sell",
            1000.0 + static_cast<double>(rng() % 6000000) / 100.0,
            static_cast<double>(rng() % 100000) / 10000.0, ts + i * 7,
            rng() % 2 ? "true" : "false");
      }
      s += "]}}";
      break;
    }
    case 2: {  // chat history page
      s = fmt::format(
          R"({{"type":"event","channel":"chat.room.{}","seq":{},"ts":{},"data":{{"messages":[)",
          rng() % 200, rng() % 10000000, ts);
      for (int i = 0; s.size() + 160 < target; ++i) {
        if (i > 0) s += ',';
        std::string text;
        const int words = 5 + static_cast<int>(rng() % 15);
        for (int w = 0; w < words; ++w) {
          if (w > 0) text += ' ';
          text += kWords[rng() % std::size(kWords)];
        }
        s += fmt::format(R"({{"user":"user{}","ts":{},"text":"{}"}})",
                         rng() % 100000, ts + i * 1000, text);
      }
      s += "]}}";
      break;
    }
    default: {  // presence list
      s = fmt::format(
          R"({{"type":"presence","channel":"chat.room.{}","ts":{},"members":[)",
          rng() % 200, ts);
      constexpr const char* kStatus[] = {"online", "away", "busy"};
      for (int i = 0; s.size() + 70 < target; ++i) {
        if (i > 0) s += ',';
        s += fmt::format(R"({{"user":"user{}","status":"{}","since":{}}})",
                         rng() % 100000, kStatus[rng() % 3],
                         ts - rng() % 3600000);
      }
      s += "]}";
      break;
    }
  }
  return s;
}

double ThreadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Bare zlib: the reference the codec is held to.
class BareZlib {
 public:
  BareZlib() {
    ok_ = deflateInit2(&stream_, kLevel, Z_DEFLATED, 15 + 16, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~BareZlib() {
    if (ok_) deflateEnd(&stream_);
  }
  bool ok() const { return ok_; }
  void Reserve(size_t max_input) {
    out_.resize(deflateBound(&stream_, static_cast<uLong>(max_input)));
  }
  size_t Compress(std::string_view in) {
    deflateReset(&stream_);
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    stream_.avail_in = static_cast<uInt>(in.size());
    stream_.next_out = out_.data();
    stream_.avail_out = static_cast<uInt>(out_.size());
    if (deflate(&stream_, Z_FINISH) != Z_STREAM_END) return 0;
    return out_.size() - stream_.avail_out;
  }

 private:
  z_stream stream_{};
  bool ok_ = false;
  std::vector<unsigned char> out_;
};

uint32_t TrailerCrc(std::string_view gz) {
  // RFC 1952 section 2.3.1: CRC32 then ISIZE, little-endian, at the end.
  const auto* p = reinterpret_cast<const unsigned char*>(gz.data() + gz.size() - 8);
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
         uint32_t{p[3]} << 24;
}

class CompressionWorkload : public Workload {
 public:
  absl::Status Setup(const LoadLevel& level,
                     const WorkloadOptions& options) override {
    std::mt19937_64 rng(options.seed ^ 0x677a6970);  // "gzip"
    corpus_.clear();
    size_t max_size = 0;
    for (int i = 0; i < kCorpus; ++i) {
      // Mixed sizes around 1 KiB: 300..3000 bytes, skewed small.
      const size_t lo = 300 + rng() % 700;
      const size_t target = rng() % 4 == 0 ? lo * 3 : lo;
      corpus_.push_back(JsonMessage(rng, target));
      max_size = std::max(max_size, corpus_.back().size());
    }
    WSBENCH_ASSIGN_OR_RETURN(
        codec_, GzipCodec::Create({.level = kLevel,
                                   .min_size = kMinSize,
                                   .max_inflated_size = 1 << 20}));
    WSBENCH_ASSIGN_OR_RETURN(
        libdeflate_, GzipCodec::Create({.level = kLevel,
                                        .min_size = kMinSize,
                                        .max_inflated_size = 1 << 20,
                                        .backend = GzipBackend::kLibdeflate}));
    ops_count_ = std::max<int64_t>(1, level.ops / 100);

    // Per-message compressed size and input CRC32, then the pass totals.
    std::vector<size_t> sizes(kCorpus);
    std::vector<uint32_t> crcs(kCorpus);
    uint64_t corpus_in = 0, corpus_out = 0, libdeflate_out = 0;
    for (int k = 0; k < kCorpus; ++k) {
      WSBENCH_ASSIGN_OR_RETURN(GzipResult l, libdeflate_->Compress(corpus_[k]));
      libdeflate_out += l.output_size;
      WSBENCH_ASSIGN_OR_RETURN(GzipResult r, codec_->Compress(corpus_[k]));
      if (!r.compressed || !l.compressed) {
        return absl::InternalError("compression corpus message below min_size");
      }
      sizes[k] = r.output_size;
      crcs[k] = static_cast<uint32_t>(
          crc32(0, reinterpret_cast<const Bytef*>(corpus_[k].data()),
                static_cast<uInt>(corpus_[k].size())));
      corpus_in += corpus_[k].size();
      corpus_out += r.output_size;
    }
    expected_out_ = expected_in_ = expected_crc_sum_ = 0;
    for (int64_t i = 0; i < ops_count_; ++i) {
      const size_t k = static_cast<size_t>(i % kCorpus);
      expected_out_ += sizes[k];
      expected_in_ += corpus_[k].size();
      expected_crc_sum_ += crcs[k];
    }
    savings_pct_ = 100.0 * (1.0 - static_cast<double>(corpus_out) /
                                      static_cast<double>(corpus_in));
    libdeflate_savings_pct_ =
        100.0 * (1.0 - static_cast<double>(libdeflate_out) /
                           static_cast<double>(corpus_in));
    mean_bytes_ = static_cast<double>(corpus_in) / kCorpus;

    // Bare zlib vs the codec on zlib vs the codec on libdeflate, interleaved
    // rounds, best of each.
    BareZlib bare;
    if (!bare.ok()) return absl::InternalError("bare zlib deflateInit2 failed");
    bare.Reserve(max_size);
    const int per_round = kCorpus * 2;
    double best_bare = 1e99, best_ours = 1e99, best_libdeflate = 1e99;
    uint64_t sink = 0;
    auto time_codec = [&](GzipCodec& codec) {
      const double t0 = ThreadSeconds();
      for (int i = 0; i < per_round; ++i) {
        absl::StatusOr<GzipResult> r = codec.Compress(corpus_[i % kCorpus]);
        sink += r.ok() ? r->output_size : 0;
      }
      return ThreadSeconds() - t0;
    };
    for (int round = 0; round < 3; ++round) {
      if (StopRequested()) return StopStatus();
      const double t0 = ThreadSeconds();
      for (int i = 0; i < per_round; ++i)
        sink += bare.Compress(corpus_[i % kCorpus]);
      best_bare = std::min(best_bare, ThreadSeconds() - t0);
      best_ours = std::min(best_ours, time_codec(*codec_));
      best_libdeflate = std::min(best_libdeflate, time_codec(*libdeflate_));
    }
    setup_sink_ = sink;  // keeps the timed loops' results alive
    bare_ops_per_second_ = best_bare > 0 ? per_round / best_bare : 0;
    setup_vs_bare_pct_ = best_ours > 0 ? 100.0 * best_bare / best_ours : 0;
    // Bytes of input per round (per_round is a whole number of corpora).
    const double round_bytes =
        static_cast<double>(corpus_in) * (per_round / kCorpus);
    zlib_ops_per_second_ = best_ours > 0 ? per_round / best_ours : 0;
    zlib_mb_per_second_ = best_ours > 0 ? round_bytes / best_ours / 1e6 : 0;
    libdeflate_ops_per_second_ =
        best_libdeflate > 0 ? per_round / best_libdeflate : 0;
    libdeflate_mb_per_second_ =
        best_libdeflate > 0 ? round_bytes / best_libdeflate / 1e6 : 0;
    return Reset();
  }

  int64_t ops() const override { return ops_count_; }
  std::string ops_note() const override {
    return "ops = level ops / 100 (one gzip of ~1 KiB costs ~1000x a check)";
  }
  double items_per_op() const override {
    return ops_count_ == 0 ? 0.0
                           : static_cast<double>(expected_in_) /
                                 static_cast<double>(ops_count_);
  }

  absl::Status Reset() override {
    out_bytes_ = 0;
    crc_sum_ = 0;
    errors_ = 0;
    done_ = 0;
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    uint64_t out = 0, crc_sum = 0;
    int64_t errors = 0;
    for (int64_t i = begin; i < end; ++i) {
      absl::StatusOr<GzipResult> r =
          codec_->Compress(corpus_[static_cast<size_t>(i % kCorpus)]);
      if (!r.ok() || !r->compressed) [[unlikely]] {
        ++errors;
        continue;
      }
      out += r->output_size;
      crc_sum += TrailerCrc(r->data);
    }
    out_bytes_ += out;
    crc_sum_ += crc_sum;
    errors_ += errors;
    done_ += end - begin;
  }

  absl::Status Verify() override {
    if (done_ != ops_count_) {
      return absl::InternalError(fmt::format(
          "compression: pass ran {} of {} ops", done_, ops_count_));
    }
    if (errors_ != 0) {
      return absl::InternalError(
          fmt::format("compression: {} codec errors", errors_));
    }
    if (out_bytes_ != expected_out_ || crc_sum_ != expected_crc_sum_) {
      return absl::InternalError(fmt::format(
          "compression: {} compressed bytes (trailer CRC sum {}) but {} "
          "(CRC sum {}) expected",
          out_bytes_, crc_sum_, expected_out_, expected_crc_sum_));
    }
    for (int k = 0; k < kCorpus; ++k) {
      for (GzipCodec* codec : {codec_.get(), libdeflate_.get()}) {
        WSBENCH_ASSIGN_OR_RETURN(GzipResult r, codec->Compress(corpus_[k]));
        const std::string gz(r.data);
        WSBENCH_ASSIGN_OR_RETURN(std::string_view back, codec_->Decompress(gz));
        if (back != corpus_[k]) {
          return absl::InternalError(fmt::format(
              "compression: corpus message {} does not round-trip through {}",
              k, GzipBackendName(codec->options().backend)));
        }
      }
    }
    return absl::OkStatus();
  }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["savings_pct"] = savings_pct_;
    counters["bare_zlib_ops_per_second"] = bare_ops_per_second_;
    counters["setup_vs_bare_zlib_pct"] = setup_vs_bare_pct_;
    counters["mean_message_bytes"] = mean_bytes_;
    counters["gzip_level"] = kLevel;
    counters["zlib_ops_per_second"] = zlib_ops_per_second_;
    counters["zlib_mb_per_second"] = zlib_mb_per_second_;
    counters["zlib_savings_pct"] = savings_pct_;
    counters["libdeflate_ops_per_second"] = libdeflate_ops_per_second_;
    counters["libdeflate_mb_per_second"] = libdeflate_mb_per_second_;
    counters["libdeflate_savings_pct"] = libdeflate_savings_pct_;
    counters["libdeflate_vs_zlib_speedup"] =
        zlib_ops_per_second_ > 0
            ? libdeflate_ops_per_second_ / zlib_ops_per_second_
            : 0;
  }

 private:
  std::vector<std::string> corpus_;
  std::unique_ptr<GzipCodec> codec_;
  std::unique_ptr<GzipCodec> libdeflate_;
  int64_t ops_count_ = 0;
  uint64_t expected_in_ = 0;
  uint64_t expected_out_ = 0;
  uint64_t expected_crc_sum_ = 0;
  double savings_pct_ = 0;
  double mean_bytes_ = 0;
  double bare_ops_per_second_ = 0;
  double setup_vs_bare_pct_ = 0;
  double zlib_ops_per_second_ = 0;
  double zlib_mb_per_second_ = 0;
  double libdeflate_ops_per_second_ = 0;
  double libdeflate_mb_per_second_ = 0;
  double libdeflate_savings_pct_ = 0;
  uint64_t out_bytes_ = 0;
  uint64_t crc_sum_ = 0;
  int64_t errors_ = 0;
  int64_t done_ = 0;
  uint64_t setup_sink_ = 0;
};

std::unique_ptr<Workload> MakeCompressionWorkload() {
  return std::make_unique<CompressionWorkload>();
}

}  // namespace

WSBENCH_REGISTER_DIMENSION(compression, "bytes", MakeCompressionWorkload);

}  // namespace wsbench::bench

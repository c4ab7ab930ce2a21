// The `frames` dimension: a server's receive path for one client connection's
// stream of masked RFC 6455 frames: header parsing and protocol checks,
// unmasking, UTF-8 validation of text, reassembly of fragmented messages, and
// encoding of the server frame answering each message (an echo) and each ping
// (a pong).
//
// Corpus (built in Setup from the seed; the same for every level): about
// 2 MiB of client frames: message sizes log-uniform in 16 B..16 KiB, 70% text
// (JSON-like, 10% of them with 2-4 byte UTF-8 characters), 30% binary, 12% of
// messages fragmented into 2-4 frames, pings/pongs (0-125 B) between messages
// and between fragments, a random masking key per frame. Op = one client frame
// (data, continuation or control); a pass decodes ops() = level.ops frames,
// cycling through the corpus.
//
// Decoding unmasks in place, so the harness decodes FROM A COPY: Run copies
// the pristine masked stream into a 64 KiB read buffer one read at a time (the
// copy recv() makes into a server's read buffer), timed and included in the
// figures; frames cut between reads take the decoder's incremental path, as
// on a real socket. Reset() only rewinds (stream offset 0, fresh decoder).
// Run stops at the first frame boundary at or after `end` (a few frames of a
// fragmented message may complete together); Verify checks the exact counts.
//
// Verify: frames decoded >= ops, and messages, pings, pongs, payload bytes, a
// sampled payload checksum and server bytes encoded all equal the values
// computed from the generator (not from the decoder) for that many frames.
// items_per_op() = corpus payload bytes per frame, unit "bytes" (-> GB/s).
//
// Counters measured once in Setup (untimed by the driver; steady_clock over
// in-cache buffers, best of 5): the unmask kernel's GB/s on a 16 KiB payload,
// the portable word kernel's, and decoder-only rates for 128 B text frames
// (UTF-8 on/off) and 16 KiB text frames, to compare with the targets.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "benchmark/benchmark.h"
#include "fmt/format.h"
#include "workload.h"
#include "wsbench/frame.h"
#include "wsbench/frame_decoder.h"
#include "wsbench/unmask.h"

namespace wsbench::bench {
namespace {

constexpr size_t kCorpusBytes = size_t{2} << 20;
constexpr size_t kReadSize = 64 * 1024;
constexpr size_t kMinMessage = 16;
constexpr size_t kMaxMessage = 16 * 1024;

// A cheap checksum over sampled bytes: detects a wrong key, phase or offset.
inline uint64_t SamplePayload(const uint8_t* p, size_t n) {
  if (n == 0) return 1;
  return n * 7 + p[0] + p[n / 2] * 3u + p[n - 1] * 5u;
}

struct Tally {
  uint64_t messages = 0;
  uint64_t pings = 0;
  uint64_t pongs = 0;
  uint64_t payload_bytes = 0;  // message payloads
  uint64_t checksum = 0;
  uint64_t server_bytes = 0;  // encoded server frames (echoes and pongs)

  Tally& operator+=(const Tally& o) {
    messages += o.messages;
    pings += o.pings;
    pongs += o.pongs;
    payload_bytes += o.payload_bytes;
    checksum += o.checksum;
    server_bytes += o.server_bytes;
    return *this;
  }
  Tally Times(uint64_t k) const {
    return {messages * k,      pings * k,    pongs * k,
            payload_bytes * k, checksum * k, server_bytes * k};
  }
  bool operator==(const Tally&) const = default;
};

std::string Describe(const Tally& t) {
  return fmt::format(
      "messages {} pings {} pongs {} payload bytes {} checksum {} server bytes "
      "{}",
      t.messages, t.pings, t.pongs, t.payload_bytes, t.checksum,
      t.server_bytes);
}

std::string TextPayload(std::mt19937_64& rng, size_t size, bool unicode) {
  static constexpr std::string_view kMulti[] = {"\xc3\xa9", "\xe2\x82\xac",
                                                "\xf0\x9f\x98\x80", "\xce\xba"};
  std::string s = fmt::format(
      "{{\"op\":\"publish\",\"channel\":\"ch-{}\",\"data\":\"", rng() % 1000);
  const size_t body_end = size >= s.size() + 2 ? size - 2 : s.size();
  while (s.size() < body_end) {
    if (unicode && rng() % 8 == 0) {
      const std::string_view m = kMulti[rng() % 4];
      if (s.size() + m.size() <= body_end) {
        s += m;
        continue;
      }
    }
    s += static_cast<char>('a' + rng() % 26);
  }
  s += "\"}";
  s.resize(size, ' ');  // tiny messages: the JSON prefix is cut, still ASCII
  return s;
}

// Decoder-only micro measurements on in-cache buffers (best of `reps`).
template <typename F>
double BestSeconds(int reps, F&& f) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

double UnmaskGbps(UnmaskFn fn) {
  std::vector<uint8_t> buf(kMaxMessage);
  for (size_t i = 0; i < buf.size(); ++i)
    buf[i] = static_cast<uint8_t>(i * 131);
  constexpr int kIters = 2000;
  const double s = BestSeconds(5, [&] {
    for (int i = 0; i < kIters; ++i) {
      fn(buf.data(), buf.size(), 0x9a135ce7u, static_cast<uint32_t>(i & 3));
      benchmark::ClobberMemory();
    }
  });
  benchmark::DoNotOptimize(buf.data());
  return static_cast<double>(buf.size()) * kIters / s / 1e9;
}

// Frames per second decoding `count` text frames of `size` bytes (in cache;
// the masked buffer is restored between repetitions, untimed).
double DecodeFramesPerSecond(size_t size, size_t count, bool utf8) {
  std::mt19937_64 rng(size);
  std::string wire;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t key = static_cast<uint32_t>(rng());
    AppendFrame(
        {.opcode = Opcode::kText,
         .masked = true,
         .mask_key = {static_cast<uint8_t>(key), static_cast<uint8_t>(key >> 8),
                      static_cast<uint8_t>(key >> 16),
                      static_cast<uint8_t>(key >> 24)}},
        TextPayload(rng, size, false), wire);
  }
  const std::vector<uint8_t> pristine(wire.begin(), wire.end());
  std::vector<uint8_t> work = pristine;
  FrameDecoderOptions options;
  options.validate_utf8 = utf8;
  double best = 1e30;
  uint64_t sink = 0;
  for (int r = 0; r < 7; ++r) {
    std::memcpy(work.data(), pristine.data(), work.size());
    FrameDecoder decoder(options);
    std::span<uint8_t> in(work);
    size_t events = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
      const FrameEvent ev = decoder.Next(in);
      if (ev.type == FrameEventType::kNeedMore) break;
      sink += ev.payload.size();
      ++events;
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (events != count) return 0;  // reported as 0: the measurement is void
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  benchmark::DoNotOptimize(sink);
  return static_cast<double>(count) / best;
}

struct MicroResults {
  double unmask_active_gbps = 0;
  double unmask_word_gbps = 0;
  double f128_utf8_off_mfps = 0;
  double f128_utf8_on_mfps = 0;
  double f16k_utf8_on_gbps = 0;
};

const MicroResults& Micro() {
  static const MicroResults results = [] {
    MicroResults m;
    m.unmask_active_gbps = UnmaskGbps(ActiveUnmaskKernel());
    m.unmask_word_gbps = UnmaskGbps(&internal::UnmaskWord);
    // 256 frames of 134 bytes (34 KiB) stay in L1/L2.
    m.f128_utf8_off_mfps = DecodeFramesPerSecond(128, 256, false) / 1e6;
    m.f128_utf8_on_mfps = DecodeFramesPerSecond(128, 256, true) / 1e6;
    m.f16k_utf8_on_gbps =
        DecodeFramesPerSecond(kMaxMessage, 16, true) * kMaxMessage / 1e9;
    return m;
  }();
  return results;
}

class FramesWorkload : public Workload {
 public:
  absl::Status Setup(const LoadLevel& level,
                     const WorkloadOptions& options) override {
    ops_ = level.ops;
    BuildCorpus(options.seed);
    read_buffer_.resize(kReadSize);
    // Warm the decoder's message buffer to its largest message so that Run
    // does not allocate, and check the corpus decodes as generated.
    absl::Status reset = Reset();
    if (!reset.ok()) return reset;
    Run(0, static_cast<int64_t>(frame_count()));
    if (absl::Status s = Verify(); !s.ok()) {
      return absl::InternalError(fmt::format(
          "frames: corpus self-check failed: {}", std::string(s.message())));
    }
    Micro();
    return Reset();
  }

  int64_t ops() const override { return ops_; }

  absl::Status Reset() override {
    decoder_.Reset();
    read_pos_ = 0;
    in_ = {};
    got_ = {};
    out_used_ = 0;
    error_ = FrameError::kNone;
    unexpected_close_ = false;
    max_end_ = 0;
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    const uint64_t stop = static_cast<uint64_t>(end);
    max_end_ = std::max(max_end_, stop);
    while (decoder_.frames() < stop) {
      if (in_.empty()) Refill();
      const FrameEvent ev = decoder_.Next(in_);
      switch (ev.type) {
        case FrameEventType::kNeedMore:
          break;
        case FrameEventType::kMessage:
          ++got_.messages;
          got_.payload_bytes += ev.payload.size();
          got_.checksum += SamplePayload(ev.payload.data(), ev.payload.size());
          Send(ev.opcode, ev.payload);
          break;
        case FrameEventType::kPing:
          ++got_.pings;
          Send(Opcode::kPong, ev.payload);
          break;
        case FrameEventType::kPong:
          ++got_.pongs;
          break;
        case FrameEventType::kClose:  // the corpus has none
          unexpected_close_ = true;
          return;
        case FrameEventType::kError:
          error_ = ev.error;
          return;
      }
    }
    benchmark::DoNotOptimize(got_);
  }

  absl::Status Verify() override {
    if (error_ != FrameError::kNone) {
      return absl::InternalError(
          fmt::format("frames: decoding stopped: {}",
                      std::string(decoder_.status().message())));
    }
    if (unexpected_close_)
      return absl::InternalError("frames: unexpected close frame");
    const uint64_t frames = decoder_.frames();
    if (frames < max_end_) {
      return absl::InternalError(fmt::format(
          "frames: decoded {} frames, {} requested", frames, max_end_));
    }
    const uint64_t n = frame_count();
    Tally expected = cycle_.Times(frames / n);
    expected += prefix_[frames % n];
    // server_bytes counts flushed output; add what is still buffered.
    Tally got = got_;
    got.server_bytes += out_used_;
    if (!(got == expected)) {
      return absl::InternalError(
          fmt::format("frames: after {} frames got [{}], expected [{}]", frames,
                      Describe(got), Describe(expected)));
    }
    return absl::OkStatus();
  }

  double items_per_op() const override {
    return static_cast<double>(cycle_.payload_bytes) /
           static_cast<double>(frame_count());
  }

  void AddCounters(std::map<std::string, double>& counters) const override {
    const MicroResults& m = Micro();
    counters["corpus_frames"] = static_cast<double>(frame_count());
    counters["corpus_messages"] = static_cast<double>(cycle_.messages);
    counters["corpus_bytes"] = static_cast<double>(corpus_.size());
    counters["avg_payload_bytes_per_frame"] = items_per_op();
    counters["unmask_kernel_is_avx512"] =
        ActiveUnmaskKernelName() == "avx512" ? 1 : 0;
    counters["unmask_kernel_is_avx2"] =
        ActiveUnmaskKernelName() == "avx2" ? 1 : 0;
    counters["micro_unmask_16KiB_in_cache_GBps"] = m.unmask_active_gbps;
    counters["micro_unmask_16KiB_in_cache_word_kernel_GBps"] =
        m.unmask_word_gbps;
    counters["micro_decode_128B_text_frames_utf8_off_Mframes_per_s"] =
        m.f128_utf8_off_mfps;
    counters["micro_decode_128B_text_frames_utf8_on_Mframes_per_s"] =
        m.f128_utf8_on_mfps;
    counters["micro_decode_16KiB_text_frames_utf8_on_GBps"] =
        m.f16k_utf8_on_gbps;
  }

 private:
  size_t frame_count() const { return prefix_.size(); }

  void AddFrame(Opcode op, bool fin, std::string_view payload,
                std::mt19937_64& rng, const Tally& completes) {
    const uint64_t key = rng();
    AppendFrame(
        {.opcode = op,
         .fin = fin,
         .masked = true,
         .mask_key = {static_cast<uint8_t>(key), static_cast<uint8_t>(key >> 8),
                      static_cast<uint8_t>(key >> 16),
                      static_cast<uint8_t>(key >> 24)}},
        payload, corpus_);
    prefix_.push_back(cycle_);  // the tally BEFORE this frame
    cycle_ += completes;
  }

  void AddControl(std::mt19937_64& rng) {
    const bool ping = rng() % 2 == 0;
    std::string payload(rng() % (kMaxControlPayload + 1), '\0');
    for (char& c : payload) c = static_cast<char>(rng());
    Tally t;
    if (ping) {
      t.pings = 1;
      t.server_bytes = FrameHeaderSize(payload.size(), false) + payload.size();
    } else {
      t.pongs = 1;
    }
    AddFrame(ping ? Opcode::kPing : Opcode::kPong, true, payload, rng, t);
  }

  void BuildCorpus(uint64_t seed) {
    std::mt19937_64 rng(seed ^ 0xf4a3e5);
    corpus_.clear();
    prefix_.clear();
    cycle_ = {};
    const double log_min = std::log(static_cast<double>(kMinMessage));
    const double log_max = std::log(static_cast<double>(kMaxMessage));
    std::uniform_real_distribution<double> log_size(log_min, log_max);
    while (corpus_.size() < kCorpusBytes) {
      if (rng() % 100 < 5) AddControl(rng);
      const size_t size = static_cast<size_t>(std::exp(log_size(rng)));
      const bool text = rng() % 10 < 7;
      std::string payload;
      if (text) {
        payload = TextPayload(rng, size, rng() % 10 == 0);
      } else {
        payload.resize(size);
        for (char& c : payload) c = static_cast<char>(rng());
      }
      Tally done;
      done.messages = 1;
      done.payload_bytes = payload.size();
      done.checksum = SamplePayload(
          reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
      done.server_bytes =
          FrameHeaderSize(payload.size(), false) + payload.size();
      const Opcode op = text ? Opcode::kText : Opcode::kBinary;
      if (rng() % 100 < 12 && payload.size() >= 4) {
        // Fragmented: 2-4 frames cut at random points (code points may be cut).
        const size_t parts = 2 + rng() % 3;
        std::vector<size_t> cuts;
        for (size_t i = 1; i < parts; ++i)
          cuts.push_back(rng() % payload.size());
        std::sort(cuts.begin(), cuts.end());
        cuts.push_back(payload.size());
        size_t start = 0;
        for (size_t i = 0; i < cuts.size(); ++i) {
          const bool last = i + 1 == cuts.size();
          AddFrame(i == 0 ? op : Opcode::kContinuation, last,
                   std::string_view(payload).substr(start, cuts[i] - start),
                   rng, last ? done : Tally{});
          start = cuts[i];
          if (!last && rng() % 4 == 0) AddControl(rng);
        }
      } else {
        AddFrame(op, true, payload, rng, done);
      }
    }
  }

  // Copies the next read from the pristine stream (wrapping at its end).
  void Refill() {
    size_t filled = 0;
    while (filled < kReadSize) {
      const size_t n = std::min(kReadSize - filled, corpus_.size() - read_pos_);
      std::memcpy(read_buffer_.data() + filled, corpus_.data() + read_pos_, n);
      filled += n;
      read_pos_ += n;
      if (read_pos_ == corpus_.size()) read_pos_ = 0;
    }
    in_ = std::span<uint8_t>(read_buffer_.data(), kReadSize);
  }

  // Encodes the server frame answering a message or ping (5.2, unmasked).
  void Send(Opcode op, std::span<const uint8_t> payload) {
    const size_t need = kMaxFrameHeaderSize + payload.size();
    if (out_used_ + need > out_.size()) {
      got_.server_bytes += out_used_;  // "written to the socket"
      out_used_ = 0;
    }
    std::span<uint8_t, kMaxFrameHeaderSize> header(out_.data() + out_used_,
                                                   kMaxFrameHeaderSize);
    out_used_ += EncodeFrameHeader(
        {.opcode = op, .payload_size = payload.size()}, header);
    std::memcpy(out_.data() + out_used_, payload.data(), payload.size());
    out_used_ += payload.size();
  }

  int64_t ops_ = 0;
  std::string corpus_;         // pristine masked client stream
  std::vector<Tally> prefix_;  // prefix_[i] = tally of frames [0, i)
  Tally cycle_;                // tally of the whole corpus
  std::vector<uint8_t> read_buffer_;
  std::array<uint8_t, 256 * 1024> out_{};
  size_t out_used_ = 0;
  size_t read_pos_ = 0;
  std::span<uint8_t> in_;
  FrameDecoder decoder_;
  Tally got_;
  FrameError error_ = FrameError::kNone;
  bool unexpected_close_ = false;
  uint64_t max_end_ = 0;
};

std::unique_ptr<Workload> MakeFramesWorkload() {
  return std::make_unique<FramesWorkload>();
}

}  // namespace
}  // namespace wsbench::bench

WSBENCH_REGISTER_DIMENSION(frames, "bytes",
                           ::wsbench::bench::MakeFramesWorkload);

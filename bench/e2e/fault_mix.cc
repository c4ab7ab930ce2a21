#include "e2e/fault_mix.h"

#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "wsbench/frame.h"

namespace wsbench::e2e {
namespace {

constexpr std::string_view kKindNames[kFaultKinds] = {"rst", "malformed",
                                                      "slow"};

absl::Status Bad(std::string_view spec, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("--faults '{}': {}", spec, why));
}

uint64_t Mix64(uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::array<uint8_t, 4> MaskKey(uint32_t seed) {
  const uint64_t m = Mix64(seed);
  return {static_cast<uint8_t>(m), static_cast<uint8_t>(m >> 8),
          static_cast<uint8_t>(m >> 16), static_cast<uint8_t>(m >> 24)};
}

// A masked frame whose first byte (FIN, RSV, opcode) is `byte0`, with the
// minimal length form.
std::string MaskedFrame(uint8_t byte0, std::string_view payload,
                        uint32_t mask_seed) {
  FrameHeader header;
  header.opcode = static_cast<Opcode>(byte0 & 0x0F);
  header.fin = (byte0 & 0x80) != 0;
  header.masked = true;
  header.mask_key = MaskKey(mask_seed);
  std::string out;
  AppendFrame(header, payload, out);
  out[0] = static_cast<char>(byte0);  // RSV bits and reserved opcodes as given
  return out;
}

}  // namespace

std::string_view FaultName(FaultKind kind) {
  return kind == FaultKind::kNone ? "none"
                                  : kKindNames[static_cast<int>(kind) - 1];
}

std::string FaultMix::ToString() const {
  std::string out;
  for (int k = 0; k < kFaultKinds; ++k) {
    if (share[k] == 0) continue;
    if (!out.empty()) out += ',';
    out += fmt::format("{}={}", kKindNames[k], share[k]);
  }
  return out;
}

absl::StatusOr<FaultMix> ParseFaultMix(std::string_view spec) {
  FaultMix mix;
  if (spec.empty() || spec == "none") return mix;
  std::array<bool, kFaultKinds> seen = {false, false, false};
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string_view::npos) comma = spec.size();
    const std::string_view item = spec.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) {
      return Bad(spec, "empty item (two commas, or a comma at an end)");
    }
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Bad(spec, fmt::format("'{}' is not kind=share (kinds: rst, "
                                   "malformed, slow)",
                                   item));
    }
    const std::string_view name = item.substr(0, eq);
    int k = 0;
    while (k < kFaultKinds && kKindNames[k] != name) ++k;
    if (k == kFaultKinds) {
      return Bad(spec, fmt::format("unknown fault '{}' (kinds: rst, "
                                   "malformed, slow)",
                                   name));
    }
    if (seen[k]) return Bad(spec, fmt::format("'{}' given twice", name));
    seen[k] = true;
    const std::string value(item.substr(eq + 1));
    char* end = nullptr;
    const double share = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() ||
        !std::isfinite(share)) {
      return Bad(spec, fmt::format("{}: '{}' is not a number", name, value));
    }
    if (share < 0 || share > 1) {
      return Bad(spec, fmt::format("{}: share {} is not in [0, 1] (a share "
                                   "of the connections, e.g. 0.01)",
                                   name, value));
    }
    mix.share[k] = share;
  }
  const double total = mix.share[0] + mix.share[1] + mix.share[2];
  if (total > 0.5) {
    return Bad(spec, fmt::format("the shares add up to {}; at most 0.5 (the "
                                 "healthy clients stay the majority)",
                                 total));
  }
  return mix;
}

std::string_view MalformedName(MalformedKind kind) {
  switch (kind) {
    case MalformedKind::kUnmasked:
      return "unmasked";
    case MalformedKind::kReservedOpcode:
      return "reserved_opcode";
    case MalformedKind::kReservedBits:
      return "reserved_bits";
    case MalformedKind::kNonMinimalLength:
      return "non_minimal_length";
    case MalformedKind::kFragmentedControl:
      return "fragmented_control";
    case MalformedKind::kInvalidUtf8:
      return "invalid_utf8";
    case MalformedKind::kTooBig:
      return "too_big";
  }
  return "?";
}

uint16_t ExpectedCloseCode(MalformedKind kind) {
  switch (kind) {
    case MalformedKind::kInvalidUtf8:
      return 1007;
    case MalformedKind::kTooBig:
      return 1009;
    default:
      return 1002;
  }
}

std::string MalformedFrame(MalformedKind kind, uint64_t max_frame_size,
                           uint32_t mask_seed) {
  constexpr std::string_view kJson = R"({"type":"ping","id":1})";
  switch (kind) {
    case MalformedKind::kUnmasked: {
      FrameHeader header;  // masked = false
      std::string out;
      AppendFrame(header, kJson, out);
      return out;
    }
    case MalformedKind::kReservedOpcode:
      return MaskedFrame(0x80 | 0x3, kJson, mask_seed);
    case MalformedKind::kReservedBits:
      return MaskedFrame(0x80 | 0x20 | 0x1, kJson, mask_seed);  // RSV2
    case MalformedKind::kNonMinimalLength: {
      // 5 payload bytes announced with the 16-bit length (126 + 0x0005).
      const std::array<uint8_t, 4> mask = MaskKey(mask_seed);
      std::string out = {static_cast<char>(0x81), static_cast<char>(0x80 | 126),
                         0, 5};
      out.append(reinterpret_cast<const char*>(mask.data()), 4);
      const std::string_view payload = "hello";
      for (size_t i = 0; i < payload.size(); ++i) {
        out += static_cast<char>(payload[i] ^ mask[i % 4]);
      }
      return out;
    }
    case MalformedKind::kFragmentedControl:
      return MaskedFrame(0x9, "ping", mask_seed);  // FIN clear
    case MalformedKind::kInvalidUtf8:
      return MaskedFrame(0x81, "\xc3\x28 not UTF-8 \xff", mask_seed);
    case MalformedKind::kTooBig: {
      FrameHeader header;
      header.opcode = Opcode::kText;
      header.masked = true;
      header.mask_key = MaskKey(mask_seed);
      header.payload_size = max_frame_size + 1;
      std::array<uint8_t, kMaxFrameHeaderSize> bytes;
      const size_t n = EncodeFrameHeader(header, bytes);
      std::string out(reinterpret_cast<const char*>(bytes.data()), n);
      out += "\x11\x22\x33\x44";  // the first payload bytes, then no more
      return out;
    }
  }
  return {};
}

std::string HalfFrame(uint32_t mask_seed) {
  const std::string payload(1000, 'x');
  std::string frame = MaskedFrame(0x81, payload, mask_seed);
  frame.resize(frame.size() - payload.size() / 2);
  return frame;
}

FaultPlan::FaultPlan(const FaultMix& mix, int64_t connections, uint64_t seed)
    : connections_(connections) {
  if (connections <= 0) return;
  int64_t total = 0;
  for (int k = 0; k < kFaultKinds; ++k) {
    int64_t n = std::llround(mix.share[k] * static_cast<double>(connections));
    if (mix.share[k] > 0 && n == 0) n = 1;  // a kind asked for is exercised
    total = std::min(connections, total + n);
    end_[k] = total;
  }
  // A stride coprime with n makes g -> (g * stride + offset) mod n a
  // permutation: the faulty ids spread over workers, shards and sources.
  const uint64_t h = Mix64(seed);
  stride_ = static_cast<int64_t>(h % static_cast<uint64_t>(connections));
  if (stride_ == 0) stride_ = 1;
  while (std::gcd(stride_, connections) != 1) {
    stride_ = stride_ % connections + 1;
  }
  offset_ = static_cast<int64_t>(Mix64(h) % static_cast<uint64_t>(connections));
}

int64_t FaultPlan::Rank(int64_t g) const {
  const unsigned __int128 r =
      static_cast<unsigned __int128>(g) * static_cast<uint64_t>(stride_) +
      static_cast<uint64_t>(offset_);
  return static_cast<int64_t>(r % static_cast<uint64_t>(connections_));
}

int64_t FaultPlan::count(FaultKind kind) const {
  switch (kind) {
    case FaultKind::kNone:
      return connections_ - end_[kFaultKinds - 1];
    case FaultKind::kRst:
      return end_[0];
    case FaultKind::kMalformed:
      return end_[1] - end_[0];
    case FaultKind::kSlow:
      return end_[2] - end_[1];
  }
  return 0;
}

FaultKind FaultPlan::KindOf(int64_t g) const {
  if (g < 0 || g >= connections_) return FaultKind::kNone;
  const int64_t r = Rank(g);
  if (r < end_[0]) return FaultKind::kRst;
  if (r < end_[1]) return FaultKind::kMalformed;
  if (r < end_[2]) return FaultKind::kSlow;
  return FaultKind::kNone;
}

MalformedKind FaultPlan::MalformedKindOf(int64_t g) const {
  const int64_t i = Rank(g) - end_[0];
  return static_cast<MalformedKind>((i < 0 ? 0 : i) % kMalformedKinds);
}

}  // namespace wsbench::e2e

// Fault mix of the end-to-end dimensions: which connections misbehave, how,
// and what the server must answer.
//
// `--faults rst=0.01,malformed=0.01,slow=0.005` gives each kind a share of
// the level's connections:
//   rst        sends half of a frame, then ends the socket with a TCP RST
//              (SO_LINGER 0): the server must drop it (its gauge falls);
//   malformed  sends one malformed frame (MalformedKind, in rotation): the
//              server must answer with the close code of RFC 6455 for it
//              (1002, 1007 or 1009) and count a protocol error;
//   slow       subscribes, then stops reading while events flow to it: the
//              server must drop events to it (messages_dropped) or close
//              it (closed_slow), per its overflow policy.
// The rest are healthy; their success rate is reported apart.
//
// FaultPlan picks exactly round(share x connections) connections of each
// kind (at least one when the share is above 0), by a permutation of the
// global ids seeded by the run's seed, so every worker process of a fleet
// agrees on the kind of any id without talking. Pure, thread-compatible.
//
//   absl::StatusOr<FaultMix> mix = ParseFaultMix("rst=0.01,slow=0.005");
//   FaultPlan plan(*mix, /*connections=*/5000, /*seed=*/42);
//   if (plan.KindOf(g) == FaultKind::kMalformed) {
//     MalformedKind m = plan.MalformedKindOf(g);
//     loop.SendRaw(conn, MalformedFrame(m, max_frame_size));
//     // expect ExpectedCloseCode(m)
//   }
#ifndef WSBENCH_BENCH_E2E_FAULT_MIX_H_
#define WSBENCH_BENCH_E2E_FAULT_MIX_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace wsbench::e2e {

enum class FaultKind : uint8_t {
  kNone = 0,
  kRst = 1,
  kMalformed = 2,
  kSlow = 3
};
inline constexpr int kFaultKinds = 3;  // rst, malformed, slow
// "rst", "malformed", "slow", "none".
std::string_view FaultName(FaultKind kind);

struct FaultMix {
  // Shares of the connections, each in [0, 1], summing to at most 0.5 (the
  // healthy clients stay the majority the success rate is about).
  std::array<double, kFaultKinds> share = {0, 0, 0};  // rst, malformed, slow
  bool empty() const { return share[0] == 0 && share[1] == 0 && share[2] == 0; }
  double& of(FaultKind kind) { return share[static_cast<int>(kind) - 1]; }
  double of(FaultKind kind) const { return share[static_cast<int>(kind) - 1]; }
  // "rst=0.01,malformed=0.01,slow=0.005" (kinds with share 0 left out; ""
  // for an empty mix). ParseFaultMix(ToString()) gives the same mix.
  std::string ToString() const;
};

// Parses "kind=share[,kind=share...]" (kinds rst, malformed, slow; each at
// most once; shares decimal in [0, 1], together at most 0.5); "" and
// "none" are the empty mix. InvalidArgument naming the item and why.
absl::StatusOr<FaultMix> ParseFaultMix(std::string_view spec);

// Malformed frames a client can send (RFC 6455 section), each with the close
// code a server must answer.
enum class MalformedKind : uint8_t {
  kUnmasked = 0,       // 5.1: a client frame without a mask      -> 1002
  kReservedOpcode,     // 5.2: opcode 0x3                          -> 1002
  kReservedBits,       // 5.2: RSV2 set, no extension defines it   -> 1002
  kNonMinimalLength,   // 5.2: 5 bytes announced in the 16-bit form -> 1002
  kFragmentedControl,  // 5.5: a ping without FIN                  -> 1002
  kInvalidUtf8,        // 8.1: a text message that is not UTF-8    -> 1007
  kTooBig,             // 10.4: a frame over the server's limit    -> 1009
};
inline constexpr int kMalformedKinds = 7;
std::string_view MalformedName(MalformedKind kind);
uint16_t ExpectedCloseCode(MalformedKind kind);
// The bytes of one frame of `kind` (masked, except kUnmasked); kTooBig
// announces max_frame_size + 1 bytes and carries only the first few (the
// server must refuse it from the header). `mask_seed` varies the mask.
std::string MalformedFrame(MalformedKind kind, uint64_t max_frame_size,
                           uint32_t mask_seed = 0x5eed);
// Half of a masked text frame of 1000 bytes (header + 500 payload bytes):
// what an rst connection sends before its RST.
std::string HalfFrame(uint32_t mask_seed = 0x5eed);

class FaultPlan {
 public:
  FaultPlan() = default;  // no faults
  FaultPlan(const FaultMix& mix, int64_t connections, uint64_t seed);

  int64_t connections() const { return connections_; }
  // Connections of `kind` (exact; kNone: the healthy ones).
  int64_t count(FaultKind kind) const;
  int64_t faulty() const { return end_[kFaultKinds - 1]; }
  // The kind of global id g in [0, connections).
  FaultKind KindOf(int64_t g) const;
  // For a malformed g: its kind (the malformed connections take the kinds
  // in rotation, so each appears once kMalformedKinds are injected).
  MalformedKind MalformedKindOf(int64_t g) const;

 private:
  // Position of g in the permutation: (g * stride_ + offset_) mod n.
  int64_t Rank(int64_t g) const;
  int64_t connections_ = 0;
  int64_t stride_ = 1;
  int64_t offset_ = 0;
  // Ranks [0, end_[0]) are rst, [end_[0], end_[1]) malformed,
  // [end_[1], end_[2]) slow.
  std::array<int64_t, kFaultKinds> end_ = {0, 0, 0};
};

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_FAULT_MIX_H_

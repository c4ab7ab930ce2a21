// The `connections` dimension: open the level's connections, hold them all,
// close them all.
//
// Op = one Open or one Close on a ConnectionManager. A pass is
// ops() = level.ops operations = level.ops / (2 x connections) full cycles
// (50 at every level, since ops = connections x 100): each cycle opens all the
// level's connections (users and roles varied, drawn from the seed), checks
// the active gauge at the peak, then closes them all in a shuffled order (as
// clients hang up, not LIFO). Setup runs one untimed cycle first, so the pass
// measures the steady state (slots, free list and user buffers reused: no
// allocation) and so bytes_per_connection is MemoryUsage() at the peak of
// that cycle divided by the connections.
//
// Verify checks that every open and close succeeded, that active() read
// exactly level.connections at the peak of every cycle and 0 after it, and
// that the opened/closed totals grew by the pass's opens and closes.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "wsbench/connection_manager.h"
#include "wsbench/status_macros.h"
#include "workload.h"

namespace wsbench::bench {
namespace {

constexpr int kRoles = 40;

class ConnectionsWorkload : public Workload {
 public:
  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    std::mt19937_64 rng(options.seed ^ 0x636f6e6e);  // "conn"
    connections_ = level.connections;
    const int64_t per_cycle = 2 * int64_t{connections_};
    cycles_ = std::max<int64_t>(1, level.ops / per_cycle);
    ops_ = cycles_ * per_cycle;

    // Users: short ids as a server keeps them (inline in the slot, no heap),
    // several connections per user; 1 to 3 roles each.
    users_.clear();
    roles_.clear();
    const int distinct_users = std::max(1, connections_ / 3);
    for (int32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      users_.push_back(fmt::format("u{:x}", rng() % distinct_users * 2654435761u % 0xFFFFFFF));
      RoleSet roles;
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < n; ++k) roles.Add(static_cast<RoleId>(rng() % kRoles));
      roles_.push_back(roles);
    }
    close_order_.resize(connections_);
    for (int32_t c = 0; c < connections_; ++c) close_order_[c] = c;
    std::shuffle(close_order_.begin(), close_order_.end(), rng);
    ids_.assign(connections_, ConnectionId::Invalid());

    manager_ = std::make_unique<ConnectionManager>();
    manager_->Reserve(static_cast<uint32_t>(connections_));
    // One untimed cycle: warms the slots and measures memory at the peak.
    for (int32_t c = 0; c < connections_; ++c) {
      if ((c & 0x3FFF) == 0 && StopRequested()) return StopStatus();
      WSBENCH_ASSIGN_OR_RETURN(ids_[c], manager_->Open(users_[c], roles_[c]));
    }
    if (manager_->active() != static_cast<uint32_t>(connections_)) {
      return absl::InternalError("connections: warm-up peak is wrong");
    }
    bytes_at_peak_ = manager_->MemoryUsage();
    for (int32_t c : close_order_) WSBENCH_RETURN_IF_ERROR(manager_->Close(ids_[c]));
    return Reset();
  }

  int64_t ops() const override { return ops_; }

  absl::Status Reset() override {
    // A partial pass may leave connections open: close them (untimed).
    for (ConnectionId id : ids_) {
      if (manager_->IsOpen(id)) WSBENCH_RETURN_IF_ERROR(manager_->Close(id));
    }
    errors_ = 0;
    bad_peaks_ = 0;
    peaks_seen_ = 0;
    bad_troughs_ = 0;
    done_ = 0;
    opened_before_ = manager_->opened_total();
    closed_before_ = manager_->closed_total();
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    const int64_t per_cycle = 2 * int64_t{connections_};
    ConnectionManager& m = *manager_;
    int64_t errors = 0;
    // j = i % per_cycle, kept incrementally (a division per op would cost
    // about as much as the op).
    int64_t j = begin % per_cycle;
    for (int64_t i = begin; i < end; ++i, j = (j + 1 == per_cycle) ? 0 : j + 1) {
      if (j < connections_) {
        absl::StatusOr<ConnectionId> id = m.Open(users_[j], roles_[j]);
        if (id.ok()) [[likely]] {
          ids_[j] = *id;
        } else {
          ++errors;
        }
        if (j == connections_ - 1) {
          ++peaks_seen_;
          bad_peaks_ += m.active() != static_cast<uint32_t>(connections_);
        }
      } else {
        const int32_t c = close_order_[j - connections_];
        errors += !m.Close(ids_[c]).ok();
        if (j == per_cycle - 1) bad_troughs_ += m.active() != 0;
      }
    }
    errors_ += errors;
    done_ += end - begin;
  }

  absl::Status Verify() override {
    if (done_ != ops_) {
      return absl::InternalError(
          fmt::format("connections: pass ran {} of {} ops", done_, ops_));
    }
    if (errors_ != 0) {
      return absl::InternalError(fmt::format("connections: {} opens/closes failed", errors_));
    }
    if (peaks_seen_ != cycles_ || bad_peaks_ != 0 || bad_troughs_ != 0) {
      return absl::InternalError(fmt::format(
          "connections: active() was not {} at {} of {} peaks (or not 0 after {} cycles)",
          connections_, bad_peaks_, peaks_seen_, bad_troughs_));
    }
    const uint64_t expected = static_cast<uint64_t>(cycles_) * connections_;
    if (manager_->opened_total() - opened_before_ != expected ||
        manager_->closed_total() - closed_before_ != expected || manager_->active() != 0) {
      return absl::InternalError(fmt::format(
          "connections: gauges opened +{} closed +{} active {}, expected +{} +{} 0",
          manager_->opened_total() - opened_before_,
          manager_->closed_total() - closed_before_, manager_->active(), expected, expected));
    }
    return absl::OkStatus();
  }

  std::string ops_note() const override {
    return fmt::format("ops = {} cycles x (open {} + close {})", cycles_, connections_,
                       connections_);
  }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["bytes_per_connection"] =
        static_cast<double>(bytes_at_peak_) / std::max(1, connections_);
    counters["cycles"] = static_cast<double>(cycles_);
  }

 private:
  int32_t connections_ = 0;
  int64_t cycles_ = 0;
  int64_t ops_ = 0;
  std::vector<std::string> users_;
  std::vector<RoleSet> roles_;
  std::vector<int32_t> close_order_;
  std::vector<ConnectionId> ids_;
  std::unique_ptr<ConnectionManager> manager_;
  size_t bytes_at_peak_ = 0;
  int64_t errors_ = 0;
  int64_t bad_peaks_ = 0;
  int64_t peaks_seen_ = 0;
  int64_t bad_troughs_ = 0;
  int64_t done_ = 0;
  uint64_t opened_before_ = 0;
  uint64_t closed_before_ = 0;
};

std::unique_ptr<Workload> MakeConnectionsWorkload() {
  return std::make_unique<ConnectionsWorkload>();
}

}  // namespace

WSBENCH_REGISTER_DIMENSION(connections, "", MakeConnectionsWorkload);

}  // namespace wsbench::bench

// SPDX-License-Identifier: MIT
// The kernel's MIB counters as nstat names them ("TcpExtListenOverflows"): snapshots, deltas
// between two snapshots, per-second rates, and nstat's name patterns. Pure: no I/O (the reader
// is procfs/counter_sampler.hpp).
//
// A CounterSnapshot is flat: one vector of (name offset, name length, value) and one string pool
// holding every name. Refilling it with the same counters in the same order (the normal case:
// the kernel prints them in a fixed order) only overwrites values, so after the first read a
// refill allocates nothing. A counter that appears, disappears or moves (a newer kernel, a module
// loaded, an IcmpMsg type seen for the first time) rebuilds the tail from that point; nothing is
// keyed on a hard-coded list, so unknown counters simply appear by name.
//
// Deltas follow nstat: a counter found in the previous snapshot gives current - previous; one
// not found there gives its whole value (it was zero or absent before); one that went backwards
// (a reset, a module reload, a 32-bit wrap) gives 0 and a `reset` flag, never a huge bogus value.
//
// Common mistake: keeping a std::string_view from name() across a refill of the same snapshot;
// the pool may move. Copy the name, or keep the index and the snapshot together.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tcpscope::model {

class CounterSnapshot {
 public:
  // Starts a refill; `taken_ns` is the monotonic time of the read (CLOCK_MONOTONIC, ns), 0 when
  // unknown (a history file). Then call add() for every counter, in file order.
  void begin(int64_t taken_ns);
  void add(std::string_view name, uint64_t value);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view name(size_t i) const {
    return {pool_.data() + entries_[i].name_off, entries_[i].name_len};
  }
  uint64_t value(size_t i) const { return entries_[i].value; }
  int64_t taken_ns() const { return taken_ns_; }

  // Index of the counter called `name` (exact, case-sensitive). The search starts at `hint` and
  // wraps around, so a caller walking a snapshot in the same order finds each name at once.
  std::optional<size_t> find(std::string_view name, size_t hint = 0) const;
  std::optional<uint64_t> value_of(std::string_view name) const;

  void clear() { begin(0); }

 private:
  struct Entry {
    uint32_t name_off;
    uint32_t name_len;
    uint64_t value;
  };
  // entries_[size_..] is the tail of the previous fill, kept so the next refill can reuse it.
  std::vector<Entry> entries_;
  std::string pool_;
  size_t size_ = 0;
  int64_t taken_ns_ = 0;
};

struct CounterChange {
  uint32_t index = 0;   // of the counter in the current snapshot
  uint64_t delta = 0;   // current - previous; 0 when `reset`
  bool is_new = false;  // not in the previous snapshot: delta is the whole current value
  bool reset = false;   // lower than in the previous snapshot (reset or wrap): delta forced to 0
};

// current - previous for every counter of the current snapshot, plus the elapsed time between
// the two reads. Reused across ticks: compute() keeps the vector's capacity.
class CounterDeltas {
 public:
  void compute(const CounterSnapshot& previous, const CounterSnapshot& current);

  std::span<const CounterChange> changes() const { return changes_; }
  // Seconds between the two snapshots' monotonic timestamps; 0 when either is unknown.
  double elapsed_seconds() const { return elapsed_s_; }
  // Per second over elapsed_seconds(); 0 when the elapsed time is 0.
  double rate(const CounterChange& c) const {
    return elapsed_s_ > 0 ? static_cast<double>(c.delta) / elapsed_s_ : 0.0;
  }
  size_t resets() const { return resets_; }

 private:
  std::vector<CounterChange> changes_;
  double elapsed_s_ = 0;
  size_t resets_ = 0;
};

// nstat's name patterns: shell globs (fnmatch), case-insensitive; a name matches when any pattern
// matches it, and every name matches when there are no patterns.
class CounterPatterns {
 public:
  CounterPatterns() = default;
  explicit CounterPatterns(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}

  bool empty() const { return patterns_.empty(); }
  bool matches(std::string_view name) const;
  // True when some pattern has no glob characters and equals `name` (case-insensitively): the
  // user asked for this very counter. (Used to show the counters nstat always hides.)
  bool names_exactly(std::string_view name) const;

 private:
  std::vector<std::string> patterns_;
};

// The seven values nstat never loads, shows or stores, even with -a -z or a matching pattern:
// configuration constants and the TcpCurrEstab gauge.
bool nstat_hides(std::string_view name);

// Gauges among the counter files (a level, not a running total: a delta means little).
bool counter_is_gauge(std::string_view name);

}  // namespace tcpscope::model

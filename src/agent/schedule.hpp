// SPDX-License-Identifier: MIT
// The agent's tick schedule, apart from any clock: every time is passed in (nanoseconds on
// CLOCK_MONOTONIC in the agent, a plain number in the tests), so the schedule is a pure value.
//
// Ticks fall at fixed multiples of the listener interval from the start: tick i is due at
// start + i * listener_interval. Every n-th tick is full (n = interval / listener_interval,
// counted from the start), so tick 0, the first, is full; with n = 1 every tick is.
//
// The loop sleeps until next_due_ns() and then calls due(now). When a collection overran and
// several ticks fell due since the last one that ran, only one runs: the newest, at once (late);
// the others are skipped and counted in skipped_total(). It is full when any tick it stands for
// was. Missed ticks are never caught up, so two ticks never run back to back for one wake, and
// the ticks after it are again on the fixed cadence.
//
// restart() starts over from `now` (a reload that changed the intervals): tick 0 due at once,
// full; skipped_total() keeps counting (it is a self-metric that never goes backwards).
//
// The common mistake: comparing due() times with a clock other than the one the timer sleeping
// until next_due_ns() runs on (CLOCK_MONOTONIC; CLOCK_REALTIME jumps).
#pragma once

#include <cstdint>
#include <optional>

namespace tcpscope::agent {

struct Tick {
  bool full = false;
  int64_t number = 0;    // the tick's index from the start (0: the first)
  uint64_t skipped = 0;  // ticks that fell due since the previous one ran and do not run
};

class Schedule {
 public:
  // listener_interval_ns divides interval_ns (the configuration checks it); both > 0.
  Schedule(int64_t interval_ns, int64_t listener_interval_ns, int64_t now_ns);

  // The tick to run at `now`, if one fell due since the last call; at most one per call.
  std::optional<Tick> due(int64_t now_ns);

  // Starts over at `now` with these intervals; the next due() at `now` or later runs tick 0.
  void restart(int64_t interval_ns, int64_t listener_interval_ns, int64_t now_ns);

  // When the next tick falls due (absolute, on the clock `now` is read from).
  int64_t next_due_ns() const { return start_ns_ + (last_ + 1) * tick_ns_; }
  uint64_t skipped_total() const { return skipped_total_; }
  int64_t ticks_per_full() const { return ticks_per_full_; }
  int64_t tick_ns() const { return tick_ns_; }

 private:
  int64_t start_ns_ = 0;
  int64_t tick_ns_ = 1;
  int64_t ticks_per_full_ = 1;
  int64_t last_ = -1;  // the newest tick that ran or was skipped
  uint64_t skipped_total_ = 0;
};

}  // namespace tcpscope::agent

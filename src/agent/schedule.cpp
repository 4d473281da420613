// SPDX-License-Identifier: MIT
#include "agent/schedule.hpp"

#include <cassert>

namespace tcpscope::agent {

Schedule::Schedule(int64_t interval_ns, int64_t listener_interval_ns, int64_t now_ns) {
  restart(interval_ns, listener_interval_ns, now_ns);
}

void Schedule::restart(int64_t interval_ns, int64_t listener_interval_ns, int64_t now_ns) {
  assert(listener_interval_ns > 0 && interval_ns >= listener_interval_ns &&
         interval_ns % listener_interval_ns == 0 && "the configuration checks the intervals");
  start_ns_ = now_ns;
  tick_ns_ = listener_interval_ns;
  ticks_per_full_ = interval_ns / listener_interval_ns;
  last_ = -1;
}

std::optional<Tick> Schedule::due(int64_t now_ns) {
  if (now_ns < next_due_ns()) return std::nullopt;
  const int64_t first = last_ + 1;  // the oldest tick not yet taken
  const int64_t newest = (now_ns - start_ns_) / tick_ns_;
  // Full when a multiple of ticks_per_full lies in [first, newest]: the largest one up to
  // newest is not below first.
  const bool full = newest / ticks_per_full_ * ticks_per_full_ >= first;
  const auto skipped = static_cast<uint64_t>(newest - first);
  skipped_total_ += skipped;
  last_ = newest;
  return Tick{full, newest, skipped};
}

}  // namespace tcpscope::agent

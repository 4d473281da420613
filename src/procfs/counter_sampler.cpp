#include "procfs/counter_sampler.hpp"

#include <time.h>

#include "procfs/snmp.hpp"

namespace tcpscope::procfs {

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Status read_counter_snapshot(std::string_view proc_root, std::string& buffer,
                             model::CounterSnapshot& out, int64_t taken_ns) {
  out.begin(taken_ns);
  return read_counters(proc_root, buffer,
                       [&](std::string_view name, uint64_t value) { out.add(name, value); });
}

Status CounterSampler::sample_at(int64_t taken_ns) {
  // Read into the older snapshot; it becomes current only when the read succeeded.
  const unsigned next = samples_ == 0 ? cur_ : cur_ ^ 1;
  if (auto st = read_counter_snapshot(proc_root_, buffer_, snaps_[next], taken_ns); !st) {
    // The half-filled snapshot was the previous one: the current one is intact, and the next
    // good read is compared with it.
    if (samples_ >= 2) samples_ = 1;
    return st;
  }
  cur_ = next;
  ++samples_;
  if (samples_ >= 2) deltas_.compute(snaps_[cur_ ^ 1], snaps_[cur_]);
  return {};
}

}  // namespace tcpscope::procfs

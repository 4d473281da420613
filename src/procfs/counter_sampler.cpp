// SPDX-License-Identifier: MIT
#include "procfs/counter_sampler.hpp"

#include <cerrno>
#include <ctime>

#include "procfs/snmp.hpp"

namespace tcpscope::procfs {

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Status read_counter_snapshot(std::string_view proc_root, std::string& buffer,
                             model::CounterSnapshot& out, int64_t taken_ns) {
  out.begin(taken_ns);
  return read_counters(proc_root, buffer,
                       [&](std::string_view name, uint64_t value) { out.add(name, value); });
}

Status CounterSampler::read_into(model::CounterSnapshot& out, int64_t taken_ns) {
  // nstat's order (see read_counters): snmp, snmp6, netstat.
  static constexpr const char* kNames[] = {"snmp", "snmp6", "netstat"};
  static constexpr bool kList[] = {false, true, false};
  if (!opened_) {
    for (size_t i = 0; i < 3; ++i) {
      if (kList[i] && !o_.snmp6) continue;
      auto f = RereadFile::open(proc_root_ + "/net/" + kNames[i]);
      if (f) {
        files_[i] = std::move(*f);
      } else if (f.error().err() != ENOENT) {
        return fail(std::move(f.error()));
      }
    }
    if (!files_[0].is_open() && !files_[1].is_open() && !files_[2].is_open()) {
      return fail(
          Error(ErrorKind::kRuntime,
                "no counters under " + proc_root_ + "/net (snmp, snmp6, netstat): not a proc root?",
                ENOENT));
    }
    opened_ = true;
  }
  out.begin(taken_ns);
  auto add = [&](std::string_view name, uint64_t value) { out.add(name, value); };
  for (size_t i = 0; i < 3; ++i) {
    if (!files_[i].is_open()) continue;
    if (auto st = files_[i].read(buffer_); !st) return st;
    auto st = kList[i] ? parse_snmp_list(buffer_, add) : parse_snmp_table(buffer_, add);
    if (!st) return fail(std::move(st.error()).context(files_[i].path()));
  }
  return {};
}

Status CounterSampler::sample_at(int64_t taken_ns) {
  // Read into the older snapshot; it becomes current only when the read succeeded.
  const unsigned next = samples_ == 0 ? cur_ : cur_ ^ 1;
  if (auto st = read_into(snaps_[next], taken_ns); !st) {
    // The half-filled snapshot was the previous one: the current one is intact, and the next
    // good read is compared with it.
    if (samples_ >= 2) samples_ = 1;
    return st;
  }
  cur_ = next;
  ++samples_;
  if (samples_ >= 2 && o_.deltas) deltas_.compute(snaps_[cur_ ^ 1], snaps_[cur_]);
  return {};
}

}  // namespace tcpscope::procfs

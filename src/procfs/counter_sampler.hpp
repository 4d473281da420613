// SPDX-License-Identifier: MIT
// Reading the counter files into model::CounterSnapshot, and a sampler that keeps the previous
// read to give deltas and per-second rates tick after tick (counters --interval; the doctor and
// the agent use the same object).
//
//   CounterSampler s("/proc");
//   s.sample();                      // first read: no deltas yet
//   ... sleep ...
//   s.sample();                      // second read: s.deltas() = second - first, with rates
//
// The three files stay open (base/reread_file.hpp: read again from offset 0 each tick, so the
// sampler keeps reading the network namespace it started in), and every read reuses the same
// file buffer and the two snapshots (swapped, never reallocated once the counter set is
// stable): a steady sampler allocates nothing. Timestamps come from CLOCK_MONOTONIC, never the
// wall clock (which jumps).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/reread_file.hpp"
#include "base/result.hpp"
#include "model/counters.hpp"

namespace tcpscope::procfs {

// CLOCK_MONOTONIC in nanoseconds.
int64_t monotonic_ns();

// The calling thread's user + system CPU time (CLOCK_THREAD_CPUTIME_ID), in seconds: what a dump
// costs, the kernel's walk included (it runs inside the reader's recvmsg()).
double thread_cpu_seconds();

// Reads <proc_root>/net/{snmp,snmp6,netstat} (nstat's order) into `out`, stamped `taken_ns`.
// Every counter is kept, including the ones nstat hides (model::nstat_hides) and gauges.
Status read_counter_snapshot(std::string_view proc_root, std::string& buffer,
                             model::CounterSnapshot& out, int64_t taken_ns);

// What a sampler reads and keeps. The agent, which reads every namespace every tick and wants
// no deltas, leaves out what it does not export (snmp6 holds no TCP counter).
struct SamplerOptions {
  bool snmp6 = true;   // also /proc/net/snmp6 (Ip6, Icmp6, Udp6 counters)
  bool deltas = true;  // compute deltas() at each sample
};

class CounterSampler {
 public:
  explicit CounterSampler(std::string proc_root, SamplerOptions o = {})
      : proc_root_(std::move(proc_root)), o_(o) {}

  // Reads the counters now; after the second call, deltas() compares with the previous read.
  // On error current() is kept and has_deltas() is false until the next good read, which is
  // compared with current() (the failed read is not a sample).
  Status sample() { return sample_at(monotonic_ns()); }
  Status sample_at(int64_t taken_ns);

  bool has_deltas() const { return samples_ >= 2 && o_.deltas; }
  const model::CounterSnapshot& current() const { return snaps_[cur_]; }
  const model::CounterSnapshot& previous() const { return snaps_[cur_ ^ 1]; }
  const model::CounterDeltas& deltas() const { return deltas_; }

 private:
  Status read_into(model::CounterSnapshot& out, int64_t taken_ns);

  std::string proc_root_;
  SamplerOptions o_;
  bool opened_ = false;
  RereadFile files_[3];  // snmp, snmp6, netstat; not open when the file does not exist
  std::string buffer_;
  model::CounterSnapshot snaps_[2];
  model::CounterDeltas deltas_;
  unsigned cur_ = 0;
  uint64_t samples_ = 0;
};

}  // namespace tcpscope::procfs

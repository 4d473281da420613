// SPDX-License-Identifier: MIT
// Which namespaces get a census walk (every TCP state, through the established hash) on a full
// tick: a pure class, every time passed in (CLOCK_MONOTONIC nanoseconds in the agent, plain
// numbers in the tests), unit-tested in tests/unit/agent_census_plan_test.cpp.
//
// A walk of a namespace that shares the host's established hash costs the same whatever the
// namespace holds: the kernel skips every socket of the host one by one. So those walks share a
// CPU budget, `census.cpu` (a share of one core): it accrues credit as time passes (capped at
// one interval's worth, so a pause never buys a burst), each walk spends its measured CPU time,
// and a tick walks while the credit is positive (the walk that crosses zero finishes; the debt is
// repaid before the next one). Whom it walks: namespaces never walked first (in the order they
// were followed), then the oldest census. The bound wins over the budget: a namespace whose
// census would be older than `census.max_age` by the next full tick is walked now, credit or
// not. So the walks cost `census.cpu` of one core until the namespaces are more than the budget
// can walk within the bound (N x walk cost > census.cpu x max_age); beyond that, one walk per
// namespace per max_age.
//
// Namespaces with a hash of their own are walked on every full tick and cost nothing here: their
// walk visits only their own sockets.
//
// Before any walk has been measured the cost of the next one is unknown: one walk then, to
// learn it (the first tick of an agent following 500 namespaces must not walk them all).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tcpscope::agent {

struct CensusCandidate {
  bool walks_host_hash = true;  // false: a hash of its own, walked every full tick
  int64_t last_ns = -1;         // its last census, -1: never
  int64_t since_ns = 0;         // when the agent began to follow it
  double cost_s = -1;           // CPU time of its last walk, -1: unknown
};

class CensusPlanner {
 public:
  CensusPlanner(double cpu_share, int64_t max_age_ns, int64_t interval_ns, int64_t now_ns);

  // A reload: the credit stays (capped to the new interval's worth).
  void configure(double cpu_share, int64_t max_age_ns, int64_t interval_ns);

  // The indices of `c` to walk on the full tick at `now`: every one with a hash of its own,
  // then the ones the bound forces, then the oldest while the credit lasts (by the cost
  // expected of each). Refills the credit first.
  void plan(int64_t now_ns, std::span<const CensusCandidate> c, std::vector<size_t>& out);

  // Each walk of the host's hash, with its CPU time.
  void spent(double cpu_seconds);

  double credit_s() const { return credit_s_; }
  // Walks the last plan() took because of the bound alone.
  size_t forced() const { return forced_; }
  double spent_total_s() const { return spent_total_s_; }
  int64_t max_age_ns() const { return max_age_ns_; }

 private:
  void refill(int64_t now_ns);
  double cap_s() const;

  double share_ = 0;
  int64_t max_age_ns_ = 0;
  int64_t interval_ns_ = 1;
  int64_t refilled_ns_ = 0;
  double credit_s_ = 0;
  double spent_total_s_ = 0;
  size_t forced_ = 0;
  double mean_cost_s_ = -1;  // of the walks so far (exponentially weighted), -1: none yet
  std::vector<size_t> order_;
};

}  // namespace tcpscope::agent

// SPDX-License-Identifier: MIT
// The one-shot runs over every namespace (`doctor --netns all`, `summary --netns all`) follow
// the agent's rule for a single pass: every namespace gets the reads that cost the same whatever
// its hash (sockstat, snmp, the listening hash), and the walk of every state (the census) goes
// to each namespace with a hash of its own and, within a CPU budget, to the namespaces on the
// host's established hash, the ones holding the most sockets first. A walk starts while the CPU
// spent on such walks is below the budget, so the last one may cross it.
//
//   WalkBudget budget(1.0);                          // seconds of CPU
//   for (size_t i : walk_order(hashes, sockets)) {
//     if (!budget.allow(hashes[i])) { ... budget.why_not() ... continue; }
//     ... walk, measure its CPU ...; budget.spend(hashes[i], cpu);
//   }
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/netns.hpp"

namespace tcpscope::source {

class WalkBudget {
 public:
  explicit WalkBudget(double budget_s) : budget_s_(budget_s) {}

  // Whether a namespace with this hash is walked now.
  bool allow(const model::EstablishedHash& h) const {
    return !h.walks_host_hash() || spent_s_ < budget_s_;
  }
  // Why one was not: "shares the host's established hash; the walk budget of 1.0s of CPU is
  // spent (12 walks took 1.02s)".
  std::string why_not(const model::EstablishedHash& h) const;
  // A walk done, with its CPU time (only walks of the host's hash count against the budget).
  void spend(const model::EstablishedHash& h, double cpu_s);

  double budget_s() const { return budget_s_; }
  double spent_s() const { return spent_s_; }
  uint64_t walks() const { return walks_; }
  // CPU time of the cheapest walk of the host's hash so far, 0 before one: near what a walk costs
  // a namespace holding few sockets (skipping the others), which the biggest-first order reaches
  // last.
  double cheapest_walk_s() const { return cheapest_walk_s_; }

 private:
  double budget_s_;
  double spent_s_ = 0;
  uint64_t walks_ = 0;
  double cheapest_walk_s_ = 0;
};

// The order in which the namespaces ask for a walk: those with a hash of their own first (their
// walk is cheap and always taken), then the others by the sockets they hold (`sockets`, from
// sockstat), most first; ties keep the given order.
std::vector<size_t> walk_order(std::span<const model::EstablishedHash> hashes,
                               std::span<const uint64_t> sockets);

}  // namespace tcpscope::source

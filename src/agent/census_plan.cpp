// SPDX-License-Identifier: MIT
#include "agent/census_plan.hpp"

#include <algorithm>

namespace tcpscope::agent {

CensusPlanner::CensusPlanner(double cpu_share, int64_t max_age_ns, int64_t interval_ns,
                             int64_t now_ns)
    : share_(cpu_share), max_age_ns_(max_age_ns), interval_ns_(interval_ns), refilled_ns_(now_ns) {
  credit_s_ = cap_s();  // the first tick may walk
}

void CensusPlanner::configure(double cpu_share, int64_t max_age_ns, int64_t interval_ns) {
  share_ = cpu_share;
  max_age_ns_ = max_age_ns;
  interval_ns_ = interval_ns;
  credit_s_ = std::min(credit_s_, cap_s());
}

double CensusPlanner::cap_s() const { return share_ * static_cast<double>(interval_ns_) / 1e9; }

void CensusPlanner::refill(int64_t now_ns) {
  if (now_ns > refilled_ns_) {
    credit_s_ += share_ * static_cast<double>(now_ns - refilled_ns_) / 1e9;
    refilled_ns_ = now_ns;
  }
  credit_s_ = std::min(credit_s_, cap_s());
}

void CensusPlanner::spent(double cpu_seconds) {
  credit_s_ -= cpu_seconds;
  spent_total_s_ += cpu_seconds;
  mean_cost_s_ = mean_cost_s_ < 0 ? cpu_seconds : 0.75 * mean_cost_s_ + 0.25 * cpu_seconds;
  // Walks the bound forced may have run far past the budget; the debt kept is at most one
  // interval's worth and one walk, so the budget's walks resume once the bound stops forcing.
  credit_s_ = std::max(credit_s_, -(cap_s() + mean_cost_s_));
}

void CensusPlanner::plan(int64_t now_ns, std::span<const CensusCandidate> c,
                         std::vector<size_t>& out) {
  refill(now_ns);
  out.clear();
  order_.clear();
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].walks_host_hash) {
      order_.push_back(i);
    } else {
      out.push_back(i);  // its own hash: every full tick
    }
  }
  // Never walked first, in the order they were followed; then the oldest census.
  std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
    const bool na = c[a].last_ns < 0;
    const bool nb = c[b].last_ns < 0;
    if (na != nb) return na;
    return na ? c[a].since_ns < c[b].since_ns : c[a].last_ns < c[b].last_ns;
  });
  auto expected = [&](size_t i) { return c[i].cost_s >= 0 ? c[i].cost_s : mean_cost_s_; };
  double credit = credit_s_;
  std::vector<bool> taken(c.size(), false);
  forced_ = 0;
  // The bound: a census that would be older than max_age at the next full tick is taken now.
  for (size_t i : order_) {
    const int64_t basis = c[i].last_ns >= 0 ? c[i].last_ns : c[i].since_ns;
    if (now_ns + interval_ns_ - basis > max_age_ns_) {
      out.push_back(i);
      taken[i] = true;
      ++forced_;
      credit -= std::max(0.0, expected(i));
    }
  }
  // The budget, oldest first, while the credit lasts.
  for (size_t i : order_) {
    if (taken[i]) continue;
    if (credit <= 0) break;
    out.push_back(i);
    const double cost = expected(i);
    if (cost < 0) break;  // nothing measured yet: one walk, to learn what one costs
    credit -= cost;
  }
}

}  // namespace tcpscope::agent

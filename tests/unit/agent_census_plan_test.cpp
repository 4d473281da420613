// SPDX-License-Identifier: MIT
// The census planner on a simulated clock: the walks of the host's hash cost the budget's share
// of one core whatever the number of namespaces, every census stays within the bound, own-hash
// namespaces are walked every full tick, and a first tick walks only to learn the cost.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "agent/census_plan.hpp"

namespace tcpscope::agent {
namespace {

constexpr int64_t kSec = 1'000'000'000;

struct Sim {
  double share;
  int64_t max_age;
  int64_t interval;
  std::vector<CensusCandidate> ns;
  std::vector<double> walk_cost;  // CPU seconds of one walk of each
  CensusPlanner planner;
  double spent = 0;
  int64_t max_age_seen = 0;
  size_t max_walks_per_tick = 0;
  std::vector<size_t> chosen;

  Sim(double s, int64_t age, int64_t iv, size_t shared, size_t own, double cost)
      : share(s), max_age(age), interval(iv), planner(s, age, iv, 0) {
    for (size_t i = 0; i < shared + own; ++i) {
      CensusCandidate c;
      c.walks_host_hash = i < shared;
      ns.push_back(c);
      walk_cost.push_back(i < shared ? cost : 0.0005);
    }
  }

  // Full ticks from `from` for `seconds`.
  void run(int64_t from, int64_t seconds) {
    for (int64_t t = from; t < from + seconds * kSec; t += interval) {
      planner.plan(t, ns, chosen);
      size_t walks = 0;
      for (size_t i : chosen) {
        if (ns[i].walks_host_hash) {
          planner.spent(walk_cost[i]);
          spent += walk_cost[i];
          ++walks;
        }
        ns[i].last_ns = t;
        ns[i].cost_s = walk_cost[i];
      }
      max_walks_per_tick = std::max(max_walks_per_tick, walks);
      for (const auto& c : ns) {
        max_age_seen = std::max(max_age_seen, t - (c.last_ns >= 0 ? c.last_ns : c.since_ns));
      }
    }
  }
};

TEST(CensusPlanner, FirstTickWalksOneToLearnTheCost) {
  Sim s(0.02, 3600 * kSec, 10 * kSec, 500, 2, 0.07);
  s.planner.plan(0, s.ns, s.chosen);
  // Both own-hash namespaces, and one of the host's hash (the first followed).
  ASSERT_EQ(s.chosen.size(), 3u);
  EXPECT_EQ(s.chosen[0], 500u);
  EXPECT_EQ(s.chosen[1], 501u);
  EXPECT_EQ(s.chosen[2], 0u);
}

TEST(CensusPlanner, WalksCostTheBudgetWhateverTheNamespaceCount) {
  for (size_t n : {100u, 500u}) {
    Sim s(0.02, 3600 * kSec, 10 * kSec, n, 0, 0.07);
    const int64_t seconds = 4 * 3600;
    s.run(0, seconds);
    const double share = s.spent / static_cast<double>(seconds);
    EXPECT_NEAR(share, 0.02, 0.002) << n << " namespaces";
    // A round: n walks at the budget's pace, plus a tick.
    const double round_s = static_cast<double>(n) * 0.07 / 0.02 + 10;
    EXPECT_LE(static_cast<double>(s.max_age_seen) / kSec, round_s + 10) << n;
    EXPECT_LE(s.max_age_seen, s.max_age) << n;
    // One interval's worth of budget per tick (0.2 s): three walks, the third crossing zero.
    EXPECT_LE(s.max_walks_per_tick, 4u) << n;
  }
}

TEST(CensusPlanner, OwnHashNamespacesAreWalkedEveryFullTick) {
  Sim s(0.02, 3600 * kSec, 10 * kSec, 50, 3, 0.07);
  s.run(0, 600);
  for (size_t i = 50; i < 53; ++i) EXPECT_EQ(s.ns[i].last_ns, 590 * kSec);
}

TEST(CensusPlanner, TheBoundWinsOverTheBudget) {
  // 500 walks of 0.2 s at 2 % take 5000 s, more than the bound of 3600 s: the bound forces walks,
  // and then costs one walk per namespace per bound.
  Sim s(0.02, 3600 * kSec, 10 * kSec, 500, 0, 0.2);
  const int64_t seconds = 5 * 3600;
  s.run(0, seconds);
  EXPECT_LE(s.max_age_seen, s.max_age);
  const double share = s.spent / static_cast<double>(seconds);
  EXPECT_LE(share, 500 * 0.2 / 3600.0 * 1.15);
  EXPECT_GE(share, 0.02);
}

TEST(CensusPlanner, APauseBuysNoBurst) {
  Sim s(0.02, 3600 * kSec, 10 * kSec, 100, 0, 0.07);
  s.run(0, 100);
  s.max_walks_per_tick = 0;
  s.run(1000 * kSec, 10);  // the agent was stopped (SIGSTOP) for 15 minutes
  EXPECT_LE(s.max_walks_per_tick, 4u);
}

TEST(CensusPlanner, AReloadKeepsTheCreditWithinTheNewCap) {
  CensusPlanner p(0.5, 3600 * kSec, 10 * kSec, 0);
  EXPECT_DOUBLE_EQ(p.credit_s(), 5.0);
  p.configure(0.01, 3600 * kSec, 10 * kSec);
  EXPECT_DOUBLE_EQ(p.credit_s(), 0.1);
  p.spent(0.3);
  EXPECT_LT(p.credit_s(), 0);
  EXPECT_DOUBLE_EQ(p.spent_total_s(), 0.3);
}

}  // namespace
}  // namespace tcpscope::agent

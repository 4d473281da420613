// SPDX-License-Identifier: MIT
// One-shot walks over every namespace: own-hash namespaces always, the host's hash within the
// budget, the biggest first; the host's hash as the doctor's note sees it.
#include "source/walk_budget.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "source/netns_finder.hpp"

namespace tcpscope::source {
namespace {

using model::EstablishedHash;
using model::HashKind;

const EstablishedHash kHost{HashKind::kHost, 262144};
const EstablishedHash kShared{HashKind::kShared, -262144};
const EstablishedHash kOwn{HashKind::kOwn, 1024};

TEST(WalkOrder, OwnHashFirstThenTheBiggest) {
  const std::vector<EstablishedHash> hashes = {kHost, kShared, kOwn, kShared, kOwn};
  const std::vector<uint64_t> sockets = {30, 200000, 5, 200000, 900};
  EXPECT_EQ(walk_order(hashes, sockets), (std::vector<size_t>{4, 2, 1, 3, 0}));
}

TEST(WalkBudget, TheHostsHashWithinTheBudgetOwnHashesAlways) {
  WalkBudget b(0.2);
  EXPECT_TRUE(b.allow(kShared));
  b.spend(kShared, 0.09);
  b.spend(kOwn, 0.01);  // not counted, nor the cheapest
  EXPECT_DOUBLE_EQ(b.spent_s(), 0.09);
  b.spend(kHost, 0.05);
  EXPECT_TRUE(b.allow(kShared));
  b.spend(kShared, 0.08);  // crosses the budget: it had started below
  EXPECT_FALSE(b.allow(kShared));
  EXPECT_FALSE(b.allow(kHost));
  EXPECT_TRUE(b.allow(kOwn));
  EXPECT_EQ(b.walks(), 3u);
  EXPECT_DOUBLE_EQ(b.cheapest_walk_s(), 0.05);
  EXPECT_EQ(b.why_not(kShared),
            "shares the host's established hash (a walk visits every socket of the host) and the "
            "walk budget of 0.2s of CPU is spent (3 walks took 0.22s)");
  EXPECT_EQ(b.why_not(kHost).substr(0, 33), "holds the host's established hash");
  WalkBudget none(0);
  EXPECT_EQ(none.why_not(kShared),
            "shares the host's established hash (a walk visits every socket of the host) and the "
            "walk budget is 0");
  EXPECT_FALSE(none.allow(kShared));
  EXPECT_TRUE(none.allow(kOwn));
}

TEST(SharedHash, CountsTheNamespacesWalkingTheHostsHashAndItsSockets) {
  std::vector<NamespaceInfo> all(4);
  all[0].own = true;
  all[0].hash = kHost;
  all[0].time_wait = 100;
  all[1].hash = kShared;
  all[1].time_wait = 20;
  all[2].hash = kOwn;
  all[2].time_wait = 7;  // in its own hash
  all[3].time_wait = 1;  // not probed: not counted
  const model::SharedHash h = shared_hash_of(all, 5000);
  EXPECT_EQ(h.namespaces, 2u);
  EXPECT_EQ(h.own_hash, 1u);
  EXPECT_EQ(h.buckets, 262144);
  EXPECT_EQ(h.sockets, 5120u);
}

}  // namespace
}  // namespace tcpscope::source

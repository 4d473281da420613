// SPDX-License-Identifier: MIT
// Counter snapshots, deltas (with nstat's reset rule), rates, patterns, and the sampler over the
// captured /proc fixtures.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/counters.hpp"
#include "procfs/counter_sampler.hpp"

namespace tcpscope::model {
namespace {

const std::string kRoot = std::string(TCPSCOPE_FIXTURES) + "/proc/netns1";

CounterSnapshot snap(int64_t taken_ns, std::vector<std::pair<std::string, uint64_t>> counters) {
  CounterSnapshot s;
  s.begin(taken_ns);
  for (auto& [n, v] : counters) s.add(n, v);
  return s;
}

TEST(CounterSnapshot, KeepsFileOrderAndFindsByName) {
  auto s = snap(1, {{"TcpActiveOpens", 3}, {"TcpPassiveOpens", 4}, {"TcpExtTW", 5}});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.name(0), "TcpActiveOpens");
  EXPECT_EQ(s.name(2), "TcpExtTW");
  EXPECT_EQ(s.value(1), 4u);
  EXPECT_EQ(s.find("TcpExtTW"), 2u);
  EXPECT_EQ(s.find("TcpExtTW", 2), 2u);
  EXPECT_EQ(s.find("TcpActiveOpens", 2), 0u);   // wraps around
  EXPECT_EQ(s.find("tcpexttw"), std::nullopt);  // exact names
  EXPECT_EQ(s.value_of("TcpPassiveOpens"), 4u);
  EXPECT_EQ(s.value_of("Nope"), std::nullopt);
}

TEST(CounterSnapshot, RefillWithSameNamesOnlyOverwritesValues) {
  CounterSnapshot s;
  s.begin(1);
  for (int i = 0; i < 300; ++i) s.add("TcpExtCounter" + std::to_string(i), 1);
  const std::string_view first = s.name(0);
  const char* pool = first.data();
  for (int round = 0; round < 3; ++round) {
    s.begin(2 + round);
    for (int i = 0; i < 300; ++i) s.add("TcpExtCounter" + std::to_string(i), uint64_t(round));
    ASSERT_EQ(s.size(), 300u);
    // Same storage: nothing was rebuilt.
    EXPECT_EQ(s.name(0).data(), pool);
    EXPECT_EQ(s.value(299), uint64_t(round));
  }
}

TEST(CounterSnapshot, NewCounterInTheMiddleRebuildsTheTail) {
  CounterSnapshot s = snap(1, {{"A", 1}, {"B", 2}, {"C", 3}});
  s.begin(2);
  s.add("A", 10);
  s.add("New", 11);  // a newer kernel, or an IcmpMsg type seen for the first time
  s.add("B", 12);
  s.add("C", 13);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s.name(1), "New");
  EXPECT_EQ(s.name(3), "C");
  EXPECT_EQ(s.value(3), 13u);
  // A shorter refill: size follows the refill, not the capacity.
  s.begin(3);
  s.add("A", 1);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.find("C"), std::nullopt);
}

TEST(CounterDeltas, DeltaPerCounterAndRatePerSecond) {
  auto prev = snap(1'000'000'000, {{"TcpInSegs", 100}, {"TcpOutSegs", 50}});
  auto cur = snap(3'000'000'000, {{"TcpInSegs", 160}, {"TcpOutSegs", 50}});
  CounterDeltas d;
  d.compute(prev, cur);
  ASSERT_EQ(d.changes().size(), 2u);
  EXPECT_DOUBLE_EQ(d.elapsed_seconds(), 2.0);
  EXPECT_EQ(d.changes()[0].delta, 60u);
  EXPECT_DOUBLE_EQ(d.rate(d.changes()[0]), 30.0);
  EXPECT_EQ(d.changes()[1].delta, 0u);
  EXPECT_EQ(d.resets(), 0u);
}

TEST(CounterDeltas, CounterLowerThanBeforeIsAResetNotAHugeDelta) {
  auto prev = snap(1, {{"TcpExtTW", 1000}, {"TcpInSegs", 5}});
  auto cur = snap(2, {{"TcpExtTW", 3}, {"TcpInSegs", 7}});
  CounterDeltas d;
  d.compute(prev, cur);
  EXPECT_TRUE(d.changes()[0].reset);
  EXPECT_EQ(d.changes()[0].delta, 0u);
  EXPECT_FALSE(d.changes()[1].reset);
  EXPECT_EQ(d.changes()[1].delta, 2u);
  EXPECT_EQ(d.resets(), 1u);
}

TEST(CounterDeltas, WrapAt64BitsIsAReset) {
  auto prev = snap(1, {{"X", UINT64_MAX}});
  auto cur = snap(2, {{"X", 0}});
  CounterDeltas d;
  d.compute(prev, cur);
  EXPECT_TRUE(d.changes()[0].reset);
  EXPECT_EQ(d.changes()[0].delta, 0u);
}

TEST(CounterDeltas, NewCounterCountsFromZeroAndMovedCounterIsFound) {
  auto prev = snap(1, {{"A", 1}, {"B", 2}});
  auto cur = snap(2, {{"B", 5}, {"New", 9}, {"A", 4}});
  CounterDeltas d;
  d.compute(prev, cur);
  ASSERT_EQ(d.changes().size(), 3u);
  EXPECT_EQ(d.changes()[0].delta, 3u);  // B
  EXPECT_TRUE(d.changes()[1].is_new);
  EXPECT_EQ(d.changes()[1].delta, 9u);
  EXPECT_EQ(d.changes()[2].delta, 3u);  // A, found before the hint
}

TEST(CounterDeltas, NoRateWithoutTimestamps) {
  auto prev = snap(0, {{"A", 1}});  // a history file has no monotonic time
  auto cur = snap(5, {{"A", 4}});
  CounterDeltas d;
  d.compute(prev, cur);
  EXPECT_EQ(d.elapsed_seconds(), 0.0);
  EXPECT_EQ(d.rate(d.changes()[0]), 0.0);
  EXPECT_EQ(d.changes()[0].delta, 3u);
}

TEST(CounterPatterns, ShellGlobsCaseInsensitiveAnyPatternMatches) {
  CounterPatterns none;
  EXPECT_TRUE(none.matches("Anything"));
  CounterPatterns p({"tcpext*overflow*", "IPEXTINOCTETS", "Tcp?ctiveOpens", "Udp[IO]*"});
  EXPECT_TRUE(p.matches("TcpExtListenOverflows"));
  EXPECT_TRUE(p.matches("TcpExtTCPTimeWaitOverflow"));
  EXPECT_TRUE(p.matches("IpExtInOctets"));
  EXPECT_TRUE(p.matches("TcpActiveOpens"));
  EXPECT_TRUE(p.matches("UdpInDatagrams"));
  EXPECT_FALSE(p.matches("UdpNoPorts"));
  EXPECT_FALSE(p.matches("TcpExtListenDrops"));
  EXPECT_FALSE(p.matches("IpExtInOctetsX"));  // the whole name, as fnmatch
}

TEST(CounterPatterns, NamesExactlyOnlyWithoutGlobs) {
  CounterPatterns p({"tcpcurrestab", "TcpMax*"});
  EXPECT_TRUE(p.names_exactly("TcpCurrEstab"));
  EXPECT_FALSE(p.names_exactly("TcpMaxConn"));
}

TEST(CounterNames, NstatHidesItsSevenValues) {
  for (const char* n : {"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax",
                        "TcpMaxConn", "TcpCurrEstab"}) {
    EXPECT_TRUE(nstat_hides(n)) << n;
  }
  EXPECT_FALSE(nstat_hides("TcpActiveOpens"));
  EXPECT_FALSE(nstat_hides("Ip6Forwarding"));  // not in nstat's list (snmp6 has no such value)
  EXPECT_TRUE(counter_is_gauge("TcpCurrEstab"));
  EXPECT_FALSE(counter_is_gauge("TcpExtTW"));
}

TEST(CounterSampler, ReadsFixtureAndDiffsTwoReads) {
  procfs::CounterSampler s(kRoot);
  ASSERT_TRUE(s.sample_at(1'000'000'000).has_value());
  EXPECT_FALSE(s.has_deltas());
  EXPECT_EQ(s.current().value_of("TcpActiveOpens"), 9u);
  EXPECT_EQ(s.current().value_of("TcpCurrEstab"), 15u);  // kept; nstat's filter is elsewhere
  EXPECT_EQ(s.current().value_of("Ip6InReceives"), 3u);
  EXPECT_EQ(s.current().value_of("TcpExtTCPDelivered"), 14u);
  EXPECT_EQ(s.current().value_of("TcpMaxConn"), UINT64_MAX);
  ASSERT_TRUE(s.sample_at(1'500'000'000).has_value());
  ASSERT_TRUE(s.has_deltas());
  EXPECT_DOUBLE_EQ(s.deltas().elapsed_seconds(), 0.5);
  EXPECT_EQ(s.deltas().changes().size(), s.current().size());
  for (const CounterChange& c : s.deltas().changes()) {
    EXPECT_EQ(c.delta, 0u) << s.current().name(c.index);
    EXPECT_FALSE(c.reset);
    EXPECT_FALSE(c.is_new);
  }
  EXPECT_EQ(s.previous().size(), s.current().size());
}

TEST(CounterSampler, AProcRootWithoutCountersIsAnError) {
  procfs::CounterSampler bad("/nonexistent-tcpscope-root");
  // Each file is read only if it exists (snmp6 is absent without IPv6), but none at all is a
  // wrong proc root, not a host without counters.
  auto st = bad.sample_at(1);
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().what().find("no counters under /nonexistent-tcpscope-root/net"),
            std::string::npos)
      << st.error().what();
}

TEST(CounterSampler, SteadyRefillAllocatesNoNewNameStorage) {
  procfs::CounterSampler s(kRoot);
  ASSERT_TRUE(s.sample_at(1).has_value());
  ASSERT_TRUE(s.sample_at(2).has_value());
  const char* a = s.current().name(0).data();
  const char* b = s.previous().name(0).data();
  for (int i = 3; i < 10; ++i) ASSERT_TRUE(s.sample_at(i).has_value());
  // The two snapshots alternate; their pools never moved.
  EXPECT_TRUE(s.current().name(0).data() == a || s.current().name(0).data() == b);
  EXPECT_TRUE(s.previous().name(0).data() == a || s.previous().name(0).data() == b);
}

}  // namespace
}  // namespace tcpscope::model

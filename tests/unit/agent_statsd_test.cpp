// SPDX-License-Identifier: MIT
// The statsd sink: datagram packing and counter deltas, through an injected writer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/sinks.hpp"

namespace tcpscope {
namespace {

using model::MetricSet;
using model::MetricType;

struct Capture {
  std::vector<std::string> datagrams;
  bool accept = true;
  agent::StatsdSink::Writer writer() {
    return [this](std::string_view d) {
      datagrams.emplace_back(d);
      return accept;
    };
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const auto& d : datagrams) {
      size_t start = 0;
      while (start <= d.size()) {
        const size_t nl = d.find('\n', start);
        out.push_back(d.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
    }
    return out;
  }
};

TEST(StatsdSink, PacksWholeLinesUpToTheMtu) {
  Capture cap;
  agent::StatsdSink sink(cap.writer(), 100, {"t", false});
  MetricSet set;
  const uint32_t g = set.family("tcpscope_g", "", MetricType::kGauge);
  std::vector<std::string> want;
  for (int i = 0; i < 40; ++i) {
    const std::string ns = "ns" + std::to_string(i);
    set.add(g, {{"netns", ns}}, i);
    want.push_back("t." + ns + ".g:" + std::to_string(i) + "|g");
  }
  sink.emit(set);
  ASSERT_GT(cap.datagrams.size(), 1u);
  for (const auto& d : cap.datagrams) {
    EXPECT_LE(d.size(), 100u);
    EXPECT_NE(d.back(), '\n');
  }
  EXPECT_EQ(cap.lines(), want);
  EXPECT_EQ(sink.packets_sent(), cap.datagrams.size());
  EXPECT_EQ(sink.packets_dropped(), 0u);
}

TEST(StatsdSink, ALineLongerThanTheMtuIsDroppedNotSplit) {
  Capture cap;
  agent::StatsdSink sink(cap.writer(), 64, {"t", false});
  MetricSet set;
  const uint32_t g = set.family("tcpscope_g", "", MetricType::kGauge);
  set.add(g, {{"netns", std::string(80, 'n')}}, 1);
  set.add(g, {{"netns", "short"}}, 2);
  sink.emit(set);
  ASSERT_EQ(cap.datagrams.size(), 1u);
  EXPECT_EQ(cap.datagrams[0], "t.short.g:2|g");
  EXPECT_EQ(sink.lines_too_long(), 1u);
}

TEST(StatsdSink, CountersSendChangesAfterABaseline) {
  Capture cap;
  agent::StatsdSink sink(cap.writer(), 1432, {"t", false});
  const auto tick = [&](double v, uint64_t scope) {
    MetricSet set;
    const uint32_t c = set.family("tcpscope_drops_total", "", MetricType::kCounter);
    set.add(c, {{"netns", "a"}}, v, scope);
    cap.datagrams.clear();
    sink.emit(set);
    return cap.lines();
  };
  EXPECT_TRUE(tick(100, 1).empty());  // baseline only
  EXPECT_EQ(tick(107, 1), std::vector<std::string>{"t.a.drops:7|c"});
  EXPECT_EQ(tick(107, 1), std::vector<std::string>{"t.a.drops:0|c"});
  // Went backwards: a reset; everything since is new.
  EXPECT_EQ(tick(3, 1), std::vector<std::string>{"t.a.drops:3|c"});
  // The same name now belongs to a new namespace: a new baseline, even though it is higher.
  EXPECT_TRUE(tick(5000, 2).empty());
  EXPECT_EQ(tick(5001, 2), std::vector<std::string>{"t.a.drops:1|c"});
}

TEST(StatsdSink, HistogramsSendSumAndCountAsCountersAndTimersComeFirst) {
  Capture cap;
  agent::StatsdSink sink(cap.writer(), 1432, {"t", false});
  const model::MetricLabel labels[] = {{"netns", "a"}, {"direction", "inbound"}};
  const model::MetricLabel le1[] = {{"netns", "a"}, {"direction", "inbound"}, {"le", "1"}};
  const model::MetricLabel le_inf[] = {{"netns", "a"}, {"direction", "inbound"}, {"le", "+Inf"}};
  const auto tick = [&](double n, double sum, std::span<const agent::StatsdTimer> timers) {
    MetricSet set;
    const uint32_t h = set.family("tcpscope_rtt_seconds", "", MetricType::kHistogram);
    const uint32_t g = set.family("tcpscope_agent_g", "", MetricType::kGauge);
    set.add_part(h, model::SamplePart::kBucket, le1, n);
    set.add_part(h, model::SamplePart::kBucket, le_inf, n);
    set.add_part(h, model::SamplePart::kSum, labels, sum);
    set.add_part(h, model::SamplePart::kCount, labels, n);
    set.add(g, {}, 1);
    cap.datagrams.clear();
    sink.emit(set, true, timers);
    return cap.lines();
  };
  EXPECT_EQ(tick(2, 0.5, {}), std::vector<std::string>{"t.agent_g:1|g"});  // baselines
  const double values[] = {12.5, 0.25};
  const agent::StatsdTimer timer{"rtt", labels, values, 0.5};
  EXPECT_EQ(
      tick(5, 1.25, std::span(&timer, 1)),
      (std::vector<std::string>{"t.a.rtt.inbound:12.5|ms|@0.5", "t.a.rtt.inbound:0.25|ms|@0.5",
                                "t.a.rtt_seconds_sum.inbound:0.75|c",
                                "t.a.rtt_seconds_count.inbound:3|c", "t.agent_g:1|g"}));
  // With DogStatsD tags, the part is in the name.
  Capture tagged;
  agent::StatsdSink ts(tagged.writer(), 1432, {"t", true});
  MetricSet set;
  const uint32_t h = set.family("tcpscope_rtt_seconds", "", MetricType::kHistogram);
  set.add_part(h, model::SamplePart::kCount, labels, 1);
  ts.emit(set, true, std::span(&timer, 1));
  EXPECT_EQ(tagged.lines(),
            (std::vector<std::string>{"t.rtt:12.5|ms|@0.5|#netns:a,direction:inbound",
                                      "t.rtt:0.25|ms|@0.5|#netns:a,direction:inbound"}));
  tagged.datagrams.clear();
  set.clear();
  set.add_part(h, model::SamplePart::kCount, labels, 4);
  ts.emit(set);
  EXPECT_EQ(tagged.lines(),
            std::vector<std::string>{"t.rtt_seconds_count:3|c|#netns:a,direction:inbound"});
}

TEST(StatsdSink, ASeriesCountingFromZeroSendsItsFirstValueAfterTheFirstTick) {
  Capture cap;
  agent::StatsdSink sink(cap.writer(), 1432, {"t", false});
  const auto tick = [&](std::initializer_list<std::pair<const char*, double>> ports) {
    MetricSet set;
    const uint32_t c = set.family("tcpscope_closed_total", "", MetricType::kCounter);
    set.set_from_zero(c);
    for (const auto& [port, v] : ports) set.add(c, {{"netns", "a"}, {"port", port}}, v);
    cap.datagrams.clear();
    sink.emit(set);
    return cap.lines();
  };
  // The sink's first tick: a baseline (the values may have gone to a sink before this one).
  EXPECT_TRUE(tick({{"80", 4}}).empty());
  EXPECT_EQ(tick({{"80", 6}}), std::vector<std::string>{"t.a.closed.80:2|c"});
  // A port's first close: its series appears with everything it counted.
  EXPECT_EQ(tick({{"80", 6}, {"443", 3}}),
            (std::vector<std::string>{"t.a.closed.80:0|c", "t.a.closed.443:3|c"}));
  EXPECT_EQ(tick({{"80", 6}, {"443", 5}}),
            (std::vector<std::string>{"t.a.closed.80:0|c", "t.a.closed.443:2|c"}));
}

TEST(StatsdSink, NamesGoneForOneTickStartOverWhenTheyReturn) {
  Capture cap;
  agent::StatsdSink sink(cap.writer(), 1432, {"t", false});
  MetricSet with;
  const uint32_t c = with.family("tcpscope_x_total", "", MetricType::kCounter);
  with.add(c, {{"netns", "a"}}, 10);
  MetricSet without;
  sink.emit(with);
  sink.emit(without);
  cap.datagrams.clear();
  sink.emit(with);  // a baseline again: the namespace may have been replaced meanwhile
  EXPECT_TRUE(cap.datagrams.empty());
}

TEST(StatsdSink, BaselinesCanBeTakenWithoutSending) {
  Capture cap;
  agent::StatsdSink sink(cap.writer(), 1432, {"t", true});
  MetricSet set;
  const uint32_t c = set.family("tcpscope_x_total", "", MetricType::kCounter);
  const uint32_t g = set.family("tcpscope_g", "", MetricType::kGauge);
  set.add(c, {{"netns", "a"}}, 10);
  set.add(g, {{"netns", "a"}}, 1);
  sink.emit(set, false);
  EXPECT_TRUE(cap.datagrams.empty());
  MetricSet next;
  next.family("tcpscope_x_total", "", MetricType::kCounter);
  next.family("tcpscope_g", "", MetricType::kGauge);
  next.add(0, {{"netns", "a"}}, 15);
  next.add(1, {{"netns", "a"}}, 2);
  sink.emit(next);
  EXPECT_EQ(cap.lines(), (std::vector<std::string>{"t.x:5|c|#netns:a", "t.g:2|g|#netns:a"}));
}

TEST(StatsdSink, DroppedDatagramsAreCounted) {
  Capture cap;
  cap.accept = false;
  agent::StatsdSink sink(cap.writer(), 1432, {"t", false});
  MetricSet set;
  const uint32_t g = set.family("tcpscope_g", "", MetricType::kGauge);
  set.add(g, {}, 1);
  sink.emit(set);
  sink.emit(set);
  EXPECT_EQ(sink.packets_dropped(), 2u);
  EXPECT_EQ(sink.packets_sent(), 0u);
}

TEST(StatsdSink, AnUnreachableServerIsCountedNotFatal) {
  // A port nobody listens on: the first send goes out, the ICMP error makes later ones fail.
  agent::StatsdSink sink(agent::Endpoint{"127.0.0.1", 9}, 1432, {"t", false});
  MetricSet set;
  const uint32_t g = set.family("tcpscope_g", "", MetricType::kGauge);
  set.add(g, {}, 1);
  for (int i = 0; i < 5; ++i) sink.emit(set);
  EXPECT_EQ(sink.packets_sent() + sink.packets_dropped(), 5u);
  EXPECT_GE(sink.packets_dropped(), 1u);
}

}  // namespace
}  // namespace tcpscope

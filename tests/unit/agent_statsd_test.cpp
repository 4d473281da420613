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

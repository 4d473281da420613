// SPDX-License-Identifier: MIT
// The agent's accounting of closed connections (agent/closes.hpp): directions, ports folded
// into "other", histogram buckets and their rendering, the statsd timers' reservoir and rate.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmath>
#include <map>
#include <string>

#include "agent/closes.hpp"
#include "model/tcp_state.hpp"
#include "render/metrics.hpp"

namespace tcpscope::agent {
namespace {

using model::Direction;
using model::MetricSet;
using model::SocketRecord;

constexpr std::array<uint8_t, 16> kLo4{127, 0, 0, 1};
constexpr std::array<uint8_t, 16> kPeer4{10, 0, 0, 9};

model::ListenerInfo listener(uint16_t port, uint64_t cookie) {
  model::ListenerInfo l;
  l.family = AF_INET;
  l.port = port;
  l.addr = kLo4;
  l.cookie = cookie;
  return l;
}

// A closed TCP connection from 127.0.0.1:sport to 10.0.0.9:dport with its final tcp_info.
SocketRecord closed(uint16_t sport, uint16_t dport, uint64_t sent, uint64_t received,
                    uint32_t rtt_us, uint32_t retrans = 0, uint64_t cookie = 1000) {
  SocketRecord r;
  r.family = AF_INET;
  r.protocol = IPPROTO_TCP;
  r.state = static_cast<uint8_t>(model::TcpState::kClose);
  r.src = kLo4;
  r.dst = kPeer4;
  r.sport = sport;
  r.dport = dport;
  r.cookie = cookie;
  r.set(model::kAttrInfo);
  r.tcp_info_len = static_cast<uint16_t>(sizeof(model::TcpInfo));
  r.tcp_info.bytes_sent = sent + 10 * retrans;
  r.tcp_info.bytes_retrans = 10 * retrans;
  r.tcp_info.bytes_received = received;
  r.tcp_info.total_retrans = retrans;
  r.tcp_info.rtt = rtt_us;
  return r;
}

void deliver(CloseAccounting& a, const SocketRecord& r, int64_t time_ns = 1) {
  a.on_event(source::DestroyEvent{&r, source::kNoNsid, time_ns});
}

// The labels of namespace "host" (no container or pod).
const model::NetnsNames kHostNames{.netns = "host"};
const NsLabels kHost = ns_labels(kHostNames);

// The samples of a set as "name{label=value,...}" -> value, for lookups (empty labels left out:
// the container, pod and k8s_namespace of a namespace that has none).
std::map<std::string, double> samples(const MetricSet& set) {
  std::map<std::string, double> out;
  for (const auto& s : set.samples()) {
    std::string key = set.families()[s.family].name;
    key += model::sample_suffix(s.part);
    key += '{';
    bool first = true;
    for (uint32_t i = 0; i < s.label_count; ++i) {
      if (set.label_value(s, i).empty()) continue;
      if (!first) key += ',';
      first = false;
      key += std::string(set.label_name(s, i)) + "=" + std::string(set.label_value(s, i));
    }
    key += '}';
    EXPECT_FALSE(out.contains(key)) << "series twice: " << key;
    out[key] = s.value;
  }
  return out;
}

struct Emitted {
  MetricSet set;
  MetricIds ids{set};
  std::map<std::string, double> by_key;
  explicit Emitted(const CloseAccounting& a) {
    a.emit(ids, kHost, 7, set);
    by_key = samples(set);
  }
  double at(const std::string& key) const {
    auto it = by_key.find(key);
    EXPECT_NE(it, by_key.end()) << key;
    return it == by_key.end() ? -1 : it->second;
  }
  bool has(const std::string& key) const { return by_key.contains(key); }
};

TEST(AgentCloses, DirectionPortsAndTheListenersOwnClose) {
  CloseAccounting a;
  const model::ListenerInfo ls[] = {listener(8080, 55)};
  a.set_listeners(ls);
  deliver(a, closed(8080, 40001, 500, 120, 40));           // inbound on 8080
  deliver(a, closed(8080, 40002, 700, 80, 60, 3));         // inbound on 8080, 3 retransmissions
  deliver(a, closed(40003, 443, 90, 4000, 2000));          // outbound to 443
  deliver(a, closed(8080, 0, 0, 0, 0, 0, /*cookie=*/55));  // the listener itself: no connection
  const Emitted e(a);
  EXPECT_EQ(e.at("tcpscope_closed_connections_total{netns=host,direction=inbound,port=8080}"), 2);
  EXPECT_EQ(e.at("tcpscope_closed_connections_total{netns=host,direction=outbound,port=443}"), 1);
  EXPECT_EQ(e.at("tcpscope_closed_connections_with_retransmissions_total{netns=host,direction="
                 "inbound,port=8080}"),
            1);
  EXPECT_EQ(e.at("tcpscope_closed_connection_retransmitted_segments_total{netns=host,direction="
                 "inbound,port=8080}"),
            3);
  EXPECT_EQ(e.at("tcpscope_closed_connections_with_retransmissions_total{netns=host,direction="
                 "outbound,port=443}"),
            0);
  // Bytes: data sent once (bytes_sent - bytes_retrans), and received.
  EXPECT_EQ(e.at("tcpscope_closed_connection_bytes_sum{netns=host,direction=inbound,way=sent}"),
            1200);
  EXPECT_EQ(e.at("tcpscope_closed_connection_bytes_sum{netns=host,direction=inbound,way=received}"),
            200);
  EXPECT_EQ(e.at("tcpscope_closed_connection_bytes_count{netns=host,direction=outbound,way=sent}"),
            1);
  EXPECT_DOUBLE_EQ(e.at("tcpscope_closed_connection_rtt_seconds_sum{netns=host,direction=inbound}"),
                   100e-6);
  EXPECT_EQ(e.at("tcpscope_closed_connection_rtt_seconds_count{netns=host,direction=inbound}"), 2);
  EXPECT_EQ(e.at("tcpscope_close_event_overflows_total{netns=host}"), 0);
  // Nothing was counted for the listener's own close (port 0 has no series).
  EXPECT_FALSE(e.has("tcpscope_closed_connections_total{netns=host,direction=outbound,port=0}"));
  EXPECT_FALSE(e.has("tcpscope_closed_connections_total{netns=host,direction=inbound,port=0}"));
}

TEST(AgentCloses, PortsBeyondTheLimitFoldIntoOtherAndSeriesStay) {
  CloseAccounting a(CloseLimits{.max_ports = 2, .rtt_timers = 0});
  deliver(a, closed(50000, 80, 1, 1, 10));
  deliver(a, closed(50001, 443, 1, 1, 10));
  deliver(a, closed(50002, 5432, 1, 1, 10, 2));  // a third port: other
  deliver(a, closed(50003, 6379, 1, 1, 10));     // a fourth: other
  deliver(a, closed(50004, 80, 1, 1, 10));       // 80 keeps its series
  Emitted e(a);
  const std::string c = "tcpscope_closed_connections_total{netns=host,direction=outbound,port=";
  EXPECT_EQ(e.at(c + "80}"), 2);
  EXPECT_EQ(e.at(c + "443}"), 1);
  EXPECT_EQ(e.at(c + "other}"), 2);
  EXPECT_FALSE(e.has(c + "5432}"));
  EXPECT_EQ(e.at("tcpscope_closed_connection_retransmitted_segments_total{netns=host,direction="
                 "outbound,port=other}"),
            2);
  // A larger limit later: the folded ports stay folded until seen again, then get their own.
  a.set_limits(CloseLimits{.max_ports = 3, .rtt_timers = 0});
  deliver(a, closed(50005, 6379, 1, 1, 10));
  Emitted e2(a);
  EXPECT_EQ(e2.at(c + "6379}"), 1);
  EXPECT_EQ(e2.at(c + "other}"), 2);
  // Inbound has its own limit: no "other" there, and no series at all before a close.
  EXPECT_FALSE(
      e2.has("tcpscope_closed_connections_total{netns=host,direction=inbound,port=other}"));
}

TEST(AgentCloses, HistogramBucketsAreCumulativeWithInclusiveBounds) {
  // Bounds are inclusive: a value equal to a bound is in that bucket.
  EXPECT_EQ(bucket_index(kRttBoundsUs, 0), 0U);
  EXPECT_EQ(bucket_index(kRttBoundsUs, 50), 0U);
  EXPECT_EQ(bucket_index(kRttBoundsUs, 51), 1U);
  EXPECT_EQ(bucket_index(kRttBoundsUs, 2'500'000), kRttBoundsUs.size() - 1);
  EXPECT_EQ(bucket_index(kRttBoundsUs, 2'500'001), kRttBoundsUs.size());
  EXPECT_EQ(bucket_index(kBytesBounds, 0), 0U);
  EXPECT_EQ(bucket_index(kBytesBounds, 1), 1U);
  EXPECT_EQ(bucket_index(kBytesBounds, uint64_t{1} << 40), kBytesBounds.size());

  CloseAccounting a;
  for (uint32_t rtt : {30U, 50U, 80U, 1'000U, 3'000'000U}) deliver(a, closed(1, 2, 0, 0, rtt));
  deliver(a, closed(1, 2, 0, 0, 0));  // never measured: not in the RTT histogram
  Emitted e(a);
  auto bucket = [&](std::string_view le) {
    return e.at("tcpscope_closed_connection_rtt_seconds_bucket{netns=host,direction=outbound,le=" +
                std::string(le) + "}");
  };
  EXPECT_EQ(bucket("5e-05"), 2);
  EXPECT_EQ(bucket("0.0001"), 3);
  EXPECT_EQ(bucket("0.00025"), 3);
  EXPECT_EQ(bucket("0.001"), 4);
  EXPECT_EQ(bucket("2.5"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);
  EXPECT_EQ(e.at("tcpscope_closed_connection_rtt_seconds_count{netns=host,direction=outbound}"), 5);
  EXPECT_DOUBLE_EQ(
      e.at("tcpscope_closed_connection_rtt_seconds_sum{netns=host,direction=outbound}"),
      3'001'160e-6);
  // Six closes carried no data: all in le="0" of the bytes.
  EXPECT_EQ(e.at("tcpscope_closed_connection_bytes_bucket{netns=host,direction=outbound,way=sent,"
                 "le=0}"),
            6);
  EXPECT_EQ(e.at("tcpscope_closed_connection_bytes_bucket{netns=host,direction=outbound,way=sent,"
                 "le=+Inf}"),
            6);
  // Both directions' histograms exist from the start, empty.
  EXPECT_EQ(e.at("tcpscope_closed_connection_rtt_seconds_count{netns=host,direction=inbound}"), 0);
}

TEST(AgentCloses, LeValuesAreTheBoundsAsPrometheusNumbers) {
  auto text = [](double v) {
    fmt::memory_buffer b;
    render::append_metric_value(b, v);
    return fmt::to_string(b);
  };
  ASSERT_EQ(kRttLe.size(), kRttBoundsUs.size() + 1);
  ASSERT_EQ(kBytesLe.size(), kBytesBounds.size() + 1);
  for (size_t i = 0; i < kRttBoundsUs.size(); ++i) {
    EXPECT_EQ(std::stod(std::string(kRttLe[i])), static_cast<double>(kRttBoundsUs[i]) / 1e6);
    EXPECT_EQ(kRttLe[i], text(static_cast<double>(kRttBoundsUs[i]) / 1e6));
  }
  for (size_t i = 0; i < kBytesBounds.size(); ++i) {
    EXPECT_EQ(kBytesLe[i], text(static_cast<double>(kBytesBounds[i])));
  }
  EXPECT_EQ(kRttLe.back(), "+Inf");
  EXPECT_EQ(kBytesLe.back(), "+Inf");
}

TEST(AgentCloses, HistogramRendersAsPrometheusHistogram) {
  CloseAccounting a;
  deliver(a, closed(1, 2, 300, 0, 120));
  Emitted e(a);
  fmt::memory_buffer b;
  render::append_prometheus(b, e.set);
  const std::string text = fmt::to_string(b);
  EXPECT_NE(text.find("# TYPE tcpscope_closed_connection_rtt_seconds histogram\n"
                      "tcpscope_closed_connection_rtt_seconds_bucket{netns=\"host\",container=\"\","
                      "pod=\"\",k8s_namespace=\"\",direction="
                      "\"inbound\",le=\"5e-05\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tcpscope_closed_connection_rtt_seconds_bucket{netns=\"host\",container=\"\","
                      "pod=\"\",k8s_namespace=\"\",direction="
                      "\"outbound\",le=\"0.00025\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tcpscope_closed_connection_rtt_seconds_sum{netns=\"host\",container=\"\","
                      "pod=\"\",k8s_namespace=\"\",direction="
                      "\"outbound\"} 0.00012\n"
                      "tcpscope_closed_connection_rtt_seconds_count{netns=\"host\",container=\"\","
                      "pod=\"\",k8s_namespace=\"\",direction="
                      "\"outbound\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tcpscope_closed_connection_bytes_bucket{netns=\"host\",container=\"\",pod="
                      "\"\",k8s_namespace=\"\",direction="
                      "\"outbound\",way=\"sent\",le=\"1024\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE tcpscope_closed_connections_total counter\n"), std::string::npos);
  // JSON lines name the parts the same way.
  fmt::memory_buffer j;
  render::append_metrics_jsonl(j, e.set, "full", 0);
  const std::string jt = fmt::to_string(j);
  EXPECT_NE(jt.find("{\"metric\": \"tcpscope_closed_connection_rtt_seconds_bucket\", \"netns\": "
                    "\"host\", \"container\": \"\", \"pod\": \"\", \"k8s_namespace\": \"\", "
                    "\"direction\": \"outbound\", \"le\": \"0.00025\", \"value\": 1}"),
            std::string::npos)
      << jt;
  EXPECT_NE(jt.find("{\"metric\": \"tcpscope_closed_connection_bytes_sum\", \"netns\": \"host\", "
                    "\"container\": \"\", \"pod\": \"\", \"k8s_namespace\": \"\", "
                    "\"direction\": \"outbound\", \"way\": \"sent\", \"value\": 300}"),
            std::string::npos)
      << jt;
}

TEST(AgentCloses, OverflowsAreCounted) {
  CloseAccounting a;
  a.on_lost(1);
  a.on_lost(2);
  Emitted e(a);
  EXPECT_EQ(e.at("tcpscope_close_event_overflows_total{netns=host}"), 2);
}

TEST(AgentCloses, AnUnknownLocalPortRechecksTheListenersAtMostEvery100ms) {
  CloseAccounting a;
  int calls = 0;
  a.set_recheck([&](model::ListenerSet& set) {
    ++calls;
    set.clear();
    set.add(listener(9000, 77));  // a listener newer than the last reading
    set.finish();
  });
  const int64_t t0 = 5'000'000'000;
  deliver(a, closed(9000, 41000, 1, 1, 10), t0);
  EXPECT_EQ(calls, 1);
  deliver(a, closed(9000, 41001, 1, 1, 10), t0 + 1);  // known now: no recheck
  deliver(a, closed(41002, 80, 1, 1, 10), t0 + 2);    // outbound, but too soon
  EXPECT_EQ(calls, 1);
  deliver(a, closed(41003, 80, 1, 1, 10), t0 + CloseAccounting::kRecheckNs);
  EXPECT_EQ(calls, 2);
  deliver(a, closed(41004, 80, 1, 1, 10), t0 - 1'000'000'000);  // the clock went back
  EXPECT_EQ(calls, 3);
  Emitted e(a);
  EXPECT_EQ(e.at("tcpscope_closed_connections_total{netns=host,direction=inbound,port=9000}"), 2);
  EXPECT_EQ(e.at("tcpscope_closed_connections_total{netns=host,direction=outbound,port=80}"), 3);
  EXPECT_EQ(a.rechecks(), 3U);
}

TEST(AgentCloses, StatsdTimersKeepEveryRttUpToTheLimitThenSample) {
  CloseAccounting a(CloseLimits{.max_ports = 32, .rtt_timers = 4});
  for (uint32_t i = 1; i <= 3; ++i) deliver(a, closed(50000 + i, 80, 1, 1, 1000 * i));
  std::vector<StatsdTimer> t;
  a.statsd_timers(kHost, t);
  ASSERT_EQ(t.size(), 1U);  // outbound only: inbound had none
  EXPECT_EQ(t[0].name, "closed_connection_rtt");
  EXPECT_EQ(t[0].rate, 1.0);
  EXPECT_EQ(std::vector<double>(t[0].values.begin(), t[0].values.end()),
            (std::vector<double>{1, 2, 3}));  // milliseconds
  std::string key;
  render::append_statsd_key(key, t[0].name, t[0].labels, {"tcpscope", false});
  EXPECT_EQ(key, "tcpscope.host.closed_connection_rtt.outbound");
  a.start_interval();
  t.clear();
  a.statsd_timers(kHost, t);
  EXPECT_TRUE(t.empty());
  // 10 in an interval: 4 kept, sent at rate 0.4, which a server scales back to 10.
  for (uint32_t i = 1; i <= 10; ++i) deliver(a, closed(50000 + i, 80, 1, 1, 1000 * i));
  a.statsd_timers(kHost, t);
  ASSERT_EQ(t.size(), 1U);
  EXPECT_EQ(t[0].values.size(), 4U);
  EXPECT_DOUBLE_EQ(t[0].rate, 0.4);
  EXPECT_DOUBLE_EQ(static_cast<double>(t[0].values.size()) / t[0].rate, 10.0);
  // The cumulative histogram saw all 13.
  Emitted e(a);
  EXPECT_EQ(e.at("tcpscope_closed_connection_rtt_seconds_count{netns=host,direction=outbound}"),
            13);
}

TEST(StatsdSampling, RateIsKeptOverSeen) {
  EXPECT_EQ(statsd_sample_rate(0, 0), 1.0);
  EXPECT_EQ(statsd_sample_rate(5, 5), 1.0);
  EXPECT_EQ(statsd_sample_rate(5, 3), 1.0);
  EXPECT_DOUBLE_EQ(statsd_sample_rate(1000, 4000), 0.25);
  // What a statsd server counts from the kept lines: kept / rate = seen, for awkward ratios too.
  for (uint64_t seen : {1001ULL, 1234ULL, 99'999ULL, 7'777'777ULL}) {
    const double rate = statsd_sample_rate(1000, seen);
    EXPECT_NEAR(1000.0 / rate, static_cast<double>(seen), 1e-6 * static_cast<double>(seen));
  }
  std::string line;
  render::append_statsd_line(line, "tcpscope.host.closed_connection_rtt.inbound", 0.045, "ms",
                             0.25);
  EXPECT_EQ(line, "tcpscope.host.closed_connection_rtt.inbound:0.045|ms|@0.25");
  line.clear();
  render::append_statsd_line(line, "tcpscope.closed_connection_rtt|#netns:host,direction:inbound",
                             1.5, "ms", 0.5);
  EXPECT_EQ(line, "tcpscope.closed_connection_rtt:1.5|ms|@0.5|#netns:host,direction:inbound");
  line.clear();
  render::append_statsd_line(line, "x", 2, "ms", 1.0);
  EXPECT_EQ(line, "x:2|ms");
}

TEST(StatsdSampling, ReservoirIsUniform) {
  // Each of n values is kept with probability k / n: over many intervals, every position is
  // kept about as often (a fixed seed: the test is deterministic).
  constexpr uint32_t k = 10;
  constexpr uint32_t n = 50;
  constexpr int rounds = 20'000;
  Reservoir r(k, 12345);
  std::array<int, n> kept{};
  for (int round = 0; round < rounds; ++round) {
    r.clear();
    for (uint32_t i = 0; i < n; ++i) r.add(i);
    ASSERT_EQ(r.values().size(), k);
    ASSERT_EQ(r.seen(), n);
    for (double v : r.values()) ++kept[static_cast<size_t>(v)];
  }
  const double want = static_cast<double>(rounds) * k / n;  // 4000
  for (uint32_t i = 0; i < n; ++i) {
    EXPECT_NEAR(kept[i], want, 0.08 * want) << "value " << i;  // ~5 standard deviations
  }
  Reservoir none(0);
  none.add(1);
  EXPECT_TRUE(none.values().empty());
  EXPECT_EQ(none.seen(), 1U);
}

}  // namespace
}  // namespace tcpscope::agent

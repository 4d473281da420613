// SPDX-License-Identifier: MIT
// The agent's metric model and its three renderings: Prometheus text, statsd lines, JSON lines.
#include <gtest/gtest.h>

#include <string>

#include "agent/metric_catalog.hpp"
#include "model/counters.hpp"
#include "model/metric_set.hpp"
#include "render/metrics.hpp"
#include "unit/json_checker.hpp"

namespace tcpscope {
namespace {

using model::MetricSet;
using model::MetricType;

std::string prometheus(const MetricSet& set) {
  fmt::memory_buffer b;
  render::append_prometheus(b, set);
  return fmt::to_string(b);
}

TEST(MetricSet, FamiliesAreKeptAndSamplesGroupedByFamily) {
  MetricSet set;
  const uint32_t a = set.family("a", "A.", MetricType::kGauge);
  const uint32_t b = set.family("b_total", "B.", MetricType::kCounter);
  EXPECT_EQ(set.family("a", "other help", MetricType::kCounter), a);
  set.add(a, {{"netns", "x"}}, 1);
  set.add(b, {{"netns", "x"}}, 2);
  set.add(a, {{"netns", "y"}}, 3);
  const auto order = set.grouped();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(set.samples()[order[0]].value, 1);
  EXPECT_EQ(set.samples()[order[1]].value, 3);
  EXPECT_EQ(set.samples()[order[2]].value, 2);
  EXPECT_EQ(set.label_value(set.samples()[order[1]], 0), "y");
  set.clear();
  EXPECT_TRUE(set.samples().empty());
  EXPECT_EQ(set.families().size(), 2u);
  EXPECT_EQ(prometheus(set), "");  // families without samples render nothing
}

TEST(RenderPrometheus, HelpTypeOnceAndEscapedLabels) {
  MetricSet set;
  const uint32_t g = set.family("tcpscope_x", "Back\\slash and\nnewline.", MetricType::kGauge);
  const uint32_t c = set.family("tcpscope_y_total", "Y.", MetricType::kCounter);
  set.add(g, {{"netns", "a\"b"}, {"listener", "[::1]:80"}}, 0.25);
  set.add(c, {}, 12345678901);
  set.add(g, {{"netns", "c\\d\ne"}, {"listener", "*:22"}}, 3);
  EXPECT_EQ(prometheus(set),
            "# HELP tcpscope_x Back\\\\slash and\\nnewline.\n"
            "# TYPE tcpscope_x gauge\n"
            "tcpscope_x{netns=\"a\\\"b\",listener=\"[::1]:80\"} 0.25\n"
            "tcpscope_x{netns=\"c\\\\d\\ne\",listener=\"*:22\"} 3\n"
            "# HELP tcpscope_y_total Y.\n"
            "# TYPE tcpscope_y_total counter\n"
            "tcpscope_y_total 12345678901\n");
}

TEST(RenderMetrics, ValuesPrintWithoutExponentWhenWhole) {
  auto text = [](double v) {
    fmt::memory_buffer b;
    render::append_metric_value(b, v);
    return fmt::to_string(b);
  };
  EXPECT_EQ(text(1e6), "1000000");
  EXPECT_EQ(text(2358460416), "2358460416");
  EXPECT_EQ(text(0.5), "0.5");
  EXPECT_EQ(text(-3), "-3");
  EXPECT_EQ(text(1.0 / 0.0), "+Inf");
  EXPECT_EQ(text(0.0 / 0.0), "NaN");
}

TEST(RenderStatsd, GraphitePathPutsNamespaceFirstAndSanitizes) {
  MetricSet set;
  const uint32_t q = set.family("tcpscope_listener_accept_queue", "", MetricType::kGauge);
  const uint32_t c = set.family("tcpscope_tcpext_listen_overflows_total", "", MetricType::kCounter);
  set.add(q, {{"netns", "docker/abc"}, {"listener", "[::1]%eth0:8080"}}, 7);
  set.add(c, {{"netns", "host"}}, 1);
  set.add(c, {}, 1);
  std::string key;
  render::append_statsd_key(key, set, set.samples()[0], {"tcpscope", false});
  EXPECT_EQ(key, "tcpscope.docker_abc.listener_accept_queue.___1__eth0_8080");
  std::string line;
  render::append_statsd_line(line, key, 7, 'g');
  EXPECT_EQ(line, "tcpscope.docker_abc.listener_accept_queue.___1__eth0_8080:7|g");
  key.clear();
  render::append_statsd_key(key, set, set.samples()[1], {"", false});
  EXPECT_EQ(key, "host.tcpext_listen_overflows");
  key.clear();
  render::append_statsd_key(key, set, set.samples()[2], {"p.q", false});
  EXPECT_EQ(key, "p_q.tcpext_listen_overflows");
}

TEST(RenderStatsd, DogStatsdTagsFollowTheType) {
  MetricSet set;
  const uint32_t q = set.family("tcpscope_listener_accept_queue", "", MetricType::kGauge);
  set.add(q, {{"netns", "host"}, {"listener", "127.0.0.1:80"}}, 3);
  std::string key;
  render::append_statsd_key(key, set, set.samples()[0], {"tcpscope", true});
  EXPECT_EQ(key, "tcpscope.listener_accept_queue|#netns:host,listener:127.0.0.1:80");
  std::string line;
  render::append_statsd_line(line, key, 3, 'g');
  EXPECT_EQ(line, "tcpscope.listener_accept_queue:3|g|#netns:host,listener:127.0.0.1:80");
}

TEST(RenderStatsd, ANamespacesNamesAreTagsNotPathElements) {
  MetricSet set;
  const uint32_t q = set.family("tcpscope_listener_accept_queue", "", MetricType::kGauge);
  const model::NetnsNames pod{
      .netns = "cni-1f3e", .container = "4f1c2b7d9e0a", .pod = "api-1", .k8s_namespace = "prod"};
  const model::NetnsNames host{.netns = "host"};
  set.add(q, agent::Labels(agent::ns_labels(pod), {{"listener", "127.0.0.1:80"}}), 3);
  set.add(q, agent::Labels(agent::ns_labels(host), {{"listener", "127.0.0.1:80"}}), 4);
  std::string key;
  render::append_statsd_key(key, set, set.samples()[0], {"tcpscope", false});
  EXPECT_EQ(key, "tcpscope.cni-1f3e.listener_accept_queue.127_0_0_1_80");
  key.clear();
  render::append_statsd_key(key, set, set.samples()[0], {"tcpscope", true});
  EXPECT_EQ(key,
            "tcpscope.listener_accept_queue|#netns:cni-1f3e,container:4f1c2b7d9e0a,pod:api-1,"
            "k8s_namespace:prod,listener:127.0.0.1:80");
  key.clear();
  render::append_statsd_key(key, set, set.samples()[1], {"tcpscope", true});
  EXPECT_EQ(key, "tcpscope.listener_accept_queue|#netns:host,listener:127.0.0.1:80");
  // Prometheus: one label set for the family, empty values included.
  EXPECT_NE(prometheus(set).find("tcpscope_listener_accept_queue{netns=\"host\",container=\"\","
                                 "pod=\"\",k8s_namespace=\"\",listener=\"127.0.0.1:80\"} 4\n"),
            std::string::npos);
}

TEST(RenderJsonl, OneWellFormedObjectPerLine) {
  MetricSet set;
  const uint32_t s = set.family("tcpscope_sockets", "", MetricType::kGauge);
  set.add(s, {{"netns", "we\"ird\n"}, {"state", "established"}}, 12);
  set.add(s, {{"netns", "host"}}, 0.0 / 0.0);
  fmt::memory_buffer b;
  render::append_metrics_jsonl(b, set, "full", 1'795'000'000'123);
  const std::string text = fmt::to_string(b);
  ASSERT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  EXPECT_TRUE(testing::JsonChecker(std::string_view(text).substr(0, text.size() - 1)).ok()) << text;
  EXPECT_NE(text.find("\"time\": \"2026-11-18T"), std::string::npos) << text;
  EXPECT_NE(text.find(".123Z\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"metric\": \"tcpscope_sockets\", \"netns\": \"we\\\"ird\\n\", "
                      "\"state\": \"established\", \"value\": 12}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"value\": null"), std::string::npos) << text;
}

TEST(MetricCatalog, CounterNamesBecomeSnakeCase) {
  using agent::counter_metric_name;
  EXPECT_EQ(counter_metric_name("TcpExtListenOverflows", false),
            "tcpscope_tcpext_listen_overflows_total");
  EXPECT_EQ(counter_metric_name("TcpExtTCPReqQFullDoCookies", false),
            "tcpscope_tcpext_tcp_req_q_full_do_cookies_total");
  EXPECT_EQ(counter_metric_name("TcpExtTW", false), "tcpscope_tcpext_tw_total");
  EXPECT_EQ(counter_metric_name("TcpExtTWRecycled", false), "tcpscope_tcpext_tw_recycled_total");
  EXPECT_EQ(counter_metric_name("TcpRetransSegs", false), "tcpscope_tcp_retrans_segs_total");
  EXPECT_EQ(counter_metric_name("TcpCurrEstab", true), "tcpscope_tcp_curr_estab");
  EXPECT_EQ(counter_metric_name("Icmp6InType134", false), "tcpscope_icmp6_in_type134_total");
  EXPECT_EQ(counter_metric_name("IcmpMsgOutType3", false), "tcpscope_icmpmsg_out_type3_total");
  EXPECT_EQ(counter_metric_name("UdpLiteInErrors", false), "tcpscope_udplite_in_errors_total");
  EXPECT_EQ(counter_metric_name("MPTcpExtMPCapableSYNRX", false),
            "tcpscope_mptcpext_mp_capable_synrx_total");
}

TEST(MetricCatalog, NamesFollowPrometheusConventionsAndAreDocumented) {
  std::string doc;
  {
    FILE* f = std::fopen(TCPSCOPE_DOCS "/agent.md", "r");
    ASSERT_NE(f, nullptr);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) doc.append(buf, n);
    std::fclose(f);
  }
  for (const auto& m : agent::metric_catalog()) {
    EXPECT_TRUE(m.name.starts_with("tcpscope_")) << m.name;
    EXPECT_EQ(m.name.ends_with("_total"), m.type == MetricType::kCounter) << m.name;
    for (char c : m.name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << m.name;
    EXPECT_NE(doc.find("`" + std::string(m.name) + "`"), std::string::npos)
        << m.name << " is not in docs/agent.md";
  }
  // docs/agent.md's table of the default counters: each nstat name with its metric name (the
  // names monitoring/ uses, checked by scripts/check-monitoring against that table).
  for (auto name : agent::default_counters()) {
    const std::string row = "| " + std::string(name) + " | `" +
                            agent::counter_metric_name(name, model::counter_is_gauge(name)) + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << row << " is not in docs/agent.md";
  }
}

// tcpscope_build_info follows Prometheus' convention (a gauge of 1 whose labels say what runs)
// and carries the version --version prints: the project() version of CMakeLists.txt.
TEST(MetricCatalog, BuildInfoCarriesTheProjectVersion) {
  const agent::BuildInfo b = agent::build_info();
  EXPECT_EQ(b.version, TCPSCOPE_VERSION);
  EXPECT_FALSE(b.compiler.empty());
  MetricSet set;
  agent::add_build_info(set);
  EXPECT_EQ(prometheus(set),
            "# HELP tcpscope_build_info The agent's version and the compiler that built it (the "
            "value is always 1).\n"
            "# TYPE tcpscope_build_info gauge\n"
            "tcpscope_build_info{version=\"" TCPSCOPE_VERSION "\",compiler=\"" +
                std::string(b.compiler) + "\"} 1\n");
}

}  // namespace
}  // namespace tcpscope

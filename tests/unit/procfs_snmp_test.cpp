// SPDX-License-Identifier: MIT
// Counter parsing checked against nstat: tests/fixtures/proc/netns1-nstat.txt is what
// `PROC_ROOT=netns1 nstat -a -s -z` printed for the same captured files.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "procfs/snmp.hpp"

namespace tcpscope::procfs {
namespace {

const std::string kRoot = std::string(TCPSCOPE_FIXTURES) + "/proc/netns1";

using Counters = std::vector<std::pair<std::string, uint64_t>>;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Counters table(std::string_view content) {
  Counters out;
  auto st = parse_snmp_table(
      content, [&](std::string_view n, uint64_t v) { out.emplace_back(std::string(n), v); });
  EXPECT_TRUE(st.has_value()) << (st ? "" : st.error().what());
  return out;
}

std::string table_error(std::string_view content) {
  auto st = parse_snmp_table(content, [](std::string_view, uint64_t) {});
  EXPECT_FALSE(st.has_value());
  if (st) return {};
  EXPECT_EQ(st.error().kind(), ErrorKind::kMalformed);
  return st.error().message();
}

TEST(Snmp, ParsesCapturedSnmp) {
  Counters c = table(slurp(kRoot + "/net/snmp"));
  ASSERT_EQ(c.size(), 20u + 29u + 15u + 9u + 9u);  // Ip Icmp Tcp Udp UdpLite
  EXPECT_EQ(c.front(), (std::pair<std::string, uint64_t>{"IpForwarding", 2}));
  EXPECT_EQ(c.back(), (std::pair<std::string, uint64_t>{"UdpLiteMemErrors", 0}));
  EXPECT_EQ(find_counter(slurp(kRoot + "/net/snmp"), "TcpCurrEstab").value(), 15u);
  EXPECT_EQ(find_counter(slurp(kRoot + "/net/snmp"), "TcpMaxConn").value(), UINT64_MAX);  // -1
  EXPECT_EQ(find_counter(slurp(kRoot + "/net/snmp"), "TcpActiveOpens").value(), 9u);
  EXPECT_EQ(find_counter(slurp(kRoot + "/net/snmp"), "UdpOutDatagrams").value(), 2u);
  EXPECT_EQ(find_counter(slurp(kRoot + "/net/snmp"), "TcpNoSuchCounter").value(), std::nullopt);
}

TEST(Snmp, ParsesCapturedNetstat) {
  const std::string content = slurp(kRoot + "/net/netstat");
  EXPECT_EQ(find_counter(content, "TcpExtTW").value(), 1u);
  EXPECT_EQ(find_counter(content, "TcpExtListenOverflows").value(), 0u);
  EXPECT_EQ(find_counter(content, "TcpExtDelayedACKs").value(), 2u);
  EXPECT_EQ(find_counter(content, "IpExtInOctets").value(), 7616u);
  EXPECT_EQ(find_counter(content, "MPTcpExtMPCapableSYNRX").value(), 0u);
}

TEST(Snmp, MatchesNstatOnCapturedFiles) {
  Counters ours;
  std::string buffer;
  auto st = read_counters(
      kRoot, buffer, [&](std::string_view n, uint64_t v) { ours.emplace_back(std::string(n), v); });
  ASSERT_TRUE(st.has_value()) << st.error().what();

  // nstat never shows these; everything else must match, in nstat's order.
  const std::set<std::string> hidden = {"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm",
                                        "TcpRtoMin",    "TcpRtoMax",    "TcpMaxConn",
                                        "TcpCurrEstab"};
  Counters shown;
  for (const auto& c : ours) {
    if (!hidden.contains(c.first)) shown.push_back(c);
  }
  Counters nstat;
  std::ifstream in(std::string(TCPSCOPE_FIXTURES) + "/proc/netns1-nstat.txt");
  std::string line;
  std::getline(in, line);
  ASSERT_EQ(line, "#kernel");
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    uint64_t value = 0;
    fields >> name >> value;
    nstat.emplace_back(name, value);
  }
  ASSERT_EQ(nstat.size(), 390u);
  EXPECT_EQ(shown, nstat);
  EXPECT_EQ(ours.size(), nstat.size() + hidden.size());
}

TEST(Snmp, ParsesCapturedSnmp6List) {
  Counters c;
  auto st = parse_snmp_list(slurp(kRoot + "/net/snmp6"), [&](std::string_view n, uint64_t v) {
    c.emplace_back(std::string(n), v);
  });
  ASSERT_TRUE(st.has_value()) << st.error().what();
  ASSERT_EQ(c.size(), 86u);
  EXPECT_EQ(c.front(), (std::pair<std::string, uint64_t>{"Ip6InReceives", 3}));
}

TEST(Snmp, MapsByPositionNotByIndex) {
  // A kernel with fewer, reordered and new counters.
  Counters c = table("Tcp: NewThing CurrEstab\nTcp: 7 3\nFoo: A\nFoo: 18446744073709551615\n");
  EXPECT_EQ(c, (Counters{{"TcpNewThing", 7}, {"TcpCurrEstab", 3}, {"FooA", UINT64_MAX}}));
}

TEST(Snmp, NegativeValuesWrapLikeNstat) {
  EXPECT_EQ(table("Tcp: MaxConn X\nTcp: -1 -2\n"),
            (Counters{{"TcpMaxConn", UINT64_MAX}, {"TcpX", UINT64_MAX - 1}}));
}

TEST(Snmp, SkipsBlankLinesAndToleratesCrAndTrailingSpace) {
  EXPECT_EQ(table("\nTcp: A B \r\nTcp: 1 2\r\n\n"), (Counters{{"TcpA", 1}, {"TcpB", 2}}));
  EXPECT_EQ(table(""), Counters{});
  EXPECT_EQ(table("Tcp:\nTcp:\n"), Counters{});
}

TEST(Snmp, RejectsMalformedTables) {
  EXPECT_EQ(table_error("Tcp: A B\n"),
            "malformed counter line: header without a value line: \"Tcp: A B\"");
  EXPECT_EQ(table_error("Tcp: A B\nTcp: 1\n"),
            "malformed counter line: 2 names but 1 values: \"Tcp: 1\"");
  EXPECT_EQ(table_error("Tcp: A\nTcp: 1 2\n"),
            "malformed counter line: 1 names but 2 values: \"Tcp: 1 2\"");
  EXPECT_EQ(table_error("Tcp: A\nUdp: 1\n"),
            "malformed counter line: value line does not follow its header \"Tcp:\": \"Udp: 1\"");
  EXPECT_EQ(table_error("Tcp A\nTcp 1\n"),
            "malformed counter line: expected \"Prefix:\" first: \"Tcp A\"");
  EXPECT_EQ(table_error("Tcp: A\nTcp: 1x\n"),
            "malformed counter line: bad value for A: \"Tcp: 1x\"");
  EXPECT_EQ(table_error("Tcp: A\nTcp: 18446744073709551616\n"),
            "malformed counter line: bad value for A: \"Tcp: 18446744073709551616\"");
  EXPECT_EQ(table_error(": A\n: 1\n"),
            "malformed counter line: expected \"Prefix:\" first: \": A\"");
  EXPECT_EQ(table_error("Tcp: A\n\nTcp: 1\n"),
            "malformed counter line: value line does not follow its header \"Tcp:\": \"\"");
  const std::string long_name(200, 'N');
  EXPECT_EQ(table_error("Tcp: " + long_name + "\nTcp: 1\n").substr(0, 46),
            "malformed counter line: counter name too long:");
}

TEST(Snmp, RejectsMalformedLists) {
  auto err = [](std::string_view content) {
    auto st = parse_snmp_list(content, [](std::string_view, uint64_t) {});
    EXPECT_FALSE(st.has_value());
    return st ? std::string() : st.error().message();
  };
  EXPECT_EQ(err("Ip6InReceives\n"),
            "malformed counter line: name without a value: \"Ip6InReceives\"");
  EXPECT_EQ(err("Ip6InReceives 1 2\n"),
            "malformed counter line: more than a name and a value: \"Ip6InReceives 1 2\"");
  EXPECT_EQ(err("Ip6InReceives x\n"), "malformed counter line: bad value: \"Ip6InReceives x\"");
}

TEST(Snmp, FindCounterPropagatesErrors) {
  auto v = find_counter("Tcp: A\n", "TcpA");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().kind(), ErrorKind::kMalformed);
}

TEST(Snmp, ReadCountersRefusesARootWithoutCounters) {
  // host/ has no net/ files at all: a wrong proc root (`counters --proc-root` must then fail and
  // leave the history alone), not a host whose counters are all absent.
  size_t n = 0;
  std::string buffer;
  auto st = read_counters(std::string(TCPSCOPE_FIXTURES) + "/proc/host", buffer,
                          [&](std::string_view, uint64_t) { ++n; });
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().err(), ENOENT);
  EXPECT_EQ(n, 0u);
}

}  // namespace
}  // namespace tcpscope::procfs

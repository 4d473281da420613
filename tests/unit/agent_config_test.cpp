// SPDX-License-Identifier: MIT
// The agent's configuration: TOML file, flags over it, and validation with useful messages.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "base/file.hpp"

namespace tcpscope {
namespace {

using agent::AgentConfig;
using agent::AgentFlags;

std::string parse_error(std::string_view toml) {
  AgentConfig c;
  auto st = agent::parse_config_toml(toml, "agent.toml", c);
  EXPECT_FALSE(st) << toml;
  return st ? std::string() : st.error().message();
}

TEST(AgentConfig, DefaultsMatchTheDocs) {
  auto c = agent::load_config(AgentFlags{});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->interval_ns, 10'000'000'000);
  EXPECT_EQ(c->listener_interval_ns, c->interval_ns);
  ASSERT_TRUE(c->statsd);
  EXPECT_EQ(agent::format_endpoint(*c->statsd), "127.0.0.1:8125");
  EXPECT_EQ(c->statsd_mtu, 1432u);
  EXPECT_EQ(c->prefix, "tcpscope");
  EXPECT_FALSE(c->prometheus);
  EXPECT_EQ(c->max_listeners, 100u);
  EXPECT_TRUE(c->closes.enabled);
  EXPECT_EQ(c->closes.max_ports, 32u);
  EXPECT_EQ(c->closes.statsd_rtt_max_per_interval, 1000u);
  EXPECT_EQ(c->closes.receive_buffer, 8 << 20);
  EXPECT_EQ(c->census.cpu, 0.015);
  EXPECT_EQ(c->census.max_age_ns, 3'600'000'000'000);
}

TEST(AgentConfig, ReadsEveryKey) {
  AgentConfig c;
  ASSERT_TRUE(agent::parse_config_toml(R"(
interval = "20s"
listener_interval = "2s"
netns = ["all"]
max_listeners = 7
counters = ["TcpExtTCPFastOpen*"]
log_level = "debug"
[statsd]
address = "[::1]:9125"
mtu = 512
prefix = "edge.lb"
tags = true
[prometheus]
listen = "9473"
[jsonl]
path = "-"
[doctor]
accept-queue-fill = 90
orphan_fill = 12.5
[closes]
enabled = false
max_ports = 5
statsd_rtt_max_per_interval = 0
receive_buffer = 1048576
[census]
cpu = 0.05
max_age = "30m"
)",
                                       "agent.toml", c));
  EXPECT_EQ(c.interval_ns, 20'000'000'000);
  EXPECT_EQ(c.listener_interval_ns, 2'000'000'000);
  EXPECT_EQ(c.netns, std::vector<std::string>{"all"});
  EXPECT_EQ(c.max_listeners, 7u);
  EXPECT_EQ(c.counters.size(), 1u);
  EXPECT_EQ(c.log_level, agent::LogLevel::kDebug);
  EXPECT_EQ(agent::format_endpoint(*c.statsd), "[::1]:9125");
  EXPECT_EQ(c.statsd_mtu, 512u);
  EXPECT_EQ(c.prefix, "edge.lb");
  EXPECT_TRUE(c.statsd_tags);
  EXPECT_EQ(agent::format_endpoint(*c.prometheus), "127.0.0.1:9473");
  EXPECT_EQ(c.jsonl, "-");
  EXPECT_EQ(c.thresholds.accept_queue_fill, 90);
  EXPECT_EQ(c.thresholds.orphan_fill, 12.5);
  EXPECT_EQ(c.closes, (agent::ClosesConfig{.enabled = false,
                                           .max_ports = 5,
                                           .statsd_rtt_max_per_interval = 0,
                                           .receive_buffer = 1 << 20}));
  EXPECT_EQ(c.census, (agent::CensusConfig{.cpu = 0.05, .max_age_ns = 1'800'000'000'000}));
  ASSERT_TRUE(agent::parse_config_toml("[census]\ncpu = \"3%\"\n", "agent.toml", c));
  EXPECT_DOUBLE_EQ(c.census.cpu, 0.03);
  ASSERT_TRUE(agent::parse_config_toml("[census]\ncpu = 1\n", "agent.toml", c));
  EXPECT_DOUBLE_EQ(c.census.cpu, 1.0);
}

TEST(AgentConfig, ErrorsNameTheKeyAndTheLine) {
  EXPECT_EQ(parse_error("interval = \"10s\"\nbogus = 1\n"), "agent.toml:2: unknown key \"bogus\"");
  EXPECT_EQ(parse_error("[statsd]\nmtu = \"big\"\n"),
            "agent.toml:2: statsd.mtu must be an integer");
  EXPECT_EQ(parse_error("[statsd]\nmtu = 20\n"),
            "agent.toml:2: statsd.mtu 20 is out of range (64 to 65507 bytes)");
  EXPECT_EQ(parse_error("interval = \"soon\"\n"),
            "agent.toml:1: interval: \"soon\" is not a duration from 100ms to 24h (e.g. 1s, "
            "500ms, 2m)");
  EXPECT_EQ(parse_error("netns = \"all\"\n"), "agent.toml:1: netns must be an array of strings");
  EXPECT_EQ(parse_error("[prometheus]\nlisten = \"::1:80\"\n"),
            "agent.toml:2: prometheus.listen: \"::1:80\": write an IPv6 address in brackets, "
            "[::1]:PORT");
  EXPECT_EQ(parse_error("[doctor]\nno-such = 1\n").substr(0, 20), "agent.toml:2: doctor");
  EXPECT_NE(parse_error("interval = \n").find("agent.toml:1:"), std::string::npos);
  EXPECT_EQ(parse_error("statsd = 1\n"), "agent.toml:1: statsd must be a table");
  EXPECT_EQ(parse_error("[closes]\nenabled = 1\n"),
            "agent.toml:2: closes.enabled must be true or false");
  EXPECT_EQ(parse_error("[closes]\nmax_ports = 70000\n"),
            "agent.toml:2: closes.max_ports 70000 is out of range (0 to 65536)");
  EXPECT_EQ(parse_error("[closes]\nreceive_buffer = 4096\n"),
            "agent.toml:2: closes.receive_buffer 4096 is out of range (65536 to 1073741824)");
  EXPECT_EQ(parse_error("[closes]\nstatsd_rtt_max = 5\n"),
            "agent.toml:2: unknown key \"closes.statsd_rtt_max\"");
  EXPECT_EQ(parse_error("[census]\ncpu = 2\n"),
            "agent.toml:2: census.cpu \"2\" is out of range (0.0001 to 1, 0.01% to 100%)");
  EXPECT_EQ(parse_error("[census]\ncpu = \"lots\"\n"),
            "agent.toml:2: census.cpu \"lots\" is not a share of one core (0.02 or 2%)");
  EXPECT_EQ(parse_error("[census]\ncpu = true\n"),
            "agent.toml:2: census.cpu must be a number or \"N%\"");
  EXPECT_EQ(parse_error("[census]\nmax_age = 60\n"),
            "agent.toml:2: census.max_age must be a string");
  // toml++ 3.3.0 has undefined behaviour on non-ASCII input; refused before it sees it.
  EXPECT_EQ(parse_error("interval = \"1s\"\n\xEF\xB3\xBF| = 1\n"),
            "agent.toml:2: a non-ASCII character (the file must be ASCII)");
  EXPECT_EQ(parse_error("# ok\n\n# Z\xC3\xBCrich\n"),
            "agent.toml:3: a non-ASCII character (the file must be ASCII)");
}

TEST(AgentConfig, FlagsWinOverTheFile) {
  char path[] = "/tmp/tcpscope-agent-config-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "interval = \"30s\"\n[statsd]\naddress = \"10.0.0.1:8125\"\n";
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  AgentFlags f;
  f.config_file = path;
  f.statsd = "none";
  f.jsonl = "-";
  f.interval = "5s";
  auto c = agent::load_config(f);
  std::remove(path);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->interval_ns, 5'000'000'000);
  EXPECT_EQ(c->listener_interval_ns, 5'000'000'000);  // follows the interval when not set
  EXPECT_FALSE(c->statsd);
}

TEST(AgentConfig, CrossChecks) {
  auto err = [](AgentFlags f) {
    auto c = agent::load_config(f);
    EXPECT_FALSE(c);
    return c ? std::string() : c.error().message();
  };
  AgentFlags f;
  f.interval = "10s";
  f.listener_interval = "3s";
  EXPECT_EQ(err(f), "the listener interval must divide the interval (e.g. 10s and 2s)");
  f = {};
  f.statsd = "none";
  EXPECT_EQ(err(f), "nothing to send to: statsd, prometheus and jsonl are all off");
  f = {};
  f.netns = {"all", "x"};
  EXPECT_EQ(err(f), "netns: \"all\" already includes every namespace");
  f = {};
  f.prefix = "a b";
  EXPECT_EQ(err(f), "--prefix \"a b\" may hold only letters, digits, '_', '-' and '.'");
  f = {};
  f.census_max_age = "5s";
  EXPECT_EQ(err(f),
            "census.max_age must be at least the interval (a census per full tick at most)");
  f = {};
  f.census_cpu = "0";
  EXPECT_EQ(err(f), "--census-cpu \"0\" is out of range (0.0001 to 1, 0.01% to 100%)");
  f = {};
  f.config_file = "/nonexistent/agent.toml";
  EXPECT_NE(err(f).find("--config"), std::string::npos);
}

TEST(AgentConfig, Endpoints) {
  auto ok = [](std::string_view t) {
    auto e = agent::parse_endpoint(t, "127.0.0.1");
    return e ? agent::format_endpoint(*e) : "error: " + e.error().message();
  };
  EXPECT_EQ(ok("8125"), "127.0.0.1:8125");
  EXPECT_EQ(ok("localhost:8125"), "localhost:8125");
  EXPECT_EQ(ok("[::]:9473"), "[::]:9473");
  EXPECT_EQ(ok("host:0").substr(0, 6), "error:");
  EXPECT_EQ(ok("host:65536").substr(0, 6), "error:");
  EXPECT_EQ(ok(":80").substr(0, 6), "error:");
  EXPECT_EQ(ok("[::1]80").substr(0, 6), "error:");
  EXPECT_FALSE(agent::parse_endpoint("8125", ""));
}

// The key catalog (tcpscope-agent.toml(5) is written from it) is what the parser takes: each key
// is known (a value of the wrong type is refused as such, not as an unknown key), and
// docs/agent.md's options table names each one with its flag.
TEST(AgentConfig, KeyCatalogIsWhatTheParserTakesAndTheDocsList) {
  std::string doc;
  ASSERT_TRUE(read_file(TCPSCOPE_DOCS "/agent.md", doc));
  for (const auto& k : agent::config_keys()) {
    const std::string key(k.key);
    const size_t dot = key.find('.');
    if (key == "doctor.NAME") {
      EXPECT_NE(doc.find("| `[doctor]` table |"), std::string::npos);
      continue;
    }
    // A table of its own that must hold an array is never a string: always the wrong type.
    const std::string toml = dot == std::string::npos ? key + " = {}\n"
                                                      : "[" + key.substr(0, dot) + "]\n" +
                                                            key.substr(dot + 1) + " = {}\n";
    const std::string error = parse_error(toml);
    EXPECT_EQ(error.find("unknown key"), std::string::npos) << key << ": " << error;
    EXPECT_NE(error.find(key + " must be"), std::string::npos) << key << ": " << error;
    const std::string flag(k.flag.substr(0, k.flag.find(' ')));
    EXPECT_NE(doc.find(" | `" + key + "`"), std::string::npos) << key << " not in docs/agent.md";
    EXPECT_NE(doc.find("| `" + flag), std::string::npos) << flag << " not in docs/agent.md";
  }
  EXPECT_EQ(parse_error("[statsd]\nbogus = 1\n"), "agent.toml:2: unknown key \"statsd.bogus\"");
}

// The config the package installs as /etc/tcpscope/agent.toml is valid.
TEST(AgentConfig, PackagedConfigIsValid) {
  std::string content;
  ASSERT_TRUE(read_file(TCPSCOPE_DOCS "/../packaging/agent.toml", content));
  AgentConfig c;
  const auto st = agent::parse_config_toml(content, "packaging/agent.toml", c);
  EXPECT_TRUE(st) << (st ? "" : st.error().message());
  EXPECT_EQ(c.netns, std::vector<std::string>{"all"});
  ASSERT_TRUE(c.prometheus);
  EXPECT_EQ(agent::format_endpoint(*c.prometheus), "127.0.0.1:9473");
}

}  // namespace
}  // namespace tcpscope

// SPDX-License-Identifier: MIT
// The agent's configuration: defaults, a TOML file (--config), then flags, which win.
// Keys and meanings: docs/agent.md. Everything is validated here, before anything starts: a bad
// value is a kUsage error naming the key (and the file and line for the file).
//
//   AgentFlags flags;               // what was given on the command line (unset = not given)
//   auto c = load_config(flags);    // reads flags.config_file when set, then applies flags
//
// SIGHUP calls load_config(flags) again with the same flags: the file may have changed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/log.hpp"
#include "base/result.hpp"
#include "doctor/thresholds.hpp"

namespace tcpscope::agent {

struct Endpoint {
  std::string host;  // as given: a name, an IPv4 address or an IPv6 address without brackets
  uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// [closes]: connections closed, from the kernel's destroy events (docs/agent.md, "Closed
// connections").
struct ClosesConfig {
  bool enabled = true;
  uint32_t max_ports = 32;                      // ports with series of their own, per direction
  uint32_t statsd_rtt_max_per_interval = 1000;  // RTT timers per namespace, direction and tick
  int64_t receive_buffer = 8 << 20;             // bytes, per namespace (the kernel doubles it)
  bool operator==(const ClosesConfig&) const = default;
};

// [census]: when a namespace that shares the host's established hash gets its census walk
// (docs/agent.md, "Namespaces and the census").
struct CensusConfig {
  double cpu = 0.015;                      // share of one core for walks of the host's hash
  int64_t max_age_ns = 3'600'000'000'000;  // no census older than this (1 h)
  bool operator==(const CensusConfig&) const = default;
};

struct AgentConfig {
  int64_t interval_ns = 10'000'000'000;
  int64_t listener_interval_ns = 10'000'000'000;  // == interval_ns: no listener-only ticks
  std::vector<std::string> netns;                 // empty: the agent's own namespace
  uint32_t max_listeners = 100;
  std::vector<std::string> counters;  // nstat globs, beyond the default set
  std::optional<Endpoint> statsd = Endpoint{"127.0.0.1", 8125};
  uint32_t statsd_mtu = 1432;
  std::string prefix = "tcpscope";
  bool statsd_tags = false;
  std::optional<Endpoint> prometheus;
  std::string jsonl;  // "" off, "-" stdout
  doctor::Thresholds thresholds;
  ClosesConfig closes;
  CensusConfig census;
  LogLevel log_level = LogLevel::kInfo;
  std::string config_file;  // where it came from, for reloads and messages

  // Listener ticks per full tick.
  int64_t ticks_per_full() const { return interval_ns / listener_interval_ns; }
};

struct AgentFlags {
  std::string config_file;
  std::optional<std::string> interval;
  std::optional<std::string> listener_interval;
  std::vector<std::string> netns;
  std::optional<int64_t> max_listeners;
  std::vector<std::string> counters;
  std::optional<std::string> statsd;
  std::optional<int64_t> statsd_mtu;
  std::optional<std::string> prefix;
  bool statsd_tags = false;
  std::optional<std::string> prometheus;
  std::optional<std::string> jsonl;
  std::vector<std::string> thresholds;  // NAME=VALUE
  std::optional<std::string> log_level;
  std::optional<std::string> census_cpu;      // a share of one core ("0.02") or a percentage ("2%")
  std::optional<std::string> census_max_age;  // DURATION
};

// Every key of the config file: the parser accepts exactly these (a table's name is the part
// before the dot), and tcpscope-agent.toml(5) is written from them.
struct ConfigKey {
  std::string_view key;       // "statsd.mtu"; "doctor.NAME" stands for every doctor threshold
  std::string_view type;      // what the value is, as the page says it
  std::string_view fallback;  // the default, as the page says it
  std::string_view flag;      // the flag that overrides it ("" when none does)
  std::string_view meaning;   // Markdown, one paragraph
};
std::span<const ConfigKey> config_keys();

// The file's content; `origin` names it in errors. Keys not given keep their value in `c`.
Status parse_config_toml(std::string_view content, std::string_view origin, AgentConfig& c);

Result<AgentConfig> load_config(const AgentFlags& flags);

// "HOST:PORT", "[V6]:PORT", or (when `default_host` is not empty) "PORT" alone.
Result<Endpoint> parse_endpoint(std::string_view text, std::string_view default_host);
std::string format_endpoint(const Endpoint& e);

}  // namespace tcpscope::agent

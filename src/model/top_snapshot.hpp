// SPDX-License-Identifier: MIT
// TopSnapshot: everything one refresh of `tcpscope top` shows, as plain data. The collector
// (top/collector.hpp) fills it; the screen, batch text and JSON (render/top.hpp) read it. A
// snapshot is immutable once published: the screen never sees a half-updated table.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/census.hpp"
#include "model/conn_table.hpp"
#include "model/doctor_report.hpp"
#include "model/host.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::model {

// Refreshes a counter's sparkline remembers.
inline constexpr size_t kTopHistory = 60;

// The counters the header shows, in its order: nstat's name and the short label.
struct TopCounterInfo {
  std::string_view name;
  std::string_view label;
};
inline constexpr TopCounterInfo kTopCounters[] = {
    {"TcpExtListenOverflows", "ListenOverflows"},
    {"TcpExtListenDrops", "ListenDrops"},
    {"TcpExtSyncookiesSent", "SyncookiesSent"},
    {"TcpExtSyncookiesRecv", "SyncookiesRecv"},
    {"TcpExtSyncookiesFailed", "SyncookiesFailed"},
    {"TcpExtTCPSynRetrans", "TCPSynRetrans"},
    {"TcpRetransSegs", "RetransSegs"},
    {"TcpExtTCPTimeouts", "TCPTimeouts"},
    {"TcpActiveOpens", "ActiveOpens"},
    {"TcpPassiveOpens", "PassiveOpens"},
    {"TcpAttemptFails", "AttemptFails"},
    {"TcpEstabResets", "EstabResets"},
};
inline constexpr size_t kTopCounterCount = std::size(kTopCounters);

struct TopCounter {
  bool present = false;   // the kernel has it
  bool has_rate = false;  // a previous read exists
  uint64_t delta = 0;     // since the previous refresh
  double rate = 0;        // per second
  // Rates of the last refreshes, oldest first (at most kTopHistory).
  std::vector<float> history;
};

struct TopListener {
  ListenerInfo info;
  uint32_t owner = ProcessTable::kNone;  // index into the snapshot's process table
  bool has_drop_rate = false;            // seen in the previous refresh too
  double drops_per_second = 0;           // the listener's own drop counter (SK_MEMINFO_DROPS)
};

struct TopSnapshot {
  uint64_t refresh = 0;     // 1 for the first
  double taken_s = 0;       // monotonic seconds since top started
  double seconds = 0;       // since the previous refresh (0 for the first)
  int64_t wall_ms = 0;      // wall clock, for JSON and the header
  std::string netns;        // "" = top's own namespace
  std::string netns_names;  // "pod prod/api-1, containerd 4f1c2b7d9e0a" (the title's), or ""
  std::string source;       // "netlink", "proc" or "replay"
  std::string filter;       // the expression in force, "" for none
  StateMask states = kMaskAll;

  std::array<FamilyCounts, kStateCount> tcp{};
  bool has_change = false;
  std::array<int64_t, kStateCount> tcp_change{};  // since the previous refresh
  uint64_t orphans_in_netns = 0;
  std::optional<SockStat> sockstat;
  Tunables tunables;

  std::array<TopCounter, kTopCounterCount> counters;
  bool has_doctor = false;  // from the second refresh on (it needs a window)
  doctor::Report doctor;

  std::vector<TopListener> listeners;  // fullest first
  std::shared_ptr<const ConnTable> conns;
  std::shared_ptr<const ProcessTable> processes;

  // Why the last refresh failed ("" when it worked): the data above is then the last good one.
  std::string status;

  std::string_view process_name(uint32_t owner) const {
    if (!processes || owner >= processes->processes().size()) return {};
    return processes->processes()[owner].name;
  }
};

}  // namespace tcpscope::model

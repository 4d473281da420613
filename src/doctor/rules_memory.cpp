// SPDX-License-Identifier: MIT
// Checks on what sockets hold in memory: orphans (against tcp_max_orphans) and TCP memory
// (against tcp_mem).
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "doctor/rule_builder.hpp"

namespace tcpscope::doctor::detail {

void check_orphans(Builder& b) {
  const auto& s = b.s_;
  const auto& w = s.counters;
  const uint64_t abort_mem = w.d(Counter::kAbortOnMemory);
  const auto& max = s.tunables.tcp_max_orphans;
  const uint64_t orphans = s.sockstat ? s.sockstat->tcp_orphan : s.orphans_in_netns;
  const double fill =
      max && *max > 0 ? pct(static_cast<double>(orphans), static_cast<double>(*max)) : 0;
  Severity sev = Severity::kOk;
  if (abort_mem > 0) sev = Severity::kCritical;
  if (max && fill >= b.t_.orphan_fill_critical) sev = Severity::kCritical;
  if (max && fill >= b.t_.orphan_fill) sev = std::max(sev, Severity::kWarning);
  if (sev == Severity::kOk) {
    if (!max) {
      b.skip(CheckId::kOrphans,
             fmt::format("{} orphaned sockets in this namespace; "
                         "net.ipv4.tcp_max_orphans is global: unreadable inside a "
                         "network namespace (run doctor on the host)",
                         s.orphans_in_netns));
    }
    return;
  }
  Finding& f = b.add(
      CheckId::kOrphans, sev,
      abort_mem > 0 ? "Connections reset for lack of memory (too many orphaned sockets or TCP "
                      "memory over tcp_mem[2])"
                    : fmt::format("Orphaned sockets at {:.0f}% of net.ipv4.tcp_max_orphans", fill));
  f.evidence.push_back(
      fmt::format("orphans: {} host-wide ({} in this namespace), "
                  "tcp_max_orphans {}",
                  orphans, s.orphans_in_netns, max ? fmt::format("{}", *max) : "unknown"));
  f.evidence.push_back(b.counter_line(Counter::kAbortOnMemory));
  b.counter(f, Counter::kAbortOnMemory);
  f.metrics.push_back({"orphans", static_cast<double>(orphans), ""});
  if (max) f.metrics.push_back({"tcp_max_orphans", static_cast<double>(*max), ""});
  f.explanation =
      "Closed sockets still sending their last data (FIN-WAIT-1, LAST-ACK, CLOSING) count as\n"
      "orphans; past the limit (checked at 2x/4x penalty) the kernel resets connections.";
  f.fix =
      "Find peers that stopped reading (zero window) or are unreachable; lower "
      "net.ipv4.tcp_orphan_retries; raise net.ipv4.tcp_max_orphans (global, ~64 KiB of memory "
      "each in the worst case).";
}

void check_memory(Builder& b) {
  const auto& s = b.s_;
  const auto& w = s.counters;
  const auto& mem = s.tunables.tcp_mem;
  Severity sev = Severity::kOk;
  std::vector<std::string> why;
  if (w.d(Counter::kMemoryPressures) > 0) {
    sev = Severity::kWarning;
    why.push_back(b.counter_line(Counter::kMemoryPressures));
  }
  if (w.d(Counter::kPruneCalled) > 0 && w.rate(Counter::kPruneCalled) >= b.t_.prune_rate) {
    sev = Severity::kWarning;
    why.push_back(b.counter_line(Counter::kPruneCalled));
  }
  if (mem && s.sockstat) {
    const double pages = static_cast<double>(s.sockstat->tcp_mem);
    if (pct(pages, static_cast<double>((*mem)[1])) >= b.t_.tcp_mem_fill) {
      sev = std::max(sev, Severity::kWarning);
    }
    if (pct(pages, static_cast<double>((*mem)[2])) >= b.t_.tcp_mem_high_fill_critical) {
      sev = Severity::kCritical;
    }
  }
  if (sev == Severity::kOk) {
    if (!mem) {
      b.skip(CheckId::kTcpMemoryPressure,
             "net.ipv4.tcp_mem is global: unreadable inside a network namespace (run doctor on "
             "the host); the counters were checked");
    }
    return;
  }
  Finding& f = b.add(CheckId::kTcpMemoryPressure, sev, "TCP memory pressure");
  if (s.sockstat) {
    f.evidence.push_back(
        fmt::format("TCP memory: {} pages host-wide; tcp_mem {}", s.sockstat->tcp_mem,
                    mem ? fmt::format("{} {} {} (pressure at {}, limit {})", (*mem)[0], (*mem)[1],
                                      (*mem)[2], (*mem)[1], (*mem)[2])
                        : std::string("unknown")));
    f.metrics.push_back({"tcp_mem_pages", static_cast<double>(s.sockstat->tcp_mem), ""});
  }
  for (auto& l : why) f.evidence.push_back(std::move(l));
  b.counter(f, Counter::kMemoryPressures);
  b.counter(f, Counter::kPruneCalled);
  f.explanation =
      "Socket buffers use more memory than tcp_mem allows: under pressure the kernel shrinks\n"
      "buffers and prunes receive queues (drops, retransmits); above tcp_mem[2] it resets.";
  f.fix =
      "Find sockets with large queues (tcpscope sockets -tm, big Recv-Q/Send-Q: slow readers); "
      "raise net.ipv4.tcp_mem (global, pages) if the host has memory to spare; lower "
      "tcp_rmem/tcp_wmem maxima.";
}

}  // namespace tcpscope::doctor::detail

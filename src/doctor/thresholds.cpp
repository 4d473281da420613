// SPDX-License-Identifier: MIT
#include "doctor/thresholds.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string>

#include "base/file.hpp"

namespace tcpscope::doctor {

namespace {

using model::doctor::CheckId;

constexpr ThresholdInfo kCatalog[] = {
    {"accept-queue-fill", CheckId::kAcceptQueueSaturated, &Thresholds::accept_queue_fill,
     "% of a listener's accept-queue limit at which it is saturated (warning)"},
    {"listen-overflow-critical-rate", CheckId::kAcceptQueueOverflow,
     &Thresholds::listen_overflow_critical_rate,
     "ListenOverflows per second that make {check} critical (any is a warning)"},
    {"syn-queue-drop-critical-rate", CheckId::kSynQueueDrops,
     &Thresholds::syn_queue_drop_critical_rate,
     "TCPReqQFullDrop per second that make {check} critical (any is a warning)"},
    {"time-wait-fill", CheckId::kTimeWaitPressure, &Thresholds::time_wait_fill,
     "% of net.ipv4.tcp_max_tw_buckets in TIME-WAIT (warning)"},
    {"ephemeral-port-fill", CheckId::kEphemeralPortPressure, &Thresholds::ephemeral_port_fill,
     "% of ip_local_port_range used towards one destination (warning)"},
    {"ephemeral-port-fill-critical", CheckId::kEphemeralPortPressure,
     &Thresholds::ephemeral_port_fill_critical, "same, critical"},
    {"orphan-fill", CheckId::kOrphans, &Thresholds::orphan_fill,
     "% of net.ipv4.tcp_max_orphans (warning)"},
    {"orphan-fill-critical", CheckId::kOrphans, &Thresholds::orphan_fill_critical,
     "same, critical"},
    {"tcp-mem-fill", CheckId::kTcpMemoryPressure, &Thresholds::tcp_mem_fill,
     "% of tcp_mem[1] (the pressure threshold) in use (warning)"},
    {"tcp-mem-high-fill-critical", CheckId::kTcpMemoryPressure,
     &Thresholds::tcp_mem_high_fill_critical, "% of tcp_mem[2] (the hard limit) in use (critical)"},
    {"prune-rate", CheckId::kTcpMemoryPressure, &Thresholds::prune_rate,
     "PruneCalled per second (warning)"},
    {"close-wait-count", CheckId::kCloseWaitLeak, &Thresholds::close_wait_count,
     "CLOSE-WAIT sockets on one local port or towards one remote endpoint (warning)"},
    {"close-wait-count-critical", CheckId::kCloseWaitLeak, &Thresholds::close_wait_count_critical,
     "same, critical"},
    {"retrans-ratio", CheckId::kRetransmissions, &Thresholds::retrans_ratio,
     "% RetransSegs of OutSegs (warning)"},
    {"retrans-ratio-critical", CheckId::kRetransmissions, &Thresholds::retrans_ratio_critical,
     "same, critical"},
    {"retrans-min-segments", CheckId::kRetransmissions, &Thresholds::retrans_min_segments,
     "OutSegs needed in the window before the retransmission ratio is judged"},
    {"syn-retrans-ratio", CheckId::kSynRetransmits, &Thresholds::syn_retrans_ratio,
     "% TCPSynRetrans of ActiveOpens + PassiveOpens (warning)"},
    {"syn-retrans-min", CheckId::kSynRetransmits, &Thresholds::syn_retrans_min,
     "TCPSynRetrans needed in the window before the ratio is judged"},
    {"timeouts-rate", CheckId::kTimeouts, &Thresholds::timeouts_rate,
     "TCPTimeouts per second (warning)"},
    {"timeouts-rate-critical", CheckId::kTimeouts, &Thresholds::timeouts_rate_critical,
     "same, critical"},
    {"backlog-drop-rate", CheckId::kBacklogDrops, &Thresholds::backlog_drop_rate,
     "TCPBacklogDrop per second above which {check} warns"},
    {"busy-listener-fill", CheckId::kNoteSyncookies, &Thresholds::busy_listener_fill,
     "% accept-queue fill that makes a listener busy (for the tcp_syncookies=0 note)"},
    {"shared-hash-namespaces", CheckId::kNoteSharedSocketHash, &Thresholds::shared_hash_namespaces,
     "namespaces walking the host's established hash for the {check} note"},
    {"shared-hash-sockets", CheckId::kNoteSharedSocketHash, &Thresholds::shared_hash_sockets,
     "sockets in the host's established hash for the {check} note"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string threshold_meaning(const ThresholdInfo& t) {
  return fmt::format(fmt::runtime(t.meaning), fmt::arg("check", model::doctor::check_key(t.check)));
}

std::span<const ThresholdInfo> threshold_catalog() { return kCatalog; }

Status set_threshold(Thresholds& t, std::string_view name, std::string_view value) {
  std::string key(trim(name));
  for (char& c : key) {
    if (c == '_') c = '-';
  }
  const ThresholdInfo* info = nullptr;
  for (const auto& i : kCatalog) {
    if (i.name == key) info = &i;
  }
  if (info == nullptr) {
    return fail(Error::usage("unknown threshold \"" + key +
                             "\" (tcpscope doctor --list-thresholds shows them)"));
  }
  value = trim(value);
  double v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v) || v < 0) {
    return fail(Error::usage("threshold " + key + ": \"" + std::string(value) +
                             "\" is not a non-negative number"));
  }
  t.*(info->field) = v;
  return {};
}

Status set_threshold(Thresholds& t, std::string_view assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return fail(
        Error::usage("--threshold wants NAME=VALUE, got \"" + std::string(assignment) + "\""));
  }
  return set_threshold(t, assignment.substr(0, eq), assignment.substr(eq + 1));
}

Status parse_threshold_config(Thresholds& t, std::string_view content, std::string_view origin) {
  size_t line_no = 0;
  while (!content.empty()) {
    const size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = trim(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    Status st = eq == std::string_view::npos
                    ? fail(Error::usage("expected `name = value`, got \"" +
                                        escape_excerpt(line, 60) + "\""))
                    : set_threshold(t, line.substr(0, eq), line.substr(eq + 1));
    if (!st) {
      return fail(
          std::move(st.error()).context(std::string(origin) + ":" + std::to_string(line_no)));
    }
  }
  return {};
}

}  // namespace tcpscope::doctor

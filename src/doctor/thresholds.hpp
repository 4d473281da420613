// SPDX-License-Identifier: MIT
// The doctor's thresholds: defaults, `--threshold NAME=VALUE`, and `--config FILE`.
//
// Config format (parsed here, no library): one `name = value` per line; `#` starts a comment;
// blank lines are ignored; names are the ones `threshold_catalog()` lists (also accepted with
// '_' for '-'). An unknown name or a value that is not a non-negative number is an error naming
// the line. Flags are applied after the file, so they win.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "model/doctor_report.hpp"

namespace tcpscope::doctor {

struct Thresholds {
  double accept_queue_fill = 80;             // % of the accept-queue limit: saturated
  double listen_overflow_critical_rate = 1;  // ListenOverflows per second: critical
  double syn_queue_drop_critical_rate = 1;   // TCPReqQFullDrop per second: critical
  double time_wait_fill = 80;                // % of tcp_max_tw_buckets: pressure
  double ephemeral_port_fill = 80;           // % of ip_local_port_range per destination: warning
  double ephemeral_port_fill_critical = 95;  // same, critical
  double orphan_fill = 25;  // % of tcp_max_orphans: warning (kernel penalises 2x/4x)
  double orphan_fill_critical = 50;
  double tcp_mem_fill = 100;               // % of tcp_mem[1] (pressure): warning
  double tcp_mem_high_fill_critical = 90;  // % of tcp_mem[2] (hard limit): critical
  double prune_rate = 10;                  // PruneCalled per second: warning
  double close_wait_count = 100;           // CLOSE-WAIT sockets on one port: warning
  double close_wait_count_critical = 1000;
  double retrans_ratio = 2;  // % RetransSegs / OutSegs: warning
  double retrans_ratio_critical = 10;
  double retrans_min_segments = 1000;  // OutSegs in the window before the ratio counts
  double syn_retrans_ratio = 10;       // % TCPSynRetrans / (ActiveOpens + PassiveOpens)
  double syn_retrans_min = 10;         // TCPSynRetrans in the window before it counts
  double timeouts_rate = 5;            // TCPTimeouts per second: warning
  double timeouts_rate_critical = 100;
  double backlog_drop_rate = 0;         // TCPBacklogDrop per second above which: warning
  double busy_listener_fill = 50;       // % fill that makes a listener "busy" (notes)
  double shared_hash_namespaces = 20;   // namespaces walking the host's hash (note) ...
  double shared_hash_sockets = 50'000;  // ... while it holds this many sockets
};

struct ThresholdInfo {
  std::string_view name;         // "accept-queue-fill"
  model::doctor::CheckId check;  // the check (or note) it tunes
  double Thresholds::*field;
  std::string_view meaning;  // "{check}" stands for the check's id
};

std::span<const ThresholdInfo> threshold_catalog();
// The meaning as printed (the check's id in place of "{check}").
std::string threshold_meaning(const ThresholdInfo& t);

// NAME=VALUE (a flag's argument).
Status set_threshold(Thresholds& t, std::string_view assignment);
Status set_threshold(Thresholds& t, std::string_view name, std::string_view value);
// The content of a config file; `origin` names it in errors.
Status parse_threshold_config(Thresholds& t, std::string_view content, std::string_view origin);

}  // namespace tcpscope::doctor

// SPDX-License-Identifier: MIT
// Internal to src/doctor: what the rule families share. rules.cpp holds the driver
// (diagnose()) and the helpers; each family of checks has its own file:
//   rules_queues.cpp           accept-queue and SYN-queue checks, and the notes on settings
//   rules_connections.cpp      TIME-WAIT, ephemeral ports, CLOSE-WAIT (the tally's endpoints)
//   rules_memory.cpp           orphans and TCP memory
//   rules_retransmissions.cpp  retransmissions, SYN retransmits, timeouts, backlog drops
//   rules_namespaces.cpp       the note on namespaces sharing the host's established hash
// A check adds a Finding through Builder::add(), or marks itself skipped or covered; any check
// in model::doctor::check_ids() left unmarked is reported as passed.
#pragma once

#include <fmt/format.h>

#include <array>
#include <string>
#include <vector>

#include "doctor/rules.hpp"

namespace tcpscope::doctor::detail {

inline double pct(double n, double of) { return of > 0 ? 100.0 * n / of : 0; }

class Builder {
 public:
  Builder(const Snapshot& s, const Thresholds& t, Report& r) : s_(s), t_(t), r_(r) {}

  Finding& add(CheckId id, Severity sev, std::string title);
  Finding& note(CheckId id, std::string title);
  void skip(CheckId id, std::string reason);
  // Judged by a stronger finding (time-wait-overflow covers time-wait-pressure).
  void cover(CheckId id) { fired_[static_cast<size_t>(id)] = true; }
  bool fired(CheckId id) const { return fired_[static_cast<size_t>(id)]; }

  // The counter's change in the window (and its total since boot with --since-boot).
  void counter(Finding& f, Counter c) const;
  // "TcpExtListenOverflows +45 in 2.0s (22.5/s)[; N since boot]"
  std::string counter_line(Counter c) const;

  const Snapshot& s_;
  const Thresholds& t_;
  Report& r_;

 private:
  std::array<bool, std::size(model::doctor::kCheckTable)> fired_{};
};

std::string listener_addr(const model::ListenerInfo& l);
// Which of min(listen() backlog, somaxconn) is this listener's limit: "somaxconn", "backlog",
// or "" when somaxconn is unreadable.
std::string capped_by(const model::ListenerInfo& l, const model::Tunables& t);
ListenerEvidence listener_evidence(const ListenerSample& ls, const model::Tunables& t);
// "127.0.0.1:8080: accept queue 5/4 (125%) FULL, 45 drops in window, 9 SYN-RECV"
std::string listener_line(const ListenerSample& ls);
// What to raise for this listener's limit (somaxconn or the application's backlog).
std::string cap_fix(const ListenerSample& ls, const model::Tunables& t);
// The first `n` of `top` as evidence lines and endpoints; `limit` is the port-range size for
// ephemeral ports (0: none).
void add_endpoints(Finding& f, const std::vector<EndpointCount>& top, uint64_t limit, size_t n,
                   bool with_local);

// The checks, called by diagnose() in report order.
void check_accept_queue(Builder& b);
void check_syn(Builder& b);
void check_time_wait(Builder& b);
void check_ports(Builder& b);
void check_orphans(Builder& b);
void check_memory(Builder& b);
void check_close_wait(Builder& b);
void check_rates(Builder& b);
void add_notes(Builder& b);
void note_shared_hash(Builder& b);

}  // namespace tcpscope::doctor::detail

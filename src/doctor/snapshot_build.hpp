// SPDX-License-Identifier: MIT
// Assembling a doctor::Snapshot from two reads a window apart: the one place that decides how,
// shared by `tcpscope doctor` and the agent. A caller dumps the namespace through the tally
// pressure_tally() makes (riding along its census), then calls build_snapshot() once.
//
//   doctor::PressureTally tally = doctor::pressure_tally(tunables);
//   model::TeeVisitor tee(census, tally);
//   take_census(src, tee, ...);  census.sort_listeners();
//   const doctor::Snapshot s = doctor::build_snapshot({census, tally, baseline, ...});
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "doctor/snapshot.hpp"
#include "doctor/tally.hpp"
#include "model/census.hpp"
#include "model/counters.hpp"
#include "model/host.hpp"

namespace tcpscope::doctor {

// The tally for a full dump of a namespace with these tunables: its ephemeral ports are
// net.ipv4.ip_local_port_range, or the kernel's default (32768-60999) when unreadable.
PressureTally pressure_tally(const model::Tunables& t);

// What one snapshot is made of. Levels come from the second read (`census`, `tally`,
// `tunables`, `sockstat`); counter changes are `current - previous`, `seconds` apart.
struct SnapshotReads {
  const model::Census& census;                    // the full dump of the second read
  const PressureTally& tally;                     // fed by the same dump
  std::span<const model::ListenerInfo> baseline;  // listeners at the first read (their drops)
  const model::CounterSnapshot& previous;
  const model::CounterSnapshot& current;
  double seconds = 0;
  bool since_boot = false;  // also keep each counter's total
  const model::Tunables& tunables;
  const std::optional<model::SockStat>& sockstat;
};

Snapshot build_snapshot(const SnapshotReads& r);

// A snapshot of a full tick that did not walk the established hash (its census holds the
// listeners only) takes the parts only a walk gives from the last one that did: the states,
// orphans, tallies and each listener's SYN-RECV (by cookie; a listener newer than the walk has
// none). The agent's doctor between two census walks.
void carry_walk(Snapshot& s, const Snapshot& walked);

// The rules' counters: `current - previous` (0 for a counter that went backwards: a reset or a
// wrap), `seconds` apart; with `since_boot`, `total` holds the current values too.
void fill_counter_window(const model::CounterSnapshot& previous,
                         const model::CounterSnapshot& current, double seconds, bool since_boot,
                         CounterWindow& w);

// One ListenerSample per listener of `now`, with its drops over the window when the same socket
// (cookie) is in `baseline`.
void fill_listener_samples(std::span<const model::ListenerInfo> now,
                           std::span<const model::ListenerInfo> baseline,
                           std::vector<ListenerSample>& out);

}  // namespace tcpscope::doctor

// SPDX-License-Identifier: MIT
// nstat's semantics over counter snapshots: which counters a run prints, what it stores in its
// history file, and reading that file back. Pure functions; the formats are written by
// render/counters.hpp, the history file's I/O (locking, ownership, aging by mtime) is in
// cli/cmd_counters.cpp over base/locked_file.hpp.
//
// Where tcpscope departs from nstat on purpose (docs/cli.md lists these):
//   * a counter that went backwards is printed (0, " (overflow)") even without -z; nstat prints
//     its zero delta only with -z, so the reset goes unnoticed;
//   * a pattern that names one of the seven hidden values exactly ("TcpCurrEstab") shows it, as
//     an absolute value (they are gauges and constants); globs never match them, as in nstat;
//   * the history's source line records the network namespace ("#kernel netns=4026531840"), so a
//     history taken in another namespace is stale instead of giving bogus deltas.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/counters.hpp"

namespace tcpscope::model::nstat {

// The source name nstat prints ("#kernel", the JSON key) for values read from /proc.
inline constexpr std::string_view kSource = "kernel";

struct Options {
  bool absolute = false;  // -a: absolute values, not deltas against the history
  bool zeros = false;     // -z: also counters whose value and rate are 0
};

struct Row {
  uint32_t index = 0;  // in the snapshot the rows were selected from
  uint64_t value = 0;  // as printed: a delta or an absolute value
  double rate = 0.0;   // per second; nstat's kernel source always prints 0.0
  bool overflow = false;
};

// One run of nstat: the rows it prints for `current`, as deltas against `history`, or absolute
// values when `history` is null (no usable history) or opts.absolute. Order is file order.
void select_rows(const CounterSnapshot& current, const CounterSnapshot* history,
                 const Options& opts, const CounterPatterns& patterns, std::vector<Row>& rows);

// Live mode: one row per counter that changed between two reads (every counter with -z), value =
// the delta (the absolute value with opts.absolute), rate = per second.
void select_interval_rows(const CounterSnapshot& current, const CounterDeltas& deltas,
                          const Options& opts, const CounterPatterns& patterns,
                          std::vector<Row>& rows);

// What a run stores in the history file: current values of the counters it would show, except
// that counters not matching the patterns keep their stored value when there is one (so their
// next delta covers the whole time since they were last shown); zero values only with `zeros`.
void next_history(const CounterSnapshot& current, const CounterSnapshot* history, bool zeros,
                  const CounterPatterns& patterns, CounterSnapshot& out);

struct History {
  std::string source;  // the '#' line without '#'; empty when the file has none
  CounterSnapshot counters;
};

// Parses history content ("#source" line, then "name value [rate]" per line, blank lines
// skipped). Errors (kMalformed) name the line number.
Status parse_history(std::string_view content, History& out);

// "kernel" or "kernel netns=<inode>" when the namespace is known (inode 0: unknown).
std::string source_line(uint64_t netns_inode);
// The stored source does not describe these counters: another source (an nstat daemon), or the
// same kernel source recorded in another network namespace. A file without a source line, or
// one that names no namespace (written by nstat), is not stale.
bool history_stale(std::string_view stored, std::string_view current);
// nstat's rule: a history last written before the last boot (mtime + uptime <= now) is
// discarded. uptime_s < 0: unknown, never aged.
bool history_aged_out(int64_t mtime_s, int64_t now_s, int64_t uptime_s);

}  // namespace tcpscope::model::nstat

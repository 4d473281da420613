// SPDX-License-Identifier: MIT
// The doctor's report as text (worst first, then one "all clear" line) and as JSON (schema in
// docs/doctor.md). Pure: both append to a fmt::memory_buffer; the report is computed by
// src/doctor (doctor::diagnose()).
#pragma once

#include <fmt/format.h>

#include <span>
#include <string_view>

#include "model/doctor_report.hpp"
#include "model/netns.hpp"

namespace tcpscope::render {

struct DoctorFormatOptions {
  bool color = false;       // ANSI colors (the caller decides: a TTY and no NO_COLOR)
  std::string_view netns;   // "" for the namespace tcpscope runs in
  bool since_boot = false;  // show totals since boot with the counters
  // --netns all: the namespace's names (container, pod) and where its numbers came from (a walk
  // of its established hash, or only the reads that cost the same in every namespace). Null:
  // the report keeps its single-namespace shape.
  const model::NetnsNames* names = nullptr;
  const model::CensusSource* census = nullptr;
};

void doctor_text(fmt::memory_buffer& out, const model::doctor::Report& r,
                 const DoctorFormatOptions& o);
void doctor_json(fmt::memory_buffer& out, const model::doctor::Report& r,
                 const DoctorFormatOptions& o);
// The same object on one line (JSON Lines: `doctor --interval --json`, one report per line).
void doctor_json_line(fmt::memory_buffer& out, const model::doctor::Report& r,
                      const DoctorFormatOptions& o);

// A namespace of --netns all that could not be checked: a text line, or a JSON object with
// status "unknown", exit_code 3 and the error (no trailing newline).
void doctor_unknown(fmt::memory_buffer& out, const model::NetnsNames& names, std::string_view error,
                    bool json);

// One line of --list-thresholds: name, value in force, what it tunes.
struct ThresholdRow {
  std::string_view name;
  double value;
  std::string_view meaning;
};
void threshold_list(fmt::memory_buffer& out, std::span<const ThresholdRow> rows);

}  // namespace tcpscope::render

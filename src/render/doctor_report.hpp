// SPDX-License-Identifier: MIT
// The doctor's report as text (worst first, then one "all clear" line) and as JSON (schema in
// docs/doctor.md). Pure: both append to a fmt::memory_buffer; the report is computed by
// src/doctor (doctor::diagnose()).
#pragma once

#include <fmt/format.h>

#include <span>
#include <string_view>

#include "model/doctor_report.hpp"

namespace tcpscope::render {

struct DoctorFormatOptions {
  bool color = false;       // ANSI colors (the caller decides: a TTY and no NO_COLOR)
  std::string_view netns;   // "" for the namespace tcpscope runs in
  bool since_boot = false;  // show totals since boot with the counters
};

void doctor_text(fmt::memory_buffer& out, const model::doctor::Report& r,
                 const DoctorFormatOptions& o);
void doctor_json(fmt::memory_buffer& out, const model::doctor::Report& r,
                 const DoctorFormatOptions& o);
// The same object on one line (JSON Lines: `doctor --interval --json`, one report per line).
void doctor_json_line(fmt::memory_buffer& out, const model::doctor::Report& r,
                      const DoctorFormatOptions& o);

// One line of --list-thresholds: name, value in force, what it tunes.
struct ThresholdRow {
  std::string_view name;
  double value;
  std::string_view meaning;
};
void threshold_list(fmt::memory_buffer& out, std::span<const ThresholdRow> rows);

}  // namespace tcpscope::render

// The doctor's report as text (worst first, then one "all clear" line) and as JSON (schema in
// docs/doctor.md). Pure: both write into a fmt::memory_buffer.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "doctor/rules.hpp"

namespace tcpscope::doctor {

struct FormatOptions {
  bool color = false;       // ANSI colors (the caller decides: a TTY and no NO_COLOR)
  std::string_view netns;   // "" for the namespace tcpscope runs in
  bool since_boot = false;  // show totals since boot with the counters
};

void format_text(fmt::memory_buffer& out, const Report& r, const FormatOptions& o);
void format_json(fmt::memory_buffer& out, const Report& r, const FormatOptions& o);

}  // namespace tcpscope::doctor

// SPDX-License-Identifier: MIT
// `counters`: nstat's text, JSON and history formats, byte for byte, the live mode's JSON Lines,
// and the --explain page. Which rows a run prints is model/nstat.hpp's business; this only
// writes them.
//
//   text:     "#kernel\n" then "%-32s%-16llu%6.1f" per counter, " (overflow)" when it went back
//   JSON:     {"kernel":{"TcpActiveOpens":35,...}}       (pretty: iproute2's 4-space layout)
//   history:  the text format, first line "#<source>", rates 0.0
#pragma once

#include <fmt/format.h>

#include <optional>
#include <span>
#include <string_view>

#include "model/counter_catalog.hpp"
#include "model/counters.hpp"
#include "model/nstat.hpp"
#include "model/tunable_catalog.hpp"

namespace tcpscope::render {

// "#<header>\n" then one nstat line per row.
void append_nstat_text(fmt::memory_buffer& out, std::string_view header,
                       const model::CounterSnapshot& snap, std::span<const model::nstat::Row> rows);
// {"<source>":{"Name":value,...}} and a newline; pretty = nstat -p's layout.
void append_nstat_json(fmt::memory_buffer& out, std::string_view source,
                       const model::CounterSnapshot& snap, std::span<const model::nstat::Row> rows,
                       bool pretty);
// Live mode: {"<source>":{deltas},"rates":{"Name":per_second,...},"seconds":elapsed} and a
// newline (one object per tick: JSON Lines unless pretty).
void append_nstat_interval_json(fmt::memory_buffer& out, std::string_view source,
                                const model::CounterSnapshot& snap,
                                std::span<const model::nstat::Row> rows, double seconds,
                                bool pretty);
// History file content for `counters`, in nstat's layout (model::nstat::parse_history reads it).
void append_nstat_history(fmt::memory_buffer& out, std::string_view source,
                          const model::CounterSnapshot& counters);

// What --explain prints about one counter.
struct CounterExplanation {
  std::string_view name;           // as nstat names it
  const model::CounterInfo* info;  // nullptr: a counter of this kernel the catalog lacks
  std::optional<uint64_t> value;   // its value, when the counter files have it
  bool have_values;                // the counter files could be read
  std::span<const model::TunableInfo> related;  // the related tunables ...
  std::span<const model::TunableValue> values;  // ... and their values (empty: unreadable)
};
void append_counter_explanation(fmt::memory_buffer& out, const CounterExplanation& e);

}  // namespace tcpscope::render

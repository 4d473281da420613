// SPDX-License-Identifier: MIT
// `tcpscope top`'s text: the cells of its panes (shared by the screen and batch mode), batch
// mode's plain-text refresh and the JSON Lines object of one refresh. Pure: reads a
// model::TopSnapshot and appends to a buffer.
#pragma once

#include <fmt/format.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/conn_view.hpp"
#include "model/names.hpp"
#include "model/top_snapshot.hpp"

namespace tcpscope::render {

struct TopTextOptions {
  model::ViewOptions view;
  double interval_s = 2;
  bool services = false;               // port numbers as service names (the `n` key)
  model::NameLookup* names = nullptr;  // for service names; may be null
  size_t max_rows = SIZE_MAX;          // connection rows (batch mode: all)
};

// Columns of the listeners pane, in order.
enum class ListenerColumn : uint8_t { kLocal, kProcess, kQueue, kLimit, kFill, kSynRecv, kDrops };
struct ListenerColumnInfo {
  ListenerColumn id;
  std::string_view header;
  bool numeric;
};
inline constexpr ListenerColumnInfo kListenerColumns[] = {
    {ListenerColumn::kLocal, "Local Address:Port", false},
    {ListenerColumn::kProcess, "Process", false},
    {ListenerColumn::kQueue, "Accept-Q", true},
    {ListenerColumn::kLimit, "Limit", true},
    {ListenerColumn::kFill, "Fill%", true},
    {ListenerColumn::kSynRecv, "SYN-RECV", true},
    {ListenerColumn::kDrops, "Drops/s", true},
};

// Human numbers: bytes per second ("0", "950", "12.3K", "4.5M": powers of 1024), a count per
// second ("0", "0.5", "12", "1.2K"), an age ("45s", "3m12s", "2h05m", "3d04h").
void append_byte_rate(fmt::memory_buffer& out, double v);
void append_count_rate(fmt::memory_buffer& out, double v);
void append_age(fmt::memory_buffer& out, double seconds);

// One cell of a connection row / a group row / a listener row ("-" where there is no value).
void append_conn_cell(fmt::memory_buffer& out, const model::TopSnapshot& s, const model::ConnRow& r,
                      model::ConnColumn c, const TopTextOptions& o);
void append_group_cell(fmt::memory_buffer& out, const model::TopSnapshot& s,
                       const model::ConnGroup& g, model::ConnColumn c, const TopTextOptions& o);
void append_listener_cell(fmt::memory_buffer& out, const model::TopSnapshot& s,
                          const model::TopListener& l, ListenerColumn c);

// The header's lines: title, states, limits, counter rates, doctor.
void append_top_title(fmt::memory_buffer& out, const model::TopSnapshot& s, double interval_s,
                      bool paused);
void append_top_states(fmt::memory_buffer& out, const model::TopSnapshot& s);
void append_top_limits(fmt::memory_buffer& out, const model::TopSnapshot& s);
void append_top_doctor(fmt::memory_buffer& out, const model::TopSnapshot& s);
// "ListenOverflows 0" for counter i (its rate per second; "-" before the second refresh).
void append_top_counter(fmt::memory_buffer& out, const model::TopSnapshot& s, size_t i);

// Batch mode: one refresh as plain text (every listener, every connection or group up to
// max_rows). Refreshes are printed one after another, an empty line between them.
void append_top_batch(fmt::memory_buffer& out, const model::TopSnapshot& s,
                      const TopTextOptions& o);
// JSON Lines: one refresh as one object on one line (schema in docs/top.md).
void append_top_json(fmt::memory_buffer& out, const model::TopSnapshot& s, const TopTextOptions& o);

}  // namespace tcpscope::render

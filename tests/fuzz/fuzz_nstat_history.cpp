// SPDX-License-Identifier: MIT
// Fuzz target: the nstat history parser (model/nstat.hpp). Whatever parses must survive a round
// trip through append_history unchanged, and the delta/output path must accept it as a history.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/nstat.hpp"
#include "render/counters.hpp"

using namespace tcpscope::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  nstat::History h;
  if (!nstat::parse_history(content, h)) return 0;
  fmt::memory_buffer text;
  tcpscope::render::append_nstat_history(text, h.source, h.counters);
  nstat::History again;
  if (!nstat::parse_history(std::string_view(text.data(), text.size()), again)) __builtin_trap();
  if (again.source != h.source || again.counters.size() != h.counters.size()) __builtin_trap();
  for (size_t i = 0; i < h.counters.size(); ++i) {
    if (again.counters.name(i) != h.counters.name(i)) __builtin_trap();
    if (again.counters.value(i) != h.counters.value(i)) __builtin_trap();
  }
  // The history against itself: every delta is 0, nothing printed without -z.
  std::vector<nstat::Row> rows;
  nstat::select_rows(h.counters, &again.counters, {}, CounterPatterns(), rows);
  for (const nstat::Row& r : rows) {
    if (r.value != 0 && !nstat_hides(h.counters.name(r.index))) __builtin_trap();
  }
  fmt::memory_buffer out;
  nstat::select_rows(h.counters, nullptr, {.absolute = true, .zeros = true}, CounterPatterns(),
                     rows);
  tcpscope::render::append_nstat_text(out, nstat::kSource, h.counters, rows);
  tcpscope::render::append_nstat_json(out, nstat::kSource, h.counters, rows, true);
  return 0;
}

// SPDX-License-Identifier: MIT
// Built-in explanations of the well-known counters (`tcpscope counters --explain NAME`): what
// increments each one in the kernel, what it means for an operator, and which tunables and
// application settings relate to it. Written from  (increment sites checked in the
// 6.1 source and re-checked on 6.18) in our own words. One table; the doctor reuses it.
#pragma once

#include <array>
#include <span>
#include <string_view>
#include <vector>

namespace tcpscope::model {

struct CounterInfo {
  std::string_view name;                      // as nstat prints it: "TcpExtListenOverflows"
  std::string_view short_name;                // without the section prefix: "ListenOverflows"
  bool gauge = false;                         // a level, not a running total
  std::string_view increments;                // what the kernel counts, and where
  std::string_view meaning;                   // what a rise means in practice
  std::string_view related;                   // application settings and tools worth checking
  std::array<std::string_view, 4> sysctls{};  // related tunables (model/tunable_catalog.hpp)
};

std::span<const CounterInfo> counter_catalog();

// Looks `name` up case-insensitively, first as a full nstat name, then as a short name
// ("listenoverflows" finds TcpExtListenOverflows). Short names are unique in the catalog.
const CounterInfo* find_counter_info(std::string_view name);

}  // namespace tcpscope::model

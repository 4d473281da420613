// SPDX-License-Identifier: MIT
// What the doctor's rules look at: one plain struct, filled by cli/cmd_doctor.cpp from two reads
// a window apart (or by a test, by hand). The rules (rules.hpp) are pure functions of it.
//
// Levels (socket counts, queue lengths, sockstat, tunables) come from the second read; counter
// changes are second - first over `window.seconds`. Common mistake: filling `window` from one
// read only; a counter's absolute value since boot says nothing about now (that is `totals`).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doctor/tally.hpp"
#include "model/census.hpp"
#include "model/host.hpp"
#include "model/netns.hpp"

namespace tcpscope::doctor {

// The counters the rules use, by nstat's names (counter_name()).
enum class Counter : uint8_t {
  kListenOverflows,
  kListenDrops,
  kSyncookiesSent,
  kSyncookiesRecv,
  kSyncookiesFailed,
  kReqQFullDoCookies,
  kReqQFullDrop,
  kTimeWaitOverflow,
  kTwRecycled,
  kAbortOnMemory,
  kAbortOnTimeout,
  kMemoryPressures,
  kPruneCalled,
  kRetransSegs,
  kOutSegs,
  kSynRetrans,
  kActiveOpens,
  kPassiveOpens,
  kTimeouts,
  kBacklogDrop,
  kEmbryonicRsts,
  kCount,
};
inline constexpr size_t kCounterCount = static_cast<size_t>(Counter::kCount);
std::string_view counter_name(Counter c);

struct CounterWindow {
  double seconds = 0;  // between the two counter reads (monotonic clock)
  std::array<uint64_t, kCounterCount> delta{};
  std::array<bool, kCounterCount> present{};  // the counter exists on this kernel
  bool has_totals = false;                    // --since-boot: `total` holds the second read
  std::array<uint64_t, kCounterCount> total{};

  uint64_t d(Counter c) const { return delta[static_cast<size_t>(c)]; }
  bool has(Counter c) const { return present[static_cast<size_t>(c)]; }
  double rate(Counter c) const { return seconds > 0 ? static_cast<double>(d(c)) / seconds : 0; }
};

// A listener of the second read, with its drops (SK_MEMINFO_DROPS) over the window when it was
// also seen in the first read (same socket cookie).
struct ListenerSample {
  model::ListenerInfo info;
  std::optional<uint64_t> drops_in_window;
};

using model::SharedHash;

struct Snapshot {
  std::vector<ListenerSample> listeners;
  std::array<model::FamilyCounts, model::kStateCount> tcp{};
  uint64_t orphans_in_netns = 0;
  CounterWindow counters;
  model::Tunables tunables;
  std::optional<model::SockStat> sockstat;
  // Per-endpoint tallies from the same full dump (bounded: see tally.hpp).
  std::vector<EndpointCount> time_wait_by_remote;   // TIME-WAIT per remote addr:port
  std::vector<EndpointCount> ports_by_destination;  // local addr -> remote addr:port
  std::vector<EndpointCount> close_wait;            // per local port, or per remote (clients)
  uint64_t tally_error_bound = 0;                   // counts above may be low by at most this much
  // False when no walk of the established hash fed this snapshot (a namespace on the host's hash
  // left to the budget, model/netns.hpp): `tcp`, `orphans_in_netns`, the tallies and the
  // listeners' SYN-RECV are unknown, and the checks that need them are skipped with `not_walked`
  // as the reason.
  bool census_walked = true;
  std::string not_walked;
  // The host's established hash when many namespaces share it (doctor --netns all, the host's
  // report): what makes every per-namespace dump cost a walk of the whole host.
  std::optional<SharedHash> shared_hash;

  uint64_t state(model::TcpState s) const { return tcp[static_cast<size_t>(s)].total(); }
};

}  // namespace tcpscope::doctor

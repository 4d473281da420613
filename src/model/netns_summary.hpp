// SPDX-License-Identifier: MIT
// `summary --netns all`: one row per network namespace, as plain data. What every namespace gets
// costs the same whatever its established hash (sockstat, snmp's CurrEstab, the listening hash);
// the socket states come from a walk, which a namespace on the host's hash gets only within the
// run's budget (model/netns.hpp, source/walk_budget.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/census.hpp"
#include "model/host.hpp"
#include "model/netns.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::model {

struct NetnsSummary {
  NetnsNames names;
  CensusSource census;
  std::string error;  // not empty: the namespace could not be read
  // Every namespace:
  SockStat sockstat;
  std::optional<uint64_t> curr_estab;  // Tcp: CurrEstab (ESTABLISHED + CLOSE-WAIT)
  uint64_t listeners = 0;
  // census.walked only:
  std::array<FamilyCounts, kStateCount> tcp{};
  std::array<FamilyCounts, kStateCount> udp{};
  uint64_t orphans = 0;
};

struct NetnsSummaryRun {
  std::vector<NetnsSummary> rows;    // the own namespace first, then by label
  std::optional<SharedHash> shared;  // when tcpscope runs in the host's namespace
  double walk_budget_s = 0;
  double walk_spent_s = 0;  // CPU of the walks of the host's hash
  uint64_t walks = 0;       // walks of the host's hash
};

}  // namespace tcpscope::model

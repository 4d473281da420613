// SPDX-License-Identifier: MIT
// The census dumps shared by `summary`, `doctor` and the agent: listeners first (only the
// listening hash, with SKMEMINFO for per-listener drops), then every other TCP state at header
// level (no attribute walk), then UDP. Each visitor sees every record.
//
// A CensusRunner runs each dump; the plain one hands the request to the source, `summary`'s
// wraps its filter (which narrows the states and applies its expression to each dump).
#pragma once

#include <cstdint>

#include "base/result.hpp"
#include "model/dump.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::source {

struct CensusDumps {
  bool listeners = true;  // TCP LISTEN, with SKMEMINFO
  bool tcp_rest = true;   // every other TCP state but CLOSE
  bool udp = true;
};

class CensusRunner {
 public:
  virtual ~CensusRunner() = default;
  virtual Result<model::DumpStats> run(const model::DumpRequest& req,
                                       model::SocketVisitor& visitor) = 0;
  // The states a filter allows (kMaskAll without one).
  virtual model::StateMask states() const { return model::kMaskAll; }
  // True when records must be decoded in full (an expression may look at marks and cgroups).
  virtual bool full_decode() const { return false; }
};

// Adds each dump's statistics to `totals` (messages, duplicates, restarts; interrupted is or-ed).
Status take_census(CensusRunner& runner, model::SocketVisitor& visitor, model::DumpStats& totals,
                   CensusDumps which = {});
// The same without a filter.
Status take_census(SocketSource& src, model::SocketVisitor& visitor, model::DumpStats& totals,
                   CensusDumps which = {});

}  // namespace tcpscope::source

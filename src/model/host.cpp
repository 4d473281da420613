// SPDX-License-Identifier: MIT
#include "model/host.hpp"

namespace tcpscope::model {

SsSummary ss_summary(const HostState& h) {
  const auto& s = h.sockstat;
  SsSummary r{};
  r.total = s.sockets_used;
  r.tcp_total = s.tcp_alloc + s.tcp_tw;
  r.estab = h.curr_estab.value_or(0);
  r.closed = static_cast<int64_t>(s.tcp_alloc) -
             (static_cast<int64_t>(s.tcp_inuse + s.tcp6_inuse) - static_cast<int64_t>(s.tcp_tw));
  r.orphaned = s.tcp_orphan;
  r.timewait = s.tcp_tw;
  return r;
}

}  // namespace tcpscope::model

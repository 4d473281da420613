// SPDX-License-Identifier: MIT
// Checks over connection states and their endpoints (the tally of the full dump): TIME-WAIT,
// ephemeral ports per destination, CLOSE-WAIT.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "doctor/rule_builder.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::doctor::detail {

using model::TcpState;

namespace {

// Both TIME-WAIT findings: the level against its cap, and who the connections went to.
void time_wait_evidence(Finding& f, const Snapshot& s, uint64_t tw, int64_t max_tw) {
  f.metrics.push_back({"time_wait", static_cast<double>(tw), ""});
  f.metrics.push_back({"tcp_max_tw_buckets", static_cast<double>(max_tw), ""});
  f.evidence.emplace_back("Top remote endpoints in TIME-WAIT:");
  add_endpoints(f, s.time_wait_by_remote, 0, 5, false);
}

}  // namespace

void check_time_wait(Builder& b) {
  const auto& s = b.s_;
  const auto& w = s.counters;
  const uint64_t tw = s.sockstat ? s.sockstat->tcp_tw : s.state(TcpState::kTimeWait);
  const auto max_tw = s.tunables.tcp_max_tw_buckets;
  const uint64_t overflow = w.d(Counter::kTimeWaitOverflow);
  const bool at_cap = max_tw && *max_tw > 0 && tw >= static_cast<uint64_t>(*max_tw);
  if (overflow > 0 || at_cap) {
    Finding& f = b.add(CheckId::kTimeWaitOverflow, Severity::kWarning,
                       fmt::format("TIME-WAIT table full: {} of net.ipv4.tcp_max_tw_buckets {}; "
                                   "closing connections skip TIME-WAIT",
                                   tw, max_tw.value_or(0)));
    f.evidence.push_back(b.counter_line(Counter::kTimeWaitOverflow));
    f.evidence.push_back(fmt::format("TIME-WAIT sockets: {} (limit {})", tw, max_tw.value_or(0)));
    b.counter(f, Counter::kTimeWaitOverflow);
    time_wait_evidence(f, s, tw, max_tw.value_or(0));
    f.explanation =
        "Beyond the cap, a closing socket is destroyed at once instead of waiting 60 s: the\n"
        "peer's late FIN/ACK draws a RST, and old segments can land in a new connection.";
    f.fix =
        "Fewer short connections: keep-alive / connection pools towards the endpoints above, or "
        "let the clients close first (TIME-WAIT stays on the side that closes first). Or raise "
        "net.ipv4.tcp_max_tw_buckets (per namespace; each entry is a small mini-socket). "
        "tcp_fin_timeout does not shorten TIME-WAIT (fixed at 60 s).";
    b.cover(CheckId::kTimeWaitPressure);
    return;
  }
  if (max_tw && *max_tw > 0 &&
      pct(static_cast<double>(tw), static_cast<double>(*max_tw)) >= b.t_.time_wait_fill) {
    Finding& f =
        b.add(CheckId::kTimeWaitPressure, Severity::kWarning,
              fmt::format("TIME-WAIT at {:.0f}% of net.ipv4.tcp_max_tw_buckets ({} of {})",
                          pct(static_cast<double>(tw), static_cast<double>(*max_tw)), tw, *max_tw));
    time_wait_evidence(f, s, tw, *max_tw);
    f.explanation =
        "This host closes many short connections first; at the cap, closing sockets skip\n"
        "TIME-WAIT (TCPTimeWaitOverflow) and the peers' late segments draw resets.";
    f.fix =
        "Reuse connections (keep-alive, pools) towards the endpoints above, or raise "
        "net.ipv4.tcp_max_tw_buckets (per namespace).";
  }
}

void check_ports(Builder& b) {
  const auto& s = b.s_;
  if (!s.census_walked) {
    b.skip(CheckId::kEphemeralPortPressure, s.not_walked);
    return;
  }
  const auto& r = s.tunables.ip_local_port_range;
  if (!r) {
    b.skip(CheckId::kEphemeralPortPressure, "net.ipv4.ip_local_port_range could not be read");
    return;
  }
  const uint64_t range = (*r)[1] >= (*r)[0] ? static_cast<uint64_t>((*r)[1] - (*r)[0] + 1) : 0;
  if (range == 0 || s.ports_by_destination.empty()) return;
  std::vector<EndpointCount> hot;
  Severity sev = Severity::kOk;
  for (const auto& e : s.ports_by_destination) {
    const double p = pct(static_cast<double>(e.count), static_cast<double>(range));
    if (p < b.t_.ephemeral_port_fill) continue;
    hot.push_back(e);
    sev = std::max(
        sev, p >= b.t_.ephemeral_port_fill_critical ? Severity::kCritical : Severity::kWarning);
  }
  if (hot.empty()) return;
  Finding& f = b.add(CheckId::kEphemeralPortPressure, sev,
                     fmt::format("Ephemeral ports nearly exhausted towards {}: {} of {} in use",
                                 format_endpoint(hot.front().key.family, hot.front().key.remote,
                                                 hot.front().key.port),
                                 hot.front().count, range));
  f.evidence.push_back(
      fmt::format("net.ipv4.ip_local_port_range = {} {} ({} ports)", (*r)[0], (*r)[1], range));
  f.metrics.push_back({"ip_local_port_range_size", static_cast<double>(range), ""});
  add_endpoints(f, hot, range, 5, true);
  if (s.tally_error_bound > 0) {
    f.evidence.push_back(fmt::format("  (counts may be low by up to {})", s.tally_error_bound));
  }
  f.explanation =
      "Each connection from one local address to one remote address:port needs its own local\n"
      "port; when the range is used up, connect() fails with EADDRNOTAVAIL.";
  f.fix =
      "Reuse connections (keep-alive, pools); widen net.ipv4.ip_local_port_range (per namespace); "
      "spread over more destination addresses/ports or source addresses; "
      "net.ipv4.tcp_tw_reuse=1 lets connect() reuse TIME-WAIT ports safely (timestamps).";
}

void check_close_wait(Builder& b) {
  const auto& s = b.s_;
  if (!s.census_walked) {
    b.skip(CheckId::kCloseWaitLeak, s.not_walked);
    return;
  }
  std::vector<EndpointCount> hot;
  Severity sev = Severity::kOk;
  for (const auto& e : s.close_wait) {
    if (static_cast<double>(e.count) < b.t_.close_wait_count) continue;
    hot.push_back(e);
    sev = std::max(sev, static_cast<double>(e.count) >= b.t_.close_wait_count_critical
                            ? Severity::kCritical
                            : Severity::kWarning);
  }
  if (hot.empty()) return;
  auto where = [](const EndpointCount& e) {
    return e.key.by_remote
               ? fmt::format("towards {}", format_endpoint(e.key.family, e.key.remote, e.key.port))
               : fmt::format("on local port {}", e.key.port);
  };
  Finding& f = b.add(CheckId::kCloseWaitLeak, sev,
                     fmt::format("{} sockets in CLOSE-WAIT {}: the application does not close "
                                 "them",
                                 hot.front().count, where(hot.front())));
  f.evidence.push_back(
      fmt::format("CLOSE-WAIT sockets in this namespace: {}", s.state(TcpState::kCloseWait)));
  for (const auto& e : hot) {
    f.evidence.push_back(fmt::format("  {} {}", e.count, where(e)));
    EndpointEvidence ev;
    ev.count = e.count;
    if (e.key.by_remote) {
      ev.remote = format_endpoint(e.key.family, e.key.remote, e.key.port);
    } else {
      ev.local = fmt::format("*:{}", e.key.port);
    }
    f.endpoints.push_back(std::move(ev));
  }
  f.metrics.push_back({"close_wait", static_cast<double>(s.state(TcpState::kCloseWait)), ""});
  f.explanation =
      "The peer closed these connections, the application read the end of stream but never\n"
      "called close(): each one keeps a descriptor and its memory until the process exits.";
  const auto& top = hot.front();
  f.fix = fmt::format(
      "Find the process: tcpscope sockets -tnp state close-wait{}; fix the code path that "
      "forgets close() (error paths, pools that never notice a closed connection). No kernel "
      "tunable reaps CLOSE-WAIT; restarting the process frees them.",
      top.key.by_remote ? "" : fmt::format(" '( sport = :{} )'", top.key.port));
}

}  // namespace tcpscope::doctor::detail

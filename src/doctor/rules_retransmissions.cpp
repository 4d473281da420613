// SPDX-License-Identifier: MIT
// Checks on the counters' rates: retransmissions, SYN retransmits, retransmission timeouts and
// socket backlog drops.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "doctor/rule_builder.hpp"

namespace tcpscope::doctor::detail {

void check_rates(Builder& b) {
  const auto& s = b.s_;
  const auto& w = s.counters;
  const auto& t = b.t_;
  {
    const double out = static_cast<double>(w.d(Counter::kOutSegs));
    const double rs = static_cast<double>(w.d(Counter::kRetransSegs));
    const double ratio = pct(rs, out);
    if (out >= t.retrans_min_segments && out > 0 && ratio >= t.retrans_ratio) {
      Finding& f =
          b.add(CheckId::kRetransmissions,
                ratio >= t.retrans_ratio_critical ? Severity::kCritical : Severity::kWarning,
                fmt::format("{:.1f}% of segments sent are retransmissions", ratio));
      f.evidence.push_back(b.counter_line(Counter::kRetransSegs));
      f.evidence.push_back(b.counter_line(Counter::kOutSegs));
      b.counter(f, Counter::kRetransSegs);
      b.counter(f, Counter::kOutSegs);
      f.metrics.push_back({"retrans_ratio", ratio, "%"});
      f.explanation =
          "Segments are lost or delayed on the path (or queues drop them): every retransmission\n"
          "costs at least a round trip, often an RTO of 200 ms or more.";
      f.fix =
          "Find the connections with retransmits (tcpscope sockets -ti: retrans, lost); check "
          "interface drops (ip -s link), NIC ring sizes, shaping, the path's MTU.";
    }
  }
  {
    const double sr = static_cast<double>(w.d(Counter::kSynRetrans));
    const double opens =
        static_cast<double>(w.d(Counter::kActiveOpens) + w.d(Counter::kPassiveOpens));
    const double ratio = pct(sr, std::max(opens, 1.0));
    if (sr >= t.syn_retrans_min && ratio >= t.syn_retrans_ratio) {
      Finding& f =
          b.add(CheckId::kSynRetransmits, Severity::kWarning,
                fmt::format("SYN/SYN-ACK retransmissions: {:.0f} for {:.0f} connections opened", sr,
                            opens));
      f.evidence.push_back(b.counter_line(Counter::kSynRetrans));
      f.evidence.push_back(b.counter_line(Counter::kActiveOpens));
      f.evidence.push_back(b.counter_line(Counter::kPassiveOpens));
      for (Counter c : {Counter::kSynRetrans, Counter::kActiveOpens, Counter::kPassiveOpens}) {
        b.counter(f, c);
      }
      // Server side: listeners holding half-open handshakes retransmit SYN-ACKs.
      std::vector<const ListenerSample*> half_open;
      for (const auto& ls : s.listeners) {
        if (ls.info.syn_recv() > 0) half_open.push_back(&ls);
      }
      std::sort(half_open.begin(), half_open.end(), [](const auto* a, const auto* b2) {
        return a->info.syn_recv() > b2->info.syn_recv();
      });
      if (half_open.size() > 5) half_open.resize(5);
      for (const auto* l : half_open) {
        f.evidence.push_back("  " + listener_line(*l));
        f.listeners.push_back(listener_evidence(*l, s.tunables));
      }
      f.metrics.push_back({"syn_retrans_ratio", ratio, "%"});
      f.explanation =
          "Handshakes are not answered: each SYN retransmission costs the client 1 s, then 2 s,\n"
          "4 s...; typical causes are a full listener queue, a firewall or an unreachable peer.";
      f.fix = fmt::format(
          "If {} or {} fire, fix those first. Listeners listed above hold SYN-RECV handshakes "
          "whose final ACK has not arrived (SYN-ACKs are being retransmitted: a firewall or loss "
          "on the way back, or a SYN flood); otherwise check the peers being connected to "
          "(tcpscope sockets -tn state syn-sent) and firewalls.",
          check_key(CheckId::kAcceptQueueOverflow), check_key(CheckId::kSynQueueDrops));
    }
  }
  {
    const double rate = w.rate(Counter::kTimeouts);
    if (w.d(Counter::kTimeouts) > 0 && rate >= t.timeouts_rate) {
      Finding& f =
          b.add(CheckId::kTimeouts,
                rate >= t.timeouts_rate_critical ? Severity::kCritical : Severity::kWarning,
                fmt::format("Retransmission timeouts: {:.1f}/s", rate));
      f.evidence.push_back(b.counter_line(Counter::kTimeouts));
      b.counter(f, Counter::kTimeouts);
      f.explanation =
          "An RTO fires when nothing is acknowledged for a whole timeout (200 ms at least): the\n"
          "connection stalls, then restarts from a congestion window of one segment.";
      f.fix = fmt::format(
          "Look for packet loss or dead peers (tcpscope sockets -to: timer on, retrans); {} and "
          "{} findings narrow it down.",
          check_key(CheckId::kSynRetransmits), check_key(CheckId::kRetransmissions));
    }
  }
  {
    const uint64_t d = w.d(Counter::kBacklogDrop);
    if (d > 0 && w.rate(Counter::kBacklogDrop) > t.backlog_drop_rate) {
      Finding& f = b.add(CheckId::kBacklogDrops, Severity::kWarning,
                         "Segments dropped at a socket's backlog (the owning thread was busy)");
      f.evidence.push_back(b.counter_line(Counter::kBacklogDrop));
      b.counter(f, Counter::kBacklogDrop);
      f.explanation =
          "While a thread holds a socket, arriving segments queue in its backlog (rcvbuf + sndbuf\n"
          "+ 64 KiB); past that they are dropped and the peer must retransmit.";
      f.fix =
          "Larger socket buffers (SO_RCVBUF, tcp_rmem) for the busy connections, and shorter "
          "critical sections in the application around send()/recv().";
    }
  }
}

}  // namespace tcpscope::doctor::detail

#include "doctor/rules.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "model/tcp_state.hpp"

namespace tcpscope::doctor {

namespace {

using model::TcpState;

constexpr std::string_view kCounterNames[] = {
    "TcpExtListenOverflows",
    "TcpExtListenDrops",
    "TcpExtSyncookiesSent",
    "TcpExtSyncookiesRecv",
    "TcpExtSyncookiesFailed",
    "TcpExtTCPReqQFullDoCookies",
    "TcpExtTCPReqQFullDrop",
    "TcpExtTCPTimeWaitOverflow",
    "TcpExtTWRecycled",
    "TcpExtTCPAbortOnMemory",
    "TcpExtTCPAbortOnTimeout",
    "TcpExtTCPMemoryPressures",
    "TcpExtPruneCalled",
    "TcpRetransSegs",
    "TcpOutSegs",
    "TcpExtTCPSynRetrans",
    "TcpActiveOpens",
    "TcpPassiveOpens",
    "TcpExtTCPTimeouts",
    "TcpExtTCPBacklogDrop",
    "TcpExtEmbryonicRsts",
};
static_assert(std::size(kCounterNames) == kCounterCount);

double pct(double n, double of) { return of > 0 ? 100.0 * n / of : 0; }

class Builder {
 public:
  Builder(const Snapshot& s, const Thresholds& t, Report& r) : s_(s), t_(t), r_(r) {}

  Finding& add(CheckId id, Severity sev, std::string title) {
    Finding f;
    f.id = id;
    f.severity = sev;
    f.title = std::move(title);
    r_.findings.push_back(std::move(f));
    fired_.push_back(id);
    return r_.findings.back();
  }
  Finding& note(CheckId id, std::string title) {
    Finding f;
    f.id = id;
    f.severity = Severity::kOk;
    f.title = std::move(title);
    r_.notes.push_back(std::move(f));
    return r_.notes.back();
  }
  void skip(CheckId id, std::string reason) {
    r_.skipped.push_back({id, std::move(reason)});
    fired_.push_back(id);
  }
  // Judged by a stronger finding (time-wait-overflow covers time-wait-pressure).
  void cover(CheckId id) { fired_.push_back(id); }
  bool fired(CheckId id) const {
    return std::find(fired_.begin(), fired_.end(), id) != fired_.end();
  }

  // The counter's change in the window (and its total since boot with --since-boot).
  void counter(Finding& f, Counter c) const {
    const auto& w = s_.counters;
    if (!w.has(c)) return;
    f.metrics.push_back({std::string(counter_name(c)), static_cast<double>(w.d(c)), "in window"});
    if (w.has_totals) {
      f.metrics.push_back({std::string(counter_name(c)),
                           static_cast<double>(w.total[static_cast<size_t>(c)]), "since boot"});
    }
  }
  std::string counter_line(Counter c) const {
    const auto& w = s_.counters;
    std::string line =
        fmt::format("{} +{} in {:.1f}s ({:.1f}/s)", counter_name(c), w.d(c), w.seconds, w.rate(c));
    if (w.has_totals) {
      line += fmt::format("; {} since boot", w.total[static_cast<size_t>(c)]);
    }
    return line;
  }

  const Snapshot& s_;
  const Thresholds& t_;
  Report& r_;

 private:
  std::vector<CheckId> fired_;
};

std::string listener_addr(const model::ListenerInfo& l) {
  return format_endpoint(l.family, l.addr, l.port);
}

// Which of min(listen() backlog, somaxconn) is this listener's limit. The kernel keeps only the
// result; somaxconn is read now, while the clamp used its value at listen() time.
std::string capped_by(const model::ListenerInfo& l, const procfs::Tunables& t) {
  if (!t.somaxconn) return "";
  const auto som = static_cast<uint64_t>(std::max<int64_t>(*t.somaxconn, 0));
  return l.accept_queue_limit >= som ? "somaxconn" : "backlog";
}

ListenerEvidence listener_evidence(const ListenerSample& ls, const procfs::Tunables& t) {
  const auto& l = ls.info;
  return {listener_addr(l), l.port,       l.accept_queue,     l.accept_queue_limit,
          l.fill_percent(), l.syn_recv(), ls.drops_in_window, capped_by(l, t)};
}

std::string listener_line(const ListenerSample& ls) {
  const auto& l = ls.info;
  std::string line =
      fmt::format("{}: accept queue {}/{} ({:.0f}%){}", listener_addr(l), l.accept_queue,
                  l.accept_queue_limit, l.fill_percent(), l.accept_queue_full() ? " FULL" : "");
  if (ls.drops_in_window) line += fmt::format(", {} drops in window", *ls.drops_in_window);
  if (l.syn_recv() > 0) line += fmt::format(", {} SYN-RECV", l.syn_recv());
  return line;
}

std::string cap_fix(const ListenerSample& ls, const procfs::Tunables& t) {
  const auto& l = ls.info;
  const std::string cap = capped_by(l, t);
  if (cap == "somaxconn") {
    return fmt::format(
        "{}: net.core.somaxconn ({}) is the cap: raise it (sysctl -w net.core.somaxconn=N, in "
        "this namespace), make the application ask for at least that backlog, and restart the "
        "listener (listen() reads somaxconn once)",
        listener_addr(l), *t.somaxconn);
  }
  if (cap == "backlog") {
    return fmt::format(
        "{}: the application's listen() backlog ({}) is the cap (somaxconn {} would allow "
        "more): raise the backlog in the application's settings (e.g. nginx `listen ... "
        "backlog=N`, a server's `backlog`/`ListenBacklog` option)",
        listener_addr(l), l.accept_queue_limit, *t.somaxconn);
  }
  return fmt::format("{}: limit {} = min(listen() backlog, net.core.somaxconn): raise the smaller",
                     listener_addr(l), l.accept_queue_limit);
}

void add_endpoints(Finding& f, const std::vector<EndpointCount>& top, uint64_t limit, size_t n,
                   bool with_local) {
  for (size_t i = 0; i < top.size() && i < n; ++i) {
    const auto& e = top[i];
    EndpointEvidence ev;
    ev.count = e.count;
    ev.limit = limit;
    if (with_local) ev.local = format_endpoint(e.key.family, e.key.local, -1);
    ev.remote = format_endpoint(e.key.family, e.key.remote, e.key.port);
    f.evidence.push_back(with_local
                             ? fmt::format("  {} -> {}: {}{}", ev.local, ev.remote, e.count,
                                           limit ? fmt::format(" of {} ports ({:.0f}%)", limit,
                                                               pct(static_cast<double>(e.count),
                                                                   static_cast<double>(limit)))
                                                 : "")
                             : fmt::format("  {}: {}", ev.remote, e.count));
    f.endpoints.push_back(std::move(ev));
  }
}

// ---------------------------------------------------------------------------------------------

void check_accept_queue(Builder& b) {
  const auto& s = b.s_;
  const auto& w = s.counters;
  const uint64_t overflows = w.d(Counter::kListenOverflows);
  std::vector<const ListenerSample*> culprits;
  for (const auto& ls : s.listeners) {
    if (ls.info.accept_queue_full() || ls.drops_in_window.value_or(0) > 0) culprits.push_back(&ls);
  }
  if (overflows > 0) {
    bool any_full = false;
    for (const auto* c : culprits) any_full |= c->info.accept_queue_full();
    const bool critical =
        any_full || w.rate(Counter::kListenOverflows) >= b.t_.listen_overflow_critical_rate;
    Finding& f = b.add(
        CheckId::kAcceptQueueOverflow, critical ? Severity::kCritical : Severity::kWarning,
        culprits.empty() ? "Accept queue overflows: connections dropped at a full accept queue"
                         : fmt::format("Accept queue full on {}: connections are being dropped",
                                       listener_addr(culprits.front()->info)));
    f.evidence.push_back(b.counter_line(Counter::kListenOverflows));
    f.evidence.push_back(b.counter_line(Counter::kListenDrops));
    b.counter(f, Counter::kListenOverflows);
    b.counter(f, Counter::kListenDrops);
    for (const auto* c : culprits) {
      f.evidence.push_back("  " + listener_line(*c));
      f.listeners.push_back(listener_evidence(*c, s.tunables));
    }
    if (culprits.empty()) {
      f.evidence.push_back("  no listener is full now (the burst has passed)");
    }
    f.explanation =
        "The application does not accept() connections as fast as they complete; beyond the\n"
        "listener's limit, SYNs and handshake ACKs are dropped and clients wait seconds to retry.";
    std::string fix =
        "The limit is min(listen() backlog, net.core.somaxconn) per listener "
        "(net.ipv4.tcp_max_syn_backlog does not change it):";
    for (const auto* c : culprits) fix += "\n  " + cap_fix(*c, s.tunables);
    fix +=
        "\nAnd accept faster: more acceptor threads/workers, no blocking work in the accept loop "
        "(a bigger queue only buys time).";
    f.fix = std::move(fix);
  }

  // Saturated: at or above the fill threshold, not already reported as overflowing.
  std::vector<const ListenerSample*> hot;
  for (const auto& ls : s.listeners) {
    const auto& l = ls.info;
    if (l.accept_queue == 0) continue;
    if (l.fill_percent() < b.t_.accept_queue_fill) continue;
    if (overflows > 0 && std::find(culprits.begin(), culprits.end(), &ls) != culprits.end()) {
      continue;
    }
    hot.push_back(&ls);
  }
  if (!hot.empty()) {
    Finding& f =
        b.add(CheckId::kAcceptQueueSaturated, Severity::kWarning,
              fmt::format("Accept queue of {} is {:.0f}% full (no drops yet)",
                          listener_addr(hot.front()->info), hot.front()->info.fill_percent()));
    for (const auto* h : hot) {
      f.evidence.push_back("  " + listener_line(*h));
      f.listeners.push_back(listener_evidence(*h, s.tunables));
    }
    f.metrics.push_back({"threshold", b.t_.accept_queue_fill, "%"});
    f.explanation =
        "Completed connections are waiting for accept(); a little more load and the queue\n"
        "overflows: SYNs and handshake ACKs get dropped and clients see multi-second delays.";
    std::string fix = "Accept faster (more acceptor threads/workers), and give the queue room:";
    for (const auto* h : hot) fix += "\n  " + cap_fix(*h, s.tunables);
    f.fix = std::move(fix);
  }
}

void check_syn(Builder& b) {
  const auto& s = b.s_;
  const auto& w = s.counters;
  const auto& t = s.tunables;
  const uint64_t sent = w.d(Counter::kSyncookiesSent);
  const uint64_t recv = w.d(Counter::kSyncookiesRecv);
  const uint64_t overflows = w.d(Counter::kListenOverflows);
  const bool always = t.tcp_syncookies && *t.tcp_syncookies == 2;
  const bool incident = recv > 0 && overflows > 0;
  if (incident || (sent > 0 && !always)) {
    Finding& f =
        b.add(CheckId::kSynCookies, incident ? Severity::kCritical : Severity::kWarning,
              incident ? "SYN cookies and accept-queue overflows together: handshakes the clients "
                         "consider complete are being dropped (clients see connect timeouts)"
                       : "SYN queue full: the kernel is answering SYNs with SYN cookies");
    f.evidence.push_back(b.counter_line(Counter::kSyncookiesSent));
    f.evidence.push_back(b.counter_line(Counter::kSyncookiesRecv));
    if (w.d(Counter::kSyncookiesFailed) > 0) {
      f.evidence.push_back(b.counter_line(Counter::kSyncookiesFailed));
    }
    f.evidence.push_back(b.counter_line(Counter::kListenOverflows));
    for (Counter c :
         {Counter::kSyncookiesSent, Counter::kSyncookiesRecv, Counter::kSyncookiesFailed,
          Counter::kReqQFullDoCookies, Counter::kListenOverflows}) {
      b.counter(f, c);
    }
    for (const auto& ls : s.listeners) {
      const auto& l = ls.info;
      if (l.syn_recv() > l.accept_queue_limit || l.accept_queue_full() ||
          ls.drops_in_window.value_or(0) > 0) {
        f.evidence.push_back("  " + listener_line(ls));
        f.listeners.push_back(listener_evidence(ls, t));
      }
    }
    if (incident) {
      f.explanation =
          "A cookie ACK completes the handshake on the client, but the listener's accept queue is\n"
          "full, so the server drops it: the client thinks it is connected, its request is never "
          "read, it times out.";
    } else {
      f.explanation =
          "A listener's SYN queue (limit = its accept-queue limit, min(backlog, somaxconn)) is "
          "full,\n"
          "so SYNs are answered statelessly; cookies lose TCP options unless timestamps carry "
          "them.";
    }
    std::string fix =
        "Raise the listen backlog (it is the SYN-queue limit too: min(listen() backlog, "
        "net.core.somaxconn), +1) and accept faster";
    fix += incident ? fmt::format("; the {} finding names the listener and the cap.\n",
                                  check_key(CheckId::kAcceptQueueOverflow))
                    : ".\n";
    fix +=
        "net.ipv4.tcp_max_syn_backlog does not size the SYN queue on this kernel (it applies only "
        "with tcp_syncookies=0); keep net.ipv4.tcp_syncookies=1 (cookies only when a queue is "
        "full). If this is a SYN flood, cookies are working as intended.";
    f.fix = std::move(fix);
  }

  const uint64_t qdrop = w.d(Counter::kReqQFullDrop);
  if (qdrop > 0) {
    const bool critical = w.rate(Counter::kReqQFullDrop) >= b.t_.syn_queue_drop_critical_rate;
    Finding& f = b.add(CheckId::kSynQueueDrops, critical ? Severity::kCritical : Severity::kWarning,
                       "SYN queue full with SYN cookies off: SYNs are dropped");
    f.evidence.push_back(b.counter_line(Counter::kReqQFullDrop));
    f.evidence.push_back(b.counter_line(Counter::kListenDrops));
    b.counter(f, Counter::kReqQFullDrop);
    b.counter(f, Counter::kListenDrops);
    f.evidence.push_back(
        fmt::format("  net.ipv4.tcp_syncookies = {}, net.ipv4.tcp_max_syn_backlog = {}",
                    t.tcp_syncookies ? fmt::format("{}", *t.tcp_syncookies) : "?",
                    t.tcp_max_syn_backlog ? fmt::format("{}", *t.tcp_max_syn_backlog) : "?"));
    for (const auto& ls : s.listeners) {
      if (ls.info.syn_recv() > ls.info.accept_queue_limit || ls.drops_in_window.value_or(0) > 0) {
        f.evidence.push_back("  " + listener_line(ls));
        f.listeners.push_back(listener_evidence(ls, t));
      }
    }
    f.explanation =
        "A listener already holds backlog+1 half-open connections and cookies are disabled, so\n"
        "new SYNs are dropped; clients retry after 1 s, 3 s, 7 s... and may give up.";
    f.fix =
        "Set net.ipv4.tcp_syncookies=1 (cookies only when a SYN queue is full), and raise the "
        "listen backlog: on this kernel the SYN-queue limit is the listener's backlog "
        "(min(listen() backlog, net.core.somaxconn)). net.ipv4.tcp_max_syn_backlog only matters "
        "with cookies off: SYNs from unproven peers are dropped once fewer than a quarter of it "
        "remain free.";
  }
}

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
    f.metrics.push_back({"time_wait", static_cast<double>(tw), ""});
    f.metrics.push_back({"tcp_max_tw_buckets", static_cast<double>(max_tw.value_or(0)), ""});
    f.evidence.push_back("Top remote endpoints in TIME-WAIT:");
    add_endpoints(f, s.time_wait_by_remote, 0, 5, false);
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
    f.metrics.push_back({"time_wait", static_cast<double>(tw), ""});
    f.metrics.push_back({"tcp_max_tw_buckets", static_cast<double>(*max_tw), ""});
    f.evidence.push_back("Top remote endpoints in TIME-WAIT:");
    add_endpoints(f, s.time_wait_by_remote, 0, 5, false);
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

void check_orphans(Builder& b) {
  const auto& s = b.s_;
  const auto& w = s.counters;
  const uint64_t abort_mem = w.d(Counter::kAbortOnMemory);
  const auto& max = s.tunables.tcp_max_orphans;
  const uint64_t orphans = s.sockstat ? s.sockstat->tcp_orphan : s.orphans_in_netns;
  const double fill =
      max && *max > 0 ? pct(static_cast<double>(orphans), static_cast<double>(*max)) : 0;
  Severity sev = Severity::kOk;
  if (abort_mem > 0) sev = Severity::kCritical;
  if (max && fill >= b.t_.orphan_fill_critical) sev = Severity::kCritical;
  if (max && fill >= b.t_.orphan_fill) sev = std::max(sev, Severity::kWarning);
  if (sev == Severity::kOk) {
    if (!max) {
      b.skip(CheckId::kOrphans,
             fmt::format("{} orphaned sockets in this namespace; "
                         "net.ipv4.tcp_max_orphans is global: unreadable inside a "
                         "network namespace (run doctor on the host)",
                         s.orphans_in_netns));
    }
    return;
  }
  Finding& f = b.add(
      CheckId::kOrphans, sev,
      abort_mem > 0 ? "Connections reset for lack of memory (too many orphaned sockets or TCP "
                      "memory over tcp_mem[2])"
                    : fmt::format("Orphaned sockets at {:.0f}% of net.ipv4.tcp_max_orphans", fill));
  f.evidence.push_back(
      fmt::format("orphans: {} host-wide ({} in this namespace), "
                  "tcp_max_orphans {}",
                  orphans, s.orphans_in_netns, max ? fmt::format("{}", *max) : "unknown"));
  f.evidence.push_back(b.counter_line(Counter::kAbortOnMemory));
  b.counter(f, Counter::kAbortOnMemory);
  f.metrics.push_back({"orphans", static_cast<double>(orphans), ""});
  if (max) f.metrics.push_back({"tcp_max_orphans", static_cast<double>(*max), ""});
  f.explanation =
      "Closed sockets still sending their last data (FIN-WAIT-1, LAST-ACK, CLOSING) count as\n"
      "orphans; past the limit (checked at 2x/4x penalty) the kernel resets connections.";
  f.fix =
      "Find peers that stopped reading (zero window) or are unreachable; lower "
      "net.ipv4.tcp_orphan_retries; raise net.ipv4.tcp_max_orphans (global, ~64 KiB of memory "
      "each in the worst case).";
}

void check_memory(Builder& b) {
  const auto& s = b.s_;
  const auto& w = s.counters;
  const auto& mem = s.tunables.tcp_mem;
  Severity sev = Severity::kOk;
  std::vector<std::string> why;
  if (w.d(Counter::kMemoryPressures) > 0) {
    sev = Severity::kWarning;
    why.push_back(b.counter_line(Counter::kMemoryPressures));
  }
  if (w.d(Counter::kPruneCalled) > 0 && w.rate(Counter::kPruneCalled) >= b.t_.prune_rate) {
    sev = Severity::kWarning;
    why.push_back(b.counter_line(Counter::kPruneCalled));
  }
  if (mem && s.sockstat) {
    const double pages = static_cast<double>(s.sockstat->tcp_mem);
    if (pct(pages, static_cast<double>((*mem)[1])) >= b.t_.tcp_mem_fill) {
      sev = std::max(sev, Severity::kWarning);
    }
    if (pct(pages, static_cast<double>((*mem)[2])) >= b.t_.tcp_mem_high_fill_critical) {
      sev = Severity::kCritical;
    }
  }
  if (sev == Severity::kOk) {
    if (!mem) {
      b.skip(CheckId::kTcpMemoryPressure,
             "net.ipv4.tcp_mem is global: unreadable inside a network namespace (run doctor on "
             "the host); the counters were checked");
    }
    return;
  }
  Finding& f = b.add(CheckId::kTcpMemoryPressure, sev, "TCP memory pressure");
  if (s.sockstat) {
    f.evidence.push_back(
        fmt::format("TCP memory: {} pages host-wide; tcp_mem {}", s.sockstat->tcp_mem,
                    mem ? fmt::format("{} {} {} (pressure at {}, limit {})", (*mem)[0], (*mem)[1],
                                      (*mem)[2], (*mem)[1], (*mem)[2])
                        : std::string("unknown")));
    f.metrics.push_back({"tcp_mem_pages", static_cast<double>(s.sockstat->tcp_mem), ""});
  }
  for (auto& l : why) f.evidence.push_back(std::move(l));
  b.counter(f, Counter::kMemoryPressures);
  b.counter(f, Counter::kPruneCalled);
  f.explanation =
      "Socket buffers use more memory than tcp_mem allows: under pressure the kernel shrinks\n"
      "buffers and prunes receive queues (drops, retransmits); above tcp_mem[2] it resets.";
  f.fix =
      "Find sockets with large queues (tcpscope sockets -tm, big Recv-Q/Send-Q: slow readers); "
      "raise net.ipv4.tcp_mem (global, pages) if the host has memory to spare; lower "
      "tcp_rmem/tcp_wmem maxima.";
}

void check_close_wait(Builder& b) {
  const auto& s = b.s_;
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

void add_notes(Builder& b) {
  const auto& s = b.s_;
  const auto& t = s.tunables;
  if (t.tcp_abort_on_overflow && *t.tcp_abort_on_overflow == 1) {
    Finding& f =
        b.note(CheckId::kNoteAbortOnOverflow,
               "net.ipv4.tcp_abort_on_overflow = 1: a full accept queue resets handshakes");
    f.explanation =
        "Clients get ECONNRESET at once instead of a retransmitted SYN-ACK and a second chance;\n"
        "good for failing fast behind a load balancer, bad for a short burst.";
    f.fix = "Set it back to 0 unless clients are meant to fail over immediately.";
  }
  if (t.tcp_syncookies && *t.tcp_syncookies == 0) {
    std::vector<const ListenerSample*> busy;
    for (const auto& ls : s.listeners) {
      const auto& l = ls.info;
      if ((l.accept_queue > 0 && l.fill_percent() >= b.t_.busy_listener_fill) ||
          l.syn_recv() * 2 > l.accept_queue_limit || ls.drops_in_window.value_or(0) > 0) {
        busy.push_back(&ls);
      }
    }
    if (!busy.empty()) {
      Finding& f = b.note(CheckId::kNoteSyncookies,
                          fmt::format("net.ipv4.tcp_syncookies = 0 with busy listeners ({})",
                                      listener_addr(busy.front()->info)));
      for (const auto* l : busy) {
        f.evidence.push_back("  " + listener_line(*l));
        f.listeners.push_back(listener_evidence(*l, t));
      }
      f.explanation =
          "Without cookies, a SYN queue holding backlog+1 half-open connections drops further "
          "SYNs\n"
          "(TCPReqQFullDrop), and tcp_max_syn_backlog drops unproven peers at 3/4 full.";
      f.fix = "Set net.ipv4.tcp_syncookies=1: cookies are sent only while a SYN queue is full.";
    }
  }
  if (t.tcp_syncookies && *t.tcp_syncookies == 2) {
    Finding& f =
        b.note(CheckId::kNoteSyncookies, "net.ipv4.tcp_syncookies = 2: every SYN gets a cookie");
    f.explanation =
        "No request sockets are kept; SyncookiesSent rises with every SYN (not a sign of a full\n"
        "queue), and TCP options ride in timestamps only.";
    f.fix = "Use 1 (cookies only when a SYN queue is full) unless this is deliberate.";
  }
}

}  // namespace

std::string_view counter_name(Counter c) { return kCounterNames[static_cast<size_t>(c)]; }

std::string format_endpoint(uint8_t family, const std::array<uint8_t, 16>& addr, int port) {
  char text[INET6_ADDRSTRLEN];
  const int af = family == AF_INET6 ? AF_INET6 : AF_INET;
  if (::inet_ntop(af, addr.data(), text, sizeof text) == nullptr) text[0] = '\0';
  if (port < 0) return text;
  if (af == AF_INET6) return fmt::format("[{}]:{}", text, port);
  return fmt::format("{}:{}", text, port);
}

Report diagnose(const Snapshot& s, const Thresholds& t) {
  Report r;
  r.window_seconds = s.counters.seconds;
  Builder b(s, t, r);
  check_accept_queue(b);
  check_syn(b);
  check_time_wait(b);
  check_ports(b);
  check_orphans(b);
  check_memory(b);
  check_close_wait(b);
  check_rates(b);
  add_notes(b);
  for (CheckId id : check_ids()) {
    if (!b.fired(id)) r.passed.push_back(id);
  }
  std::stable_sort(r.findings.begin(), r.findings.end(),
                   [](const Finding& a, const Finding& c) { return a.severity > c.severity; });
  std::vector<const ListenerSample*> order;
  order.reserve(s.listeners.size());
  for (const auto& l : s.listeners) order.push_back(&l);
  std::stable_sort(order.begin(), order.end(),
                   [](const ListenerSample* a, const ListenerSample* c) {
                     if (a->info.fill_percent() != c->info.fill_percent()) {
                       return a->info.fill_percent() > c->info.fill_percent();
                     }
                     if (a->info.accept_queue != c->info.accept_queue) {
                       return a->info.accept_queue > c->info.accept_queue;
                     }
                     return a->info.port < c->info.port;
                   });
  r.listeners_total = order.size();
  for (size_t i = 0; i < order.size() && i < kReportListeners; ++i) {
    r.listeners.push_back(listener_evidence(*order[i], s.tunables));
  }
  return r;
}

}  // namespace tcpscope::doctor

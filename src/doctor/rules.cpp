// SPDX-License-Identifier: MIT
#include "doctor/rules.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "doctor/rule_builder.hpp"

namespace tcpscope::doctor {

namespace {

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

}  // namespace

namespace detail {

Finding& Builder::add(CheckId id, Severity sev, std::string title) {
  Finding f;
  f.id = id;
  f.severity = sev;
  f.title = std::move(title);
  r_.findings.push_back(std::move(f));
  cover(id);
  return r_.findings.back();
}

Finding& Builder::note(CheckId id, std::string title) {
  Finding f;
  f.id = id;
  f.severity = Severity::kOk;
  f.title = std::move(title);
  r_.notes.push_back(std::move(f));
  return r_.notes.back();
}

void Builder::skip(CheckId id, std::string reason) {
  r_.skipped.push_back({id, std::move(reason)});
  cover(id);
}

void Builder::counter(Finding& f, Counter c) const {
  const auto& w = s_.counters;
  if (!w.has(c)) return;
  f.metrics.push_back({std::string(counter_name(c)), static_cast<double>(w.d(c)), "in window"});
  if (w.has_totals) {
    f.metrics.push_back({std::string(counter_name(c)),
                         static_cast<double>(w.total[static_cast<size_t>(c)]), "since boot"});
  }
}

std::string Builder::counter_line(Counter c) const {
  const auto& w = s_.counters;
  std::string line =
      fmt::format("{} +{} in {:.1f}s ({:.1f}/s)", counter_name(c), w.d(c), w.seconds, w.rate(c));
  if (w.has_totals) {
    line += fmt::format("; {} since boot", w.total[static_cast<size_t>(c)]);
  }
  return line;
}

std::string listener_addr(const model::ListenerInfo& l) {
  if (l.ifindex == 0) return format_endpoint(l.family, l.addr, l.port);
  // As ss prints a socket bound to a device: "0.0.0.0%eth0:80", "[::]%eth0:443".
  std::string s = format_endpoint(l.family, l.addr, -1);
  if (l.family == AF_INET6) s = fmt::format("[{}]", s);
  return fmt::format("{}%{}:{}", s, l.interface(), l.port);
}

// Which of min(listen() backlog, somaxconn) is this listener's limit. The kernel keeps only the
// result; somaxconn is read now, while the clamp used its value at listen() time.
std::string capped_by(const model::ListenerInfo& l, const model::Tunables& t) {
  if (!t.somaxconn) return "";
  const auto som = static_cast<uint64_t>(std::max<int64_t>(*t.somaxconn, 0));
  return l.accept_queue_limit >= som ? "somaxconn" : "backlog";
}

ListenerEvidence listener_evidence(const ListenerSample& ls, const model::Tunables& t) {
  const auto& l = ls.info;
  ListenerEvidence e;
  e.address = listener_addr(l);
  e.port = l.port;
  e.interface = std::string(l.interface());
  e.accept_queue = l.accept_queue;
  e.accept_queue_limit = l.accept_queue_limit;
  e.fill_percent = l.fill_percent();
  e.syn_recv = l.syn_recv();
  e.drops_in_window = ls.drops_in_window;
  e.capped_by = capped_by(l, t);
  return e;
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

std::string cap_fix(const ListenerSample& ls, const model::Tunables& t) {
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

}  // namespace detail

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
  detail::Builder b(s, t, r);
  detail::check_accept_queue(b);
  detail::check_syn(b);
  detail::check_time_wait(b);
  detail::check_ports(b);
  detail::check_orphans(b);
  detail::check_memory(b);
  detail::check_close_wait(b);
  detail::check_rates(b);
  detail::add_notes(b);
  detail::note_shared_hash(b);
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
    r.listeners.push_back(detail::listener_evidence(*order[i], s.tunables));
  }
  return r;
}

}  // namespace tcpscope::doctor

// SPDX-License-Identifier: MIT
// The accept-queue and SYN-queue checks (accept-queue-overflow, accept-queue-saturated,
// syn-cookies, syn-queue-drops) and the notes on the settings that change how queues behave.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "doctor/rule_builder.hpp"

namespace tcpscope::doctor::detail {

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
    // The title names a listener only with what its own line shows: "full" for one that is
    // full now, else its drop count (a listener that dropped in the window but has room now).
    std::string title = "Accept queue overflows: connections dropped at a full accept queue";
    if (!culprits.empty()) {
      const ListenerSample& first = *culprits.front();
      title = first.info.accept_queue_full()
                  ? fmt::format("Accept queue full on {}: connections are being dropped",
                                listener_addr(first.info))
                  : fmt::format("Accept queue of {} dropped {} connection{} in the window",
                                listener_addr(first.info), first.drops_in_window.value_or(0),
                                first.drops_in_window.value_or(0) == 1 ? "" : "s");
    }
    Finding& f = b.add(CheckId::kAcceptQueueOverflow,
                       critical ? Severity::kCritical : Severity::kWarning, std::move(title));
    f.evidence.push_back(b.counter_line(Counter::kListenOverflows));
    f.evidence.push_back(b.counter_line(Counter::kListenDrops));
    b.counter(f, Counter::kListenOverflows);
    b.counter(f, Counter::kListenDrops);
    for (const auto* c : culprits) {
      f.evidence.emplace_back("  " + listener_line(*c));
      f.listeners.push_back(listener_evidence(*c, s.tunables));
    }
    if (culprits.empty()) {
      f.evidence.emplace_back("  no listener is full now (the burst has passed)");
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
    // "no drops yet" only when the listener's own count says so: without a ListenOverflows
    // rise (the overflow finding) a listener can still show drops of its own (ListenDrops has
    // more causes than a full queue), and its evidence line prints them.
    const ListenerSample* named = hot.front();
    for (const auto* h : hot) {
      if (h->drops_in_window.value_or(0) > 0) {
        named = h;
        break;
      }
    }
    const ListenerSample& first = *named;
    const uint64_t drops = first.drops_in_window.value_or(0);
    Finding& f = b.add(
        CheckId::kAcceptQueueSaturated, Severity::kWarning,
        drops == 0 ? fmt::format("Accept queue of {} is {:.0f}% full (no drops yet)",
                                 listener_addr(first.info), first.info.fill_percent())
                   : fmt::format("Accept queue of {} is {:.0f}% full, {} drop{} in the window",
                                 listener_addr(first.info), first.info.fill_percent(), drops,
                                 drops == 1 ? "" : "s"));
    for (const auto* h : hot) {
      f.evidence.emplace_back("  " + listener_line(*h));
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
        f.evidence.emplace_back("  " + listener_line(ls));
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
        f.evidence.emplace_back("  " + listener_line(ls));
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
        f.evidence.emplace_back("  " + listener_line(*l));
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

}  // namespace tcpscope::doctor::detail

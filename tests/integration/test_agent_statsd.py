#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope agent` -> a real statsd server (npm statsd under node), on a known table.

The namespace holds std_agent_table (agent_harness): established pairs, TIME-WAIT clients, a
listener whose accept queue is full because it never accepts, an IPv6, a dual-stack and a
device-bound listener, two UDP sockets. The agent runs with
`--netns NS --statsd 127.0.0.1:PORT --interval 1s --jsonl FILE`; the statsd server records every
datagram (and its own parsed counters/gauges at each flush).

Checks:
* every line is statsd syntax, Graphite names `tcpscope.NS.NAME[.LABEL...]`; the server saw no
  bad line; one group of datagrams per tick (as many as JSON-lines ticks; grouped by content:
  namespace lines, then the agent's own);
* gauges equal ss, before and after generated traffic: sockets per protocol/state, listeners,
  each listener's accept queue (= ss Recv-Q; 5 on the full one) and limit (= ss Send-Q), fill
  ratio 1.25, peak, syn_recv 0, listeners_dropped 0, a tunable set in the namespace; the
  server's last flushed gauge equals what was sent;
* counters: the first tick only records a baseline (no `c` line of the namespace); every later
  tick sends every default counter (0 included); over the run, the sum of the `c` deltas of each
  default counter equals nstat's delta over a window that encloses the traffic (N SYNs to the
  full listener -> ListenOverflows/ListenDrops +N and the listener's own drops +N; M accepted
  connections -> PassiveOpens +M);
  the server's summed counters agree; the JSON lines' cumulative values equal nstat's absolute
  values in the quiet namespace;
* SIGTERM: exit 0.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_harness as ah  # noqa: E402
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402

N_SYN = 7
N_CONN = 5


def main():
    args = nstest.parse_args(__doc__)
    binary = ah.agent_path(args)
    c = nstest.Checker()
    with nstest.netns("ag-sd") as ns, ah.Harness() as h:
        ns.sysctl("net.ipv4.tcp_max_tw_buckets", 54321)
        ah.std_agent_table(ns, args.tablegen)
        counts0, ls0 = ah.check_std_table(ns)
        sd = h.statsd()
        jsonl = os.path.join(h.tmp, "agent.jsonl")
        agent = h.agent(binary, ["--netns", ns.name, "--statsd", f"127.0.0.1:{sd.port}",
                                 "--interval", "1s", "--jsonl", jsonl])
        h.wait_ticks(agent, jsonl, 2, 15)
        nst0 = ah.quiet_nstat(ns, h.tmp)
        ah.traffic(ns, syn_port=7402, n_syn=N_SYN, conn_port=7406, n_conn=N_CONN)
        nst1 = ah.quiet_nstat(ns, h.tmp)
        counts1 = ah.ss_state_counts(ns)
        ls1 = ah.ss_listeners(ns)
        n = len(ah.read_ticks(jsonl))
        h.wait_ticks(agent, jsonl, n + 2, 15)
        rc = agent.stop()  # a tick under way finishes first: every sink has all of it
        c.eq(rc, 0, "exit status after SIGTERM")
        sd.sync()  # everything the agent sent is received and flushed
        ticks = ah.read_ticks(jsonl)

        # The environment did what the test needs (nstat's own view).
        delta = {k: nst1.get(k, 0) - nst0.get(k, 0) for k in set(nst0) | set(nst1)}
        if delta.get("TcpExtListenOverflows") != N_SYN or delta.get("TcpPassiveOpens") != N_CONN:
            raise TestFailure(f"traffic did not give the expected nstat deltas: {delta}")

        packets = sd.packets()
        if not packets:
            agent.fail("statsd received nothing")
        pre = ns.name
        bad = []
        groups = []
        for burst in ah.group_by_tick(packets):
            lines = []
            for _, data in burst:
                for line in ah.datagram_lines(data):
                    p = ah.parse_statsd_line(line)
                    if p is None or p[3] is not None:
                        bad.append(line)
                    else:
                        lines.append(p)
            groups.append(lines)
        c.check(not bad, f"{len(bad)} line(s) that are not Graphite statsd lines, e.g. {bad[:5]}")
        nsp = f"tcpscope.{pre}."
        groups = [g for g in groups if any(name.startswith(nsp) for name, _, _, _ in g)]
        c.eq(len(groups), len(ticks), "bursts of datagrams with the namespace's metrics vs "
             "JSON-lines ticks")
        if len(groups) < 3:
            agent.fail(f"only {len(groups)} ticks reached statsd")
        for name, _, _, _ in (x for g in groups for x in g):
            c.check(name.startswith("tcpscope."), f"name without the prefix: {name}")

        def gauges(g):
            return {name: v for name, v, t, _ in g if t == "g"}

        def gname(metric, *labels):
            return ah.graphite("tcpscope", pre, metric, *labels)

        # Gauges before the traffic (second tick) and after it (last tick), both vs ss.
        for label, g, counts, ls in (("before traffic", groups[1], counts0, ls0),
                                     ("after traffic", groups[-1], counts1, ls1)):
            gv = gauges(g)
            for (proto, st), nsock in sorted(counts.items()):
                c.eq(gv.get(gname("sockets", proto, st)), nsock,
                     f"{label}: {gname('sockets', proto, st)} vs ss")
            for name, v in gv.items():
                if name.startswith(gname("sockets") + "."):
                    proto, st = name[len(gname("sockets")) + 1:].split(".", 1)
                    if (proto, st) not in counts:
                        c.eq(v, 0, f"{label}: {name} (no such socket in ss)")
            tcp_states = {name.rsplit(".", 1)[1] for name in gv
                          if name.startswith(gname("sockets", "tcp") + ".")}
            c.check(tcp_states <= set(ah.TCP_STATE_KEYS),
                    f"{label}: TCP state names {sorted(tcp_states - set(ah.TCP_STATE_KEYS))} "
                    f"are not the project's state keys")
            c.eq(gv.get(gname("listeners")), len(ls), f"{label}: listeners vs ss")
            c.eq(gv.get(gname("listeners_dropped")), 0, f"{label}: listeners_dropped")
            for lab, ssaddr in ah.STD_LISTENERS.items():
                q, lim = ls.get(ssaddr, (None, None))
                c.eq(gv.get(gname("listener_accept_queue", lab)), q,
                     f"{label}: accept queue of {lab} vs ss Recv-Q")
                c.eq(gv.get(gname("listener_accept_queue_limit", lab)), lim,
                     f"{label}: accept queue limit of {lab} vs ss Send-Q")
                c.eq(gv.get(gname("listener_syn_recv", lab)), 0, f"{label}: syn_recv of {lab}")
            c.eq(gv.get(gname("listener_accept_queue_fill_ratio", "127.0.0.1:7402")), 1.25,
                 f"{label}: fill ratio of the full listener (5/4)")
            c.eq(gv.get(gname("listener_accept_queue_peak", "127.0.0.1:7402")), 5,
                 f"{label}: peak of the full listener")
            c.eq(gv.get(gname("sysctl", "net.ipv4.tcp_max_tw_buckets")), 54321,
                 f"{label}: the namespace's tcp_max_tw_buckets")
            c.eq(gv.get(gname("tcp_orphans")), 0, f"{label}: orphans")

        # Counters: baseline first, then every default counter every tick.
        first_c = [name for name, _, t, _ in groups[0] if t == "c" and name.startswith(nsp)]
        c.check(not first_c, f"the first tick sent counter deltas (should only record a "
                             f"baseline): {first_c[:5]}")
        sums = {}
        for i, g in enumerate(groups[1:], 2):
            cv = {}
            for name, v, t, _ in g:
                if t == "c":
                    c.check(name not in cv, f"tick {i}: counter {name} twice")
                    cv[name] = v
            for ctr in ah.DEFAULT_COUNTERS:
                variants = [gname(b) for b in ah.counter_base_variants(ctr)]
                found = [n for n in variants if n in cv]
                if c.check(len(found) == 1, f"tick {i}: default counter {ctr} not sent (as "
                                            f"{' or '.join(variants)})"):
                    sums[ctr] = sums.get(ctr, 0) + cv[found[0]]
        for ctr in ah.DEFAULT_COUNTERS:
            if ctr in sums:
                c.eq(sums[ctr], delta.get(ctr, 0),
                     f"{ctr}: sum of the statsd deltas vs nstat's delta over the traffic")
        c.eq(sums.get("TcpExtListenOverflows"), N_SYN, "ListenOverflows deltas sum")
        # The full listener's own drop counter: each dropped SYN once.
        ld = gname("listener_drops", "127.0.0.1:7402")
        ld_sum = sum(v for g in groups[1:] for name, v, t, _ in g if name == ld and t == "c")
        c.eq(ld_sum, N_SYN, f"sum of the {ld} deltas after {N_SYN} SYNs to the full listener")
        c.eq(sums.get("TcpPassiveOpens"), N_CONN, "PassiveOpens deltas sum")

        # The statsd server parsed the same (counters summed over its flushes, last gauges).
        flushes = sd.flushes()
        server_sum = {}
        bad_lines = 0
        for f in flushes:
            for k, v in f["counters"].items():
                server_sum[k] = server_sum.get(k, 0) + v
            bad_lines += f["counters"].get("statsd.bad_lines_seen", 0)
        c.eq(bad_lines, 0, "statsd.bad_lines_seen")
        ovf = gname(ah.counter_base("TcpExtListenOverflows"))
        c.eq(server_sum.get(ovf), N_SYN, f"statsd server's sum of {ovf}")
        est = gname("sockets", "tcp", "established")
        c.eq(flushes[-1]["gauges"].get(est) if flushes else None,
             counts1[("tcp", "established")], f"statsd server's last gauge {est}")

        # The agent's own metrics, without the namespace element.
        own = {name for g in groups for name, _, _, _ in g if not name.startswith(nsp)}
        c.check("tcpscope.agent_statsd_packets.sent" in own,
                f"tcpscope.agent_statsd_packets.sent not sent; own metrics: {sorted(own)[:20]}")
        c.check("tcpscope.agent_namespaces" in own, "tcpscope.agent_namespaces not sent")

        # JSON lines: cumulative values = nstat's absolute ones (quiet namespace).
        for ctr in ("TcpExtListenOverflows", "TcpExtListenDrops", "TcpPassiveOpens",
                    "TcpActiveOpens", "TcpOutSegs"):
            pname = f"tcpscope_{ah.counter_base(ctr)}_total"
            c.eq(ah.sample(ticks[0], pname, netns=pre), nst0.get(ctr),
                 f"jsonl first tick {pname} vs nstat -a before the traffic")
            c.eq(ah.sample(ticks[-1], pname, netns=pre), nst1.get(ctr),
                 f"jsonl last tick {pname} vs nstat -a after the traffic")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

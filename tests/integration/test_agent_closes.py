#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope agent`: closed connections (docs/agent.md, "Closed connections"), against closes we
make and `tcpscope watch --json` beside the agents.

In a fresh namespace, servers on 127.0.0.1:7600, [::1]:7600 (v6only) and 127.0.0.1:7601; N
clients of 7600 (both families) and M of 7601, client i sending a_i bytes and reading the b_i
the server answers, then closing: 2(N + M) sockets freed. `watch --json` runs beside the agents
(it is made sure to see events before they start, with a probe whose closes they never see);
the agents start once the probe's closes are done, so the closes they see are ours only:
* agent A (`--prometheus`, a real statsd server, `--jsonl`, defaults): its /metrics pass
  `promtool check metrics` and our structure checks; `tcpscope_closed_connections_total` is N
  inbound on port 7600 and N outbound to 7600, M each way for 7601; retransmissions 0; the RTT
  histogram's count and sum per direction equal the events' (`rtt_us` of watch's events, sum in
  seconds), each bucket equals the events at or below its bound, +Inf = count; the bytes
  histogram: inbound `sent` sums the b_i, outbound `sent` the a_i, `received` what watch's
  events say (a_i or b_i, +1 for a FIN), counts N + M; no overflow; the JSON lines' last tick
  has the same values; a real Prometheus scraping it answers the same sums and a
  histogram_quantile;
* statsd (agent A): the server's counters summed over its flushes equal the closes per port and
  direction, and the bytes sums; the RTT timers it received are exactly the events' RTTs in ms
  (no sampling below 1000 a tick), none with a rate;
* agent B (`[closes] max_ports = 1`, `statsd_rtt_max_per_interval = 2`, another statsd server):
  7600 keeps its series, 7601 is `port="other"`; at most 2 timers per direction and tick, with
  `|@rate` when more closed, and the server's timer counts (scaled by the rate) add up to
  N + M per direction;
* agent C (`[closes] enabled = false`): none of the close metrics, in Prometheus or JSON lines.
Waits are for conditions, with deadlines.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_harness as ah  # noqa: E402
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402

PORT = 7600
PORT2 = 7601
N = 10  # clients of PORT, alternating IPv4 and IPv6
M = 4   # clients of PORT2 (IPv4)

RTT_BOUNDS_US = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
                 500000, 1000000, 2500000]
RTT_LE = ["5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
          "0.05", "0.1", "0.25", "0.5", "1", "2.5"]
BYTES_BOUNDS = [0, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
                268435456, 1073741824]

CLOSE_FAMILIES = ("tcpscope_closed_connections_total",
                  "tcpscope_closed_connections_with_retransmissions_total",
                  "tcpscope_closed_connection_retransmitted_segments_total",
                  "tcpscope_closed_connection_rtt_seconds", "tcpscope_closed_connection_bytes",
                  "tcpscope_close_event_overflows_total")

PROBE = ("import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen();"
         "c=socket.create_connection(s.getsockname()); a,_=s.accept(); c.close(); a.close();"
         "s.close()")


def run_traffic(ns):
    """The servers and clients of the docstring (nstest.close_traffic)."""
    listeners = [("4", PORT), ("6", PORT), ("4", PORT2)]
    clients = [("4" if i % 2 == 0 else "6", PORT) for i in range(N)] + [("4", PORT2)] * M
    return nstest.close_traffic(ns, listeners, clients, timeout=60 * ah.TIME_SCALE)


def watch_events(path):
    out = []
    with open(path) as f:
        for line in f.read().splitlines():
            if line.strip():
                e = json.loads(line)
                if e.get("cookie") is not None:
                    out.append(e)
    return out


def ours(events):
    """The events of our connections: (direction, service port, event)."""
    out = []
    for e in events:
        if e.get("local_port") in (PORT, PORT2) and e.get("peer_port") not in (0, None):
            out.append(("inbound", e["local_port"], e))
        elif e.get("peer_port") in (PORT, PORT2):
            out.append(("outbound", e["peer_port"], e))
    return out


def write_config(h, name, text):
    path = os.path.join(h.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def statsd_lines(sd):
    for _, data in sd.packets():
        for line in ah.datagram_lines(data):
            if line:
                yield line


def counter_sums(sd):
    sums = {}
    for f in sd.flushes():
        for k, v in f["counters"].items():
            sums[k] = sums.get(k, 0) + v
    return sums


def main():
    args = nstest.parse_args(__doc__)
    binary = ah.agent_path(args)
    c = nstest.Checker()
    with nstest.netns("ag-cl") as ns, ah.Harness() as h:
        pre = ns.name
        # watch first, proved to be reading by the probe's closes, which happen before any agent
        # subscribes.
        wpath = os.path.join(h.tmp, "watch.jsonl")
        wout = open(wpath, "w")
        watch = subprocess.Popen(["ip", "netns", "exec", ns.name, args.tcpscope, "watch",
                                  "--json"], stdout=wout, stderr=subprocess.DEVNULL)
        h._procs.append(("watch", lambda: ah._stop_popen(watch)))
        ns.exec([sys.executable, "-c", PROBE])
        ah.wait_for(lambda: len(watch_events(wpath)) >= 2, 20, "watch: the probe's closes")
        base = len(watch_events(wpath))

        sd_a = h.statsd()
        sd_b = h.statsd()
        port_a = ah.free_port()
        port_c = ah.free_port()
        jsonl_a = os.path.join(h.tmp, "a.jsonl")
        jsonl_c = os.path.join(h.tmp, "c.jsonl")
        agent_a = h.agent(binary, ["--netns", ns.name, "--prometheus", f"127.0.0.1:{port_a}",
                                   "--statsd", f"127.0.0.1:{sd_a.port}", "--interval", "1s",
                                   "--jsonl", jsonl_a], tag="a")
        cfg_b = write_config(h, "b.toml", "[closes]\nmax_ports = 1\n"
                                          "statsd_rtt_max_per_interval = 2\n")
        jsonl_b = os.path.join(h.tmp, "b.jsonl")
        agent_b = h.agent(binary, ["--config", cfg_b, "--netns", ns.name, "--statsd",
                                   f"127.0.0.1:{sd_b.port}", "--interval", "1s",
                                   "--jsonl", jsonl_b], tag="b")
        cfg_c = write_config(h, "c.toml", "[closes]\nenabled = false\n")
        agent_c = h.agent(binary, ["--config", cfg_c, "--netns", ns.name, "--prometheus",
                                   f"127.0.0.1:{port_c}", "--statsd", "none", "--interval", "1s",
                                   "--jsonl", jsonl_c], tag="c")
        # A first tick: each collector is open, and so is its subscription.
        for agent, path in ((agent_a, jsonl_a), (agent_b, jsonl_b), (agent_c, jsonl_c)):
            h.wait_ticks(agent, path, 1, 20)

        t0 = time.monotonic()
        traffic, clients = run_traffic(ns)
        ah.log(f"  {len(clients)} clients done in {time.monotonic() - t0:.2f}s")
        try:
            evs = ah.wait_for(lambda: (lambda o: o if len(o) >= 2 * (N + M) else None)(
                ours(watch_events(wpath)[base:])), 30, "watch: 2(N + M) events")
            c.eq(len(evs), 2 * (N + M), "watch: events of our connections")
            want_closed = {("inbound", PORT): N, ("outbound", PORT): N,
                           ("inbound", PORT2): M, ("outbound", PORT2): M}
            got_closed = {}
            for d, p, _ in evs:
                got_closed[(d, p)] = got_closed.get((d, p), 0) + 1
            c.eq(got_closed, want_closed, "watch: closes per direction and port (the setup)")

            # Agent A's /metrics once every close is counted.
            def counted(f):
                vals = {(d, p): ah.prom_value(f, "tcpscope_closed_connections_total", netns=pre,
                                              direction=d, port=str(p))
                        for (d, p) in want_closed}
                return vals if vals == want_closed else None
            _, fams = ah.scrape_until(port_a, agent_a, counted, 20,
                                      "agent A: closed_connections_total = the closes")
            body = ah.metrics_text(port_a)
            rc, out = ah.promtool_check(body)
            c.check(rc == 0 and out == "", f"promtool check metrics: exit {rc}:\n{out[:2000]}")
            fams = ah.parse_prom(body)
            for name in CLOSE_FAMILIES:
                c.check(name in fams, f"agent A: no {name}")
            c.eq(fams.get("tcpscope_closed_connection_rtt_seconds", {}).get("type"), "histogram",
                 "TYPE of the RTT histogram")
            c.eq(fams.get("tcpscope_closed_connection_bytes", {}).get("type"), "histogram",
                 "TYPE of the bytes histogram")
            series = {tuple(sorted(sl.items())) for sl, _ in ah.prom_values(
                fams, "tcpscope_closed_connections_total", netns=pre)}
            c.eq(len(series), 4, f"closed_connections_total series (only our two ports each "
                                 f"way): {sorted(series)}")
            for name in ("tcpscope_closed_connections_with_retransmissions_total",
                         "tcpscope_closed_connection_retransmitted_segments_total"):
                vals = ah.prom_values(fams, name, netns=pre)
                c.eq(len(vals), 4, f"{name}: series")
                c.check(all(v == 0 for _, v in vals), f"{name}: not 0 on loopback: {vals}")
            c.eq(ah.prom_value(fams, "tcpscope_close_event_overflows_total", netns=pre), 0,
                 "overflows")

            # The histograms against the events.
            for d in ("inbound", "outbound"):
                mine = [e for dd, _, e in evs if dd == d]
                rtts = [e["tcp_info"]["rtt_us"] for e in mine if e["tcp_info"].get("rtt_us")]
                c.eq(len(rtts), N + M, f"{d}: events with an RTT (the setup)")
                h_count = ah.prom_value(fams, "tcpscope_closed_connection_rtt_seconds_count",
                                        netns=pre, direction=d)
                h_sum = ah.prom_value(fams, "tcpscope_closed_connection_rtt_seconds_sum",
                                      netns=pre, direction=d)
                c.eq(h_count, len(rtts), f"{d}: RTT histogram count")
                c.check(h_sum is not None and abs(h_sum - sum(rtts) / 1e6) < 1e-9,
                        f"{d}: RTT histogram sum {h_sum} vs the events' {sum(rtts) / 1e6}")
                for bound, le in zip(RTT_BOUNDS_US, RTT_LE):
                    c.eq(ah.prom_value(fams, "tcpscope_closed_connection_rtt_seconds_bucket",
                                       netns=pre, direction=d, le=le),
                         sum(1 for r in rtts if r <= bound), f"{d}: RTT bucket le={le}")
                c.eq(ah.prom_value(fams, "tcpscope_closed_connection_rtt_seconds_bucket",
                                   netns=pre, direction=d, le="+Inf"), len(rtts),
                     f"{d}: RTT bucket +Inf")
                # Bytes: what each side sent is known; received is what tcp_info says (a FIN
                # may count one), and must lie between the data and the data + 1.
                sent_want = sum(cl["b"] if d == "inbound" else cl["a"] for cl in clients)
                data_in = sum(cl["a"] if d == "inbound" else cl["b"] for cl in clients)
                recv_events = sum(e["tcp_info"]["bytes_received"] for e in mine)
                c.check(data_in <= recv_events <= data_in + N + M,
                        f"{d}: received {recv_events} vs data {data_in} (the setup)")
                for way, want in (("sent", sent_want), ("received", recv_events)):
                    got = ah.prom_value(fams, "tcpscope_closed_connection_bytes_sum", netns=pre,
                                        direction=d, way=way)
                    c.eq(got, want, f"{d}: bytes {way} sum")
                    c.eq(ah.prom_value(fams, "tcpscope_closed_connection_bytes_count",
                                       netns=pre, direction=d, way=way), N + M,
                         f"{d}: bytes {way} count")
                sent_each = [e["tcp_info"]["bytes_sent"] - e["tcp_info"].get("bytes_retrans", 0)
                             for e in mine]
                for bound in BYTES_BOUNDS:
                    c.eq(ah.prom_value(fams, "tcpscope_closed_connection_bytes_bucket", netns=pre,
                                       direction=d, way="sent", le=str(bound)),
                         sum(1 for b in sent_each if b <= bound), f"{d}: sent bucket le={bound}")

            # A real Prometheus reads the same.
            prom = h.prometheus([f"127.0.0.1:{port_a}"])
            sel = f'netns="{pre}"'
            prom.wait_value(f'sum(tcpscope_closed_connections_total{{{sel},direction="inbound"}})',
                            N + M, timeout=20)
            got = prom.query(f'sum(tcpscope_closed_connections_total{{{sel},'
                             f'direction="inbound"}})')
            c.eq([v for _, v in got], [N + M], "Prometheus: inbound closes")
            got = prom.query(f'tcpscope_closed_connection_bytes_sum{{{sel},direction="inbound",'
                             f'way="sent"}}')
            c.eq([v for _, v in got], [sum(cl["b"] for cl in clients)],
                 "Prometheus: inbound bytes sent")
            q = prom.query(f'histogram_quantile(0.5, tcpscope_closed_connection_rtt_seconds_bucket'
                           f'{{{sel},direction="outbound"}})')
            c.check(len(q) == 1 and 0 < q[0][1] <= 2.5,
                    f"Prometheus: histogram_quantile of the RTT: {q}")

            # JSON lines: the last tick carries the same numbers.
            tick = ah.read_ticks(jsonl_a)[-1]
            for (d, p), n in want_closed.items():
                c.eq(ah.sample(tick, "tcpscope_closed_connections_total", netns=pre, direction=d,
                               port=str(p)), n, f"jsonl: closed {d} {p}")
            c.eq(ah.sample(tick, "tcpscope_closed_connection_rtt_seconds_count", netns=pre,
                           direction="inbound"), N + M, "jsonl: RTT count inbound")
            c.eq(ah.sample(tick, "tcpscope_closed_connection_bytes_bucket", netns=pre,
                           direction="inbound", way="sent", le="+Inf"), N + M,
                 "jsonl: a bucket (+Inf)")

            # statsd, agent A: counters summed by the server, and every RTT as a timer.
            def server_has_all():
                sums = counter_sums(sd_a)
                keys = [ah.graphite("tcpscope", pre, "closed_connections", d, p)
                        for (d, p) in want_closed]
                return all(sums.get(k) == want_closed[(d, p)]
                           for k, (d, p) in zip(keys, want_closed))
            ah.wait_for(server_has_all, 20, "statsd A: the closes counted by the server")
            sd_a.sync()
            sums = counter_sums(sd_a)
            for (d, p), n in want_closed.items():
                k = ah.graphite("tcpscope", pre, "closed_connections", d, p)
                c.eq(sums.get(k), n, f"statsd server: {k}")
            for d in ("inbound", "outbound"):
                k = ah.graphite("tcpscope", pre, "closed_connection_bytes_sum", d, "sent")
                c.eq(sums.get(k), sum(cl["b"] if d == "inbound" else cl["a"] for cl in clients),
                     f"statsd server: {k}")
                k = ah.graphite("tcpscope", pre, "closed_connection_rtt_seconds_count", d)
                c.eq(sums.get(k), N + M, f"statsd server: {k}")
            bad = [l for l in statsd_lines(sd_a) if ah.parse_statsd_line(l) is None]
            c.check(not bad, f"statsd A: lines that are not statsd: {bad[:5]}")
            for d in ("inbound", "outbound"):
                name = ah.graphite("tcpscope", pre, "closed_connection_rtt", d)
                lines = [l for l in statsd_lines(sd_a) if l.startswith(name + ":")]
                got = sorted(ah.parse_statsd_line(l)[1] for l in lines)
                want = sorted(e["tcp_info"]["rtt_us"] / 1000 for dd, _, e in evs if dd == d)
                c.eq(len(got), len(want), f"statsd A: {d} RTT timers")
                c.check(all(abs(a - b) < 1e-9 for a, b in zip(got, want)),
                        f"statsd A: {d} RTT timers {got} vs the events' {want}")
                c.check(all(ah.parse_statsd_line(l)[2] == "ms" and ah.statsd_rate(l) == 1.0
                            for l in lines), f"statsd A: {d} timers: type ms, no rate: {lines[:3]}")
            flushes = sd_a.flushes()
            c.eq(sum(f["counters"].get("statsd.bad_lines_seen", 0) for f in flushes), 0,
                 "statsd A: bad lines")

            # Agent B: one port with a series, the other folded; timers sampled.
            def b_counted():
                t = ah.read_ticks(jsonl_b)
                if not t:
                    return None
                got = {(d, p): ah.sample(t[-1], "tcpscope_closed_connections_total", netns=pre,
                                         direction=d, port=p)
                       for d in ("inbound", "outbound") for p in (str(PORT), "other")}
                want = {(d, p): (N if p == str(PORT) else M)
                        for d in ("inbound", "outbound") for p in (str(PORT), "other")}
                return t[-1] if got == want else None
            tick_b = ah.wait_for(b_counted, 20, "agent B: 7600 with a series, 7601 as other")
            c.check(not ah.samples(tick_b, "tcpscope_closed_connections_total", netns=pre,
                                   port=str(PORT2)), "agent B: 7601 has no series of its own")
            # The timers: wait until the server counted them all (scaled by the rates).
            def timer_counts():
                out = {}
                for f in sd_b.flushes():
                    for k, v in (f.get("timer_counters") or {}).items():
                        out[k] = out.get(k, 0) + v
                return out
            keys = {d: ah.graphite("tcpscope", pre, "closed_connection_rtt", d)
                    for d in ("inbound", "outbound")}
            ah.wait_until(lambda: all(abs(timer_counts().get(k, 0) - (N + M)) < 1e-6
                                      for k in keys.values()), 20, 0.2, "statsd B timer counts")
            sd_b.sync()
            tc = timer_counts()
            for d, k in keys.items():
                c.check(abs(tc.get(k, 0) - (N + M)) < 1e-6,
                        f"statsd B: the server's count of {k}: {tc.get(k)} (want {N + M})")
            per_tick = {}
            rated = 0
            for group in ah.group_by_tick(sd_b.packets()):
                for _, data in group:
                    for line in ah.datagram_lines(data):
                        p = ah.parse_statsd_line(line)
                        if p and p[2] == "ms":
                            per_tick.setdefault((id(group), p[0]), []).append(line)
                            rated += ah.statsd_rate(line) < 1
            c.check(per_tick and max(len(v) for v in per_tick.values()) <= 2,
                    f"statsd B: more than 2 timers of a name in a tick: "
                    f"{max((len(v) for v in per_tick.values()), default=0)}")
            c.check(rated > 0, "statsd B: no timer was sent with a rate (the closes came in one "
                               "or two ticks, more than 2 each)")

            # Agent C: nothing of the closes anywhere.
            f_c = ah.scrape(port_c, agent_c)
            c.check(f_c is not None and not any(n in f_c for n in CLOSE_FAMILIES),
                    f"agent C (disabled): close families in /metrics: "
                    f"{[n for n in CLOSE_FAMILIES if f_c and n in f_c]}")
            ticks_c = ah.read_ticks(jsonl_c)
            names = {s["metric"] for t in ticks_c for s in t.get("samples", [])}
            c.check(not any(n.startswith("tcpscope_closed_") or n.startswith("tcpscope_close_")
                            for n in names), "agent C (disabled): close metrics in JSON lines")
            c.check(len(ticks_c) >= 2, "agent C: ticks")
        finally:
            traffic.stdin.close()
            traffic.wait(timeout=10)
        for agent in (agent_a, agent_b, agent_c):
            c.eq(agent.stop(), 0, f"{agent.args[-1]}: exit status after SIGTERM")
            c.check("error" not in agent.stderr(), f"agent stderr: {agent.stderr()[-500:]}")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

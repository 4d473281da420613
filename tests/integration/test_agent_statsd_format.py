#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope agent` statsd wire format, captured raw with our own UDP socket.

On std_agent_table (agent_harness), with `--once --interval 1s` (a baseline, then one emitted
collection a second later) and with `--interval 1s` for the live counters.

Checks:
* Graphite (default): every datagram is lines separated by \\n, each `NAME:VALUE|g` or `|c`,
  `--once` sends the default counters as `|c` changes over its interval (0 here); names
  `tcpscope.NS.NAME[.LABEL...]` with `.:/[]*%` and spaces in label values turned into `_`
  (`127_0_0_1_7402`, `___1__7403`, `__7404`, `127_0_0_1_lo_7405`), exact values vs ss;
  no datagram above the default mtu 1432, and lines are packed (fewer datagrams than lines);
* `--netns /var/run/netns/NS` (a path): the path is the label (`_var_run_netns_NS`);
* `--prefix foo`: every name starts with `foo.` (and no other `tcpscope.`), same values;
* `--statsd-tags`: `tcpscope.NAME:VALUE|TYPE|#netns:NS,...` with the raw label values
  (`listener:127.0.0.1:7402`), the same values as Graphite, agent-global metrics without a
  netns tag; counters (second tick on) as `|c` with tags;
* `--statsd-mtu 200`: no datagram above 200 bytes, no line split, the same set of lines (names
  and gauge values) as with the default mtu; `--statsd-mtu 64`: nothing above 64 bytes, every
  line that fits still arrives whole, longer ones are dropped (not split);
* the real statsd server accepts the tagged lines too (no bad line).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_harness as ah  # noqa: E402
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402

# Gauges that vary from run to run (timings, memory, CPU): compared by name only.
VOLATILE = ("agent_collection_duration_seconds", "agent_resident_memory_bytes",
            "agent_cpu_seconds", "agent_census_cpu_seconds", "census_age_seconds",
            "agent_sockets_seen", "tcp_memory_bytes", "doctor_finding",
            "agent_statsd_packets", "agent_collections", "agent_errors", "agent_http_requests",
            "agent_ticks_skipped", "agent_dump")


def run_once(c, binary, cap, ns, extra=()):
    """Datagrams of one `--once` run. --once is one collection: one burst; should there be more,
    that is reported and the last one is used for the other checks."""
    cap.clear()
    p = nstest.run([binary, "--once", "--netns", ns.name, "--statsd", f"127.0.0.1:{cap.port}",
                    "--interval", "1s"] + list(extra), check=False, timeout=30)
    if p.returncode != 0:
        raise TestFailure(f"--once {' '.join(extra)}: exit {p.returncode}: {p.stderr.strip()}")
    extra = list(extra)
    prefix = extra[extra.index("--prefix") + 1] if "--prefix" in extra else "tcpscope"
    # The run has exited: cap.barrier() returns once all it sent has been read.
    groups = ah.group_by_tick(cap.barrier(), prefix)
    c.eq(len(groups), 1, f"--once {' '.join(extra)}: ticks of datagrams (one collection)")
    return groups[-1] if groups else []


def check_datagrams(c, packets, mtu, what):
    """Returns the parsed lines; checks sizes and syntax."""
    out = []
    if not c.check(packets, f"{what}: no datagram received"):
        return out
    for _, data in packets:
        c.check(len(data) <= mtu, f"{what}: datagram of {len(data)} bytes > mtu {mtu}")
        for line in ah.datagram_lines(data):
            p = ah.parse_statsd_line(line)
            if c.check(p is not None, f"{what}: not a statsd line (split or malformed): "
                                      f"{line!r}"):
                out.append((line, p))
    return out


def stable(lines):
    """{line} without the volatile metrics."""
    return {line for line, (name, _, _, _) in lines if not any(v in name for v in VOLATILE)}


def main():
    args = nstest.parse_args(__doc__)
    binary = ah.agent_path(args)
    c = nstest.Checker()
    with nstest.netns("ag-fmt") as ns, ah.Harness() as h:
        ah.std_agent_table(ns, args.tablegen)
        counts, ls = ah.check_std_table(ns)
        N = ns.name
        cap = h.udp_capture()

        # Graphite, default mtu.
        pk = run_once(c, binary, cap, ns)
        g_lines = check_datagrams(c, pk, 1432, "graphite")
        gv = {p[0]: p[1] for _, p in g_lines if p[2] == "g"}
        c.check(all(p[3] is None for _, p in g_lines), "graphite lines with tags")
        c.check(len(pk) * 3 < len(g_lines), f"graphite: {len(pk)} datagrams for {len(g_lines)} "
                                            f"lines: not packed")
        names = [p[0] for _, p in g_lines]
        c.eq(len(names), len(set(names)), "graphite: a name sent twice in one tick")
        for name in names:
            c.check(name.startswith("tcpscope."), f"graphite: {name} without the prefix")
        for (proto, st), n in counts.items():
            c.eq(gv.get(ah.graphite("tcpscope", N, "sockets", proto, st)), n,
                 f"graphite sockets {proto} {st}")
        for lab, ssaddr in ah.STD_LISTENERS.items():
            for metric, i in (("listener_accept_queue", 0), ("listener_accept_queue_limit", 1)):
                name = ah.graphite("tcpscope", N, metric, lab)
                c.eq(gv.get(name), ls[ssaddr][i], f"graphite {name}")
        for raw, want in (("127.0.0.1:7402", "127_0_0_1_7402"), ("[::1]:7403", "___1__7403"),
                          ("*:7404", "__7404"), ("127.0.0.1%lo:7405", "127_0_0_1_lo_7405")):
            name = f"tcpscope.{N}.listener_accept_queue.{want}"
            c.check(name in gv, f"graphite: {name} (listener {raw}) not sent")
        c.check(any(n == "tcpscope.agent_namespaces" for n in names),
                "graphite: tcpscope.agent_namespaces (no netns element) not sent")
        # --once emits the collection one interval after its baseline: counters carry their
        # change over that interval (0 in this quiet namespace, sent all the same).
        gc = {p[0]: p[1] for _, p in g_lines if p[2] == "c"}
        for ctr in ah.DEFAULT_COUNTERS:
            got = [gc[n] for n in (ah.graphite("tcpscope", N, b)
                                   for b in ah.counter_base_variants(ctr)) if n in gc]
            c.eq(got, [0], f"graphite --once: {ctr} change over the interval")

        # --netns PATH: the label is the path, `/` becomes `_` in the Graphite name.
        path = f"/var/run/netns/{N}"
        cap.clear()
        p = nstest.run([binary, "--once", "--netns", path, "--statsd", f"127.0.0.1:{cap.port}",
                        "--interval", "1s"], check=False, timeout=30)
        c.eq(p.returncode, 0, f"--once --netns {path}: exit status ({p.stderr.strip()[-200:]})")
        pv = {x[0]: x[1] for _, d in cap.barrier() for line in ah.datagram_lines(d)
              for x in [ah.parse_statsd_line(line)] if x}
        name = f"tcpscope._var_run_netns_{N}.sockets.tcp.established"
        c.eq(pv.get(name), counts[("tcp", "established")], f"--netns {path}: {name}")

        # --prefix.
        pk = run_once(c, binary, cap, ns, ["--prefix", "foo"])
        f_lines = check_datagrams(c, pk, 1432, "--prefix foo")
        bad = [p[0] for _, p in f_lines if not p[0].startswith("foo.")]
        c.check(not bad, f"--prefix foo: names without it: {bad[:5]}")
        fv = {p[0]: p[1] for _, p in f_lines if p[2] == "g"}
        for (proto, st), n in counts.items():
            c.eq(fv.get(ah.graphite("foo", N, "sockets", proto, st)), n,
                 f"--prefix foo: sockets {proto} {st}")
        c.eq(fv.get(ah.graphite("foo", N, "listener_accept_queue", "127.0.0.1:7402")), 5,
             "--prefix foo: full listener's queue")

        # DogStatsD tags.
        pk = run_once(c, binary, cap, ns, ["--statsd-tags"])
        t_lines = check_datagrams(c, pk, 1432, "--statsd-tags")
        tv = {}
        for line, (name, value, typ, tags) in t_lines:
            if tags is None:  # no label at all: only the agent's own unlabelled metrics
                c.check(name in ("tcpscope.agent_namespaces",
                                 "tcpscope.agent_resident_memory_bytes",
                                 "tcpscope.agent_cpu_seconds", "tcpscope.agent_ticks_skipped",
                                 "tcpscope.agent_census_max_age_seconds",
                                 "tcpscope.agent_census_cpu_seconds"),
                        f"--statsd-tags: line without tags: {line!r}")
                tags = {}
            c.check(name.startswith("tcpscope.") and name.count(".") == 1,
                    f"--statsd-tags: name should be PREFIX.NAME: {line!r}")
            key = (name, tuple(sorted(tags.items())))
            c.check(key not in tv, f"--statsd-tags: series twice: {line!r}")
            tv[key] = value
            if name.startswith("tcpscope.agent_") and name in (
                    "tcpscope.agent_namespaces", "tcpscope.agent_statsd_packets",
                    "tcpscope.agent_resident_memory_bytes"):
                c.check("netns" not in tags, f"--statsd-tags: agent-global with netns: {line!r}")
            elif typ == "g" and not name.startswith("tcpscope.agent_"):
                c.eq(tags.get("netns"), N, f"--statsd-tags: netns tag of {line!r}")
                c.check(line.split("|#", 1)[1].startswith(f"netns:{N}"),
                        f"--statsd-tags: netns should be the first tag: {line!r}")

        def tval(name, **tags):
            return tv.get((name, tuple(sorted(dict(netns=N, **tags).items()))))
        for (proto, st), n in counts.items():
            c.eq(tval("tcpscope.sockets", protocol=proto, state=st), n,
                 f"--statsd-tags sockets {proto} {st}")
        for lab, ssaddr in ah.STD_LISTENERS.items():
            c.eq(tval("tcpscope.listener_accept_queue", listener=lab), ls[ssaddr][0],
                 f"--statsd-tags accept queue listener:{lab}")
            c.eq(tval("tcpscope.listener_accept_queue_limit", listener=lab), ls[ssaddr][1],
                 f"--statsd-tags accept queue limit listener:{lab}")
        c.eq(tval("tcpscope.listeners"), len(ls), "--statsd-tags listeners")

        # The real statsd server takes the tagged lines.
        sd = h.statsd()
        p = nstest.run([binary, "--once", "--netns", N, "--statsd", f"127.0.0.1:{sd.port}",
                        "--statsd-tags", "--interval", "1s"], check=False, timeout=30)
        c.eq(p.returncode, 0, f"--once --statsd-tags to statsd: exit ({p.stderr.strip()})")
        sd.sync()  # all the run sent is received and flushed
        bad_lines = sum(f["counters"].get("statsd.bad_lines_seen", 0) for f in sd.flushes())
        c.eq(bad_lines, 0, "statsd server: bad lines in the tagged output")
        c.check(any(k.startswith("tcpscope.sockets;") for f in sd.flushes()
                    for k in f["gauges"]),
                "statsd server: no tagged tcpscope.sockets gauge")

        # mtu 200: same lines, smaller datagrams.
        pk = run_once(c, binary, cap, ns, ["--statsd-mtu", "200"])
        m_lines = check_datagrams(c, pk, 200, "--statsd-mtu 200")
        c.check(len(pk) > 1, "--statsd-mtu 200: a single datagram?")
        a, b = stable(g_lines), stable(m_lines)
        c.check(a == b, f"--statsd-mtu 200 vs 1432: lines differ:\n  only 1432: "
                        f"{sorted(a - b)[:8]}\n  only 200: {sorted(b - a)[:8]}")

        # mtu 64: lines longer than 64 dropped, never split; the short ones still arrive.
        pk = run_once(c, binary, cap, ns, ["--statsd-mtu", "64"])
        s_lines = check_datagrams(c, pk, 64, "--statsd-mtu 64")
        fits = {line for line in a if len(line) <= 64}
        got = {line for line, _ in s_lines}
        c.check(fits and fits <= got, f"--statsd-mtu 64: lines that fit but did not arrive: "
                                      f"{sorted(fits - got)[:8]}")
        c.check(not any(len(line) > 64 for line in got), "--statsd-mtu 64: a line above 64")

        # Counters with tags, from the second tick on.
        cap.clear()
        agent = h.agent(binary, ["--netns", N, "--statsd", f"127.0.0.1:{cap.port}",
                                 "--statsd-tags", "--interval", "1s"], tag="tags-live")
        ok = ah.wait_until(lambda: len(ah.group_by_tick(cap.packets())) >= 3, 20, 0.1,
                           "3 ticks at the capture socket")
        c.eq(agent.stop(), 0, "exit status after SIGTERM")
        if not ok:
            agent.fail("fewer than 3 ticks reached the capture socket")
        groups = ah.group_by_tick(cap.barrier())
        lines = [ah.parse_statsd_line(x) for _, d in groups[1] for x in ah.datagram_lines(d)]
        ctrs = {(p[0], tuple(sorted(p[3].items()))): p[1] for p in lines
                if p and p[2] == "c" and p[3] is not None}
        key = ("tcpscope.tcpext_listen_overflows", (("netns", N),))
        c.check(key in ctrs, f"--statsd-tags: {key} not sent as a counter on the second tick; "
                             f"counters: {sorted(ctrs)[:6]}")
        c.eq(ctrs.get(key), 0, "--statsd-tags: ListenOverflows delta in a quiet namespace")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

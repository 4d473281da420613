#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope agent --netns all`: namespaces appearing, disappearing and replaced while it runs.

The agent runs with `--netns all --interval 1s --prometheus PORT --jsonl FILE --statsd
127.0.0.1:CAPTURE` (our own UDP socket). A namespace `tcpscope-it-ag-dyn-PID` is created with a
small table (one listener, two pairs), gets traffic, is deleted, then created again under the
same name with traffic of its own.

Checks:
* the own namespace is there as `netns="host"`; tcpscope_agent_namespaces = the number of netns
  labels served, each `host`, the name of a namespace under /var/run/netns, or one of the
  namespaces only processes hold (at most as many labels as there are of those);
* the new namespace appears with its name as the netns label and ss's values (established 4,
  listeners 1);
* deleted: every series with its label disappears; the agent keeps ticking (collections of
  `host` go on, no tick skipped);
* statsd counters: the first tick of each incarnation (appearing, and replaced by a new one of
  the same name) only records a baseline (no `c` line for it); on every later tick the
  PassiveOpens delta sent equals the difference of the cumulative values of the same two ticks
  in the JSON lines; the sum over each incarnation is its own traffic;
* SIGTERM: exit 0.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_harness as ah  # noqa: E402
import nstest  # noqa: E402


def _identity(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def namespace_names():
    """What `--netns all` follows now: host + the names under /var/run/netns (+ docker), and how
    many namespaces only processes hold (/proc/*/ns/net, named by their container or pid)."""
    out = {"host"}
    bound = {_identity("/proc/self/ns/net")}
    for d, pre in (("/var/run/netns", ""), ("/var/run/docker/netns", "docker/")):
        try:
            names = [e for e in os.listdir(d) if not e.startswith(".")]
        except OSError:
            continue
        out |= {pre + e for e in names}
        bound |= {_identity(os.path.join(d, e)) for e in names}
    held = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            held.add(_identity(f"/proc/{pid}/ns/net"))
    return out, len(held - bound - {None})


def check_namespaces(c, f, what, must=(), must_not=()):
    """tcpscope_agent_namespaces = the netns labels in the same scrape, which are names that
    exist (other tests' namespaces may come and go meanwhile) and include/exclude ours."""
    labels = {sl["netns"] for fam in f.values() for _, sl, _ in fam["samples"] if "netns" in sl}
    c.eq(ah.prom_value(f, "tcpscope_agent_namespaces"), len(labels),
         f"{what}: tcpscope_agent_namespaces vs the netns labels served {sorted(labels)}")
    now, process_only = namespace_names()
    others = labels - now - set(must_not) - set(must)
    # Other tests' namespaces come and go meanwhile: a little slack.
    c.check(len(others) <= process_only + 2,
            f"{what}: netns labels {sorted(others)} are neither a bind mount nor one of the "
            f"{process_only} namespaces only processes hold")
    for m in must:
        c.check(m in labels, f"{what}: {m} not followed")
    for m in must_not:
        c.check(m not in labels, f"{what}: {m} still followed")


def main():
    args = nstest.parse_args(__doc__)
    binary = ah.agent_path(args)
    c = nstest.Checker()
    with ah.Harness() as h:
        port = ah.free_port()
        cap = h.udp_capture()
        jsonl = os.path.join(h.tmp, "all.jsonl")
        agent = h.agent(binary, ["--netns", "all", "--interval", "1s", "--prometheus",
                                 f"127.0.0.1:{port}", "--jsonl", jsonl, "--statsd",
                                 f"127.0.0.1:{cap.port}"])

        def scrape():
            return ah.scrape(port, agent)

        def host_collections(f):
            return ah.prom_value(f, "tcpscope_agent_collections_total", netns="host",
                                 kind="full") if f else None

        f = ah.wait_until(lambda: (lambda f: f if host_collections(f) else None)(scrape()), 10,
                          0.2, "host in /metrics")
        if not f:
            agent.fail("the own namespace (netns=\"host\") never showed in /metrics")
        check_namespaces(c, f, "before", must=["host"])
        name = None
        incarnations = []
        for inc, n_conn in ((1, 3), (2, 2)):
            with nstest.netns("ag-dyn") as ns:
                name = ns.name
                ns.tablegen(args.tablegen, ["--listen", "127.0.0.1,7701",
                                            "--connect", "127.0.0.1,7701,count=2"])

                def present():
                    f = scrape()
                    est = ah.prom_value(f, "tcpscope_sockets", netns=name, protocol="tcp",
                                        state="established") if f else None
                    return f if est == 4 else None
                f = ah.wait_until(present, 15, 0.2, "new namespace in /metrics")
                c.check(f is not None, f"incarnation {inc}: {name} did not appear in /metrics "
                                       f"with 4 established sockets")
                if f:
                    c.eq(ah.prom_value(f, "tcpscope_listeners", netns=name), 1,
                         f"incarnation {inc}: listeners")
                    check_namespaces(c, f, f"incarnation {inc}", must=["host", name])
                t_seen = time.time()
                # Traffic only after the agent has seen the namespace (its baseline is taken).
                ah.wait_for(lambda: _tick_with(jsonl, name, after=t_seen), 15,
                            f"a JSON-lines tick with {name}")
                ah.traffic(ns, conn_port=7702, n_conn=n_conn)
                n = len(ah.read_ticks(jsonl))
                h.wait_ticks(agent, jsonl, n + 2, 15)
                incarnations.append((name, n_conn))
            # Deleted: its series go away, the agent goes on.
            gone = ah.wait_until(lambda: (lambda f: f if f and not any(
                sl.get("netns") == name for fam in f.values() for _, sl, _ in fam["samples"])
                else None)(scrape()), 15, 0.2, "namespace gone")
            c.check(gone, f"incarnation {inc}: series of {name} still in /metrics 15 s after "
                          f"the namespace was deleted")
            if gone:
                check_namespaces(c, gone, f"after deleting incarnation {inc}", must=["host"],
                                 must_not=[name])
        col0 = host_collections(scrape())
        _, f = ah.scrape_until(port, agent, lambda f: (host_collections(f) or 0) >= (col0 or 0) + 2,
                               15, "two more host collections after the deletions")
        col1 = host_collections(f)
        c.check(col0 is not None and col1 is not None and col1 - col0 >= 2,
                f"host collections after the deletions: {col0} -> {col1}")
        c.eq(ah.prom_value(f, "tcpscope_agent_ticks_skipped_total"), 0, "ticks skipped")
        c.eq(agent.stop(), 0, "exit status after SIGTERM")  # a tick under way finishes first

        # statsd deltas vs the JSON lines' cumulative values, tick by tick.
        ticks = ah.read_ticks(jsonl)
        groups = ah.group_by_tick(cap.barrier())
        if not c.check(len(groups) == len(ticks), f"{len(groups)} ticks of datagrams for "
                                                  f"{len(ticks)} JSON-lines ticks"):
            c.finish()
        pname = "tcpscope_tcp_passive_opens_total"
        gname = ah.graphite("tcpscope", name, "tcp_passive_opens")
        prev = None
        sums, firsts, lasts = [], [], []
        for i, (tick, g) in enumerate(zip(ticks, groups)):
            cum = ah.sample(tick, pname, netns=name)
            sent = [ah.parse_statsd_line(x) for _, d in g for x in ah.datagram_lines(d)]
            sent = [p for p in sent if p and p[0] == gname]
            if cum is None:
                c.check(not sent, f"tick {i + 1}: {gname} sent while the namespace is absent")
                prev = None
                continue
            if prev is None:
                firsts.append(cum)
                lasts.append(cum)
                c.check(not sent, f"tick {i + 1}: first tick of an incarnation sent {sent} "
                                  f"(should only record a baseline)")
                sums.append(0)
            else:
                if c.check(len(sent) == 1 and sent[0][2] == "c",
                           f"tick {i + 1}: {gname} sent {sent}, want one |c line"):
                    c.eq(sent[0][1], cum - prev, f"tick {i + 1}: {gname} delta vs the JSON "
                                                 f"lines' cumulative {prev} -> {cum}")
                    sums[-1] += sent[0][1]
                lasts[-1] = cum
            prev = cum
        # tablegen's 2 accepted connections, then the traffic: the last cumulative value of each
        # incarnation; the deltas add up to it minus the baseline (tablegen may still have been
        # connecting when the agent took it).
        c.eq(lasts, [2 + n for _, n in incarnations], "PassiveOpens at the end of each incarnation")
        c.eq(sums, [l - f for f, l in zip(firsts, lasts)],
             "PassiveOpens deltas summed per incarnation = last - baseline")
        c.check(all(x >= n for x, (_, n) in zip(sums, incarnations)),
                f"PassiveOpens deltas per incarnation {sums} below the traffic made")
    c.finish()


def _tick_with(path, name, after):
    for t in ah.read_ticks(path):
        if ah.tick_time(t) >= after and ah.samples(t, "tcpscope_sockets", netns=name):
            return True
    return False


if __name__ == "__main__":
    nstest.run_main(main)

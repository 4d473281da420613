#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope watch` (and `sockets -E`): destroy events, checked against known closes and `ss -E`.

In a fresh namespace, a server on 127.0.0.1:7000 and [::1]:7000 and N clients, each sending a
known number of bytes (a_i) and receiving another (b_i), then closing; so 2N sockets are freed:
* `watch --json` prints 2N events: on the client side bytes_sent = a_i and bytes_received is
  b_i (+1 for the FIN), on the server side the reverse; clients are "outbound", the server's
  accepted sockets "inbound" (the listener is on 7000); every event has a cookie;
* `ss -tnE` (run beside it, unbuffered) saw the same closes (same local and peer endpoints), and
  `watch` text and `sockets -E` print the same rows;
* filters (`dport = :7000`: the client ends only; `-6`: the IPv6 ones only);
* an overflow: a watcher with a tiny receive buffer is stopped (SIGSTOP) while closes happen,
  then continued: it reports the loss (stderr, and a "lost" JSON record) and goes on printing
  the events of later closes; `--stats` counts the overflow;
* `--netns all`: closes in two namespaces (one with an id in ours, heard by the host-wide
  subscription; one without, heard by a subscription opened inside it), and in a third created
  while watching, arrive named;
* `--summary`: per port, the closes and bytes of the interval.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402

PORT = 7000

def start_watch(ns, args, extra, stderr=subprocess.DEVNULL):
    """Runs tcpscope inside `ns` (None: in the test's own namespace)."""
    out = tempfile.NamedTemporaryFile("w+", prefix="tcpscope-watch-", delete=False)
    where = ["ip", "netns", "exec", ns.name] if ns is not None else []
    p = subprocess.Popen(where + [args.tcpscope] + extra, stdout=out, stderr=stderr, text=True)
    return p, out.name


def wait_lines(path, pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            lines = f.read().splitlines()
        if pred(lines):
            return lines
        time.sleep(0.05)
    with open(path) as f:
        raise TestFailure(f"{what}: timed out; output:\n{f.read()[-3000:]}")


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_traffic(ns, n, families="4,6"):
    """Runs the clients; returns (process holding the listeners, client records)."""
    fams = families.split(",")
    p, clients = nstest.close_traffic(ns, [(f, PORT) for f in fams],
                                      [(fams[i % len(fams)], PORT) for i in range(n)])
    return p, [{"family": c["family"], "port": c["local"], "a": c["a"], "b": c["b"]}
               for c in clients]


def json_events(lines):
    out = []
    for l in lines:
        if l.strip():
            out.append(json.loads(l))
    return out


def ready(ns, args):
    """A watcher subscribes at once; give it a close to prove it (a throw-away connection)."""
    probe = ("import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen();"
             "c=socket.create_connection(s.getsockname()); a,_=s.accept(); c.close(); a.close()")
    nstest.run(["ip", "netns", "exec", ns.name, sys.executable, "-c", probe])


def check_events(ns, args, c):
    n = 12
    w, path = start_watch(ns, args, ["watch", "--json"])
    ss_out = tempfile.NamedTemporaryFile("w+", prefix="tcpscope-ssE-", delete=False)
    ssp = subprocess.Popen(["ip", "netns", "exec", ns.name, "stdbuf", "-oL", "ss", "-tnEH"],
                           stdout=ss_out, stderr=subprocess.DEVNULL)
    txt, txt_path = start_watch(ns, args, ["watch", "-tnH"])
    sE, sE_path = start_watch(ns, args, ["sockets", "-E", "-tnH"])
    try:
        ready(ns, args)
        wait_lines(path, lambda ls: len(ls) >= 2, 20, "watch: the probe's closes")
        wait_lines(ss_out.name, lambda ls: len(ls) >= 2, 20, "ss -E: the probe's closes")
        base = len(json_events(open(path).read().splitlines()))
        traffic, clients = run_traffic(ns, n)
        lines = wait_lines(path, lambda ls: len(ls) >= base + 2 * n, 30, "watch --json: 2N events")
        traffic.stdin.close()
        traffic.wait(timeout=10)
        events = [e for e in json_events(lines)[base:] if e.get("peer_port") == PORT
                  or e.get("local_port") == PORT]
        by_client = {}
        for e in events:
            c.check("cookie" in e and "tcp_info" in e, f"event without cookie/tcp_info: {e}")
            key = e["local_port"] if e["peer_port"] == PORT else e["peer_port"]
            by_client.setdefault(key, []).append(e)
        for cl in clients:
            evs = by_client.get(cl["port"], [])
            if not c.check(len(evs) == 2, f"client {cl}: {len(evs)} events"):
                continue
            client = next((e for e in evs if e["peer_port"] == PORT), None)
            server = next((e for e in evs if e["local_port"] == PORT), None)
            if not c.check(client and server, f"client {cl}: no client or server event"):
                continue
            ci, si = client["tcp_info"], server["tcp_info"]
            c.eq(ci.get("bytes_sent"), cl["a"], f"client {cl['port']} bytes_sent")
            c.check(ci.get("bytes_received") in (cl["b"], cl["b"] + 1),
                    f"client {cl['port']} bytes_received {ci.get('bytes_received')} vs {cl['b']}")
            c.eq(si.get("bytes_sent"), cl["b"], f"server end of {cl['port']} bytes_sent")
            c.check(si.get("bytes_received") in (cl["a"], cl["a"] + 1),
                    f"server end of {cl['port']} bytes_received {si.get('bytes_received')}")
            c.eq(client["direction"], "outbound", f"client {cl['port']} direction")
            c.eq(server["direction"], "inbound", f"server end of {cl['port']} direction")
            c.eq(client["family"], "ipv4" if cl["family"] == "4" else "ipv6",
                 f"client {cl['port']} family")
        # ss -E saw the same closes; watch's text and sockets -E print the same rows.
        # Connections only: the listeners' own closes differ on purpose (ss 6.1 prints a v6only
        # listener's peer as "*:*" when the event has no v6only attribute; tcpscope knows a
        # socket bound to ::1 is IPv6-only and prints "[::]:*").
        def endpoints(rows):
            return sorted((r.local, r.peer) for r in rows
                          if (r.local.endswith(f":{PORT}") or r.peer.endswith(f":{PORT}"))
                          and not r.peer.endswith(":*"))
        want = 2 * n
        ss_lines = wait_lines(ss_out.name, lambda ls: len(endpoints(
            nstest.parse_rows("\n".join(ls), "ss -E"))) >= want, 20, "ss -E: 2N closes")
        txt_lines = wait_lines(txt_path, lambda ls: len(endpoints(
            nstest.parse_rows("\n".join(l for l in ls if not l.startswith("\t")),
                              "watch"))) >= want, 20, "watch text: 2N closes")
        se_lines = wait_lines(sE_path, lambda ls: len(endpoints(
            nstest.parse_rows("\n".join(ls), "sockets -E"))) >= want, 20, "sockets -E: 2N")
        ss_eps = endpoints(nstest.parse_rows("\n".join(ss_lines), "ss -E"))
        c.eq(endpoints(nstest.parse_rows("\n".join(txt_lines), "watch")), ss_eps,
             "watch -tnH rows vs ss -tnEH")
        c.eq(endpoints(nstest.parse_rows("\n".join(se_lines), "sockets -E")), ss_eps,
             "sockets -E -tnH rows vs ss -tnEH")
        c.eq(len(ss_eps), want, "ss -E closes")
    finally:
        for p in (w, txt, sE):
            stop(p)
        ssp.terminate()
        ssp.wait()


def check_filters(ns, args, c):
    n = 6
    a, pa = start_watch(ns, args, ["watch", "--json", "dport", "=", f":{PORT}"])
    b, pb = start_watch(ns, args, ["watch", "--json", "-6"])
    try:
        ready(ns, args)
        time.sleep(0.2)
        traffic, clients = run_traffic(ns, n)
        la = wait_lines(pa, lambda ls: len(ls) >= n, 20, "dport filter: N client events")
        lb = wait_lines(pb, lambda ls: len([l for l in ls if '"ipv6"' in l]) >= n, 20,
                        "-6: the IPv6 events")
        traffic.stdin.close()
        traffic.wait(timeout=10)
        time.sleep(0.3)
        ea = json_events(open(pa).read().splitlines())
        c.check(all(e["peer_port"] == PORT for e in ea), "dport filter let other events through")
        c.eq(len(ea), n, "dport filter: events")
        eb = json_events(open(pb).read().splitlines())
        c.check(all(e["family"] == "ipv6" for e in eb), "-6 let IPv4 events through")
        c.eq(len([e for e in eb if PORT in (e["local_port"], e["peer_port"])
                  and e["peer_port"] != 0]), n, "-6: the IPv6 half of 2N")
    finally:
        stop(a)
        stop(b)


def check_overflow(ns, args, c):
    err = tempfile.NamedTemporaryFile("w+", prefix="tcpscope-watch-err-", delete=False)
    w, path = start_watch(ns, args, ["watch", "--json", "--stats", "--receive-buffer", "4096"],
                          stderr=err)
    try:
        ready(ns, args)
        wait_lines(path, lambda ls: len(ls) >= 2, 20, "overflow: the probe")
        w.send_signal(signal.SIGSTOP)
        traffic, _ = run_traffic(ns, 40, "4")
        traffic.stdin.close()
        traffic.wait(timeout=10)
        w.send_signal(signal.SIGCONT)
        wait_lines(path, lambda ls: any('"lost":true' in l for l in ls), 20, "a lost record")
        before = len(open(path).read().splitlines())
        ready(ns, args)
        wait_lines(path, lambda ls: len(ls) >= before + 2, 20, "events after the loss")
        stop(w)
        err.seek(0)
        text = err.read()
        c.check("dropped events" in text, f"overflow not reported on stderr: {text!r}")
        c.check("overflows (events lost)" in text and " 0 overflows" not in text,
                f"--stats does not count the overflow: {text!r}")
    finally:
        stop(w)


def check_all_namespaces(ns, args, c):
    with nstest.netns("wall2") as ns2:
        # ns2 gets an id in ours: the host-wide subscription (NETLINK_LISTEN_ALL_NSID) hears it;
        # ns (no id) gets a subscription of its own.
        nstest.run(["ip", "netns", "set", ns2.name, "auto"])
        err = tempfile.NamedTemporaryFile("w+", prefix="tcpscope-watch-err-", delete=False)
        # From the test's own namespace, which is "host"; the others by their names.
        w, path = start_watch(None, args, ["--netns", "all", "watch", "--json", "--stats"],
                              stderr=err)
        try:
            for n_ in (ns, ns2):
                ready(n_, args)
            wait_lines(path, lambda ls: {ns.name, ns2.name} <= {json.loads(l)["netns"]
                                                                 for l in ls if l.strip()},
                       20, "--netns all: events of both namespaces")
            with nstest.netns("wall3") as ns3:
                # Picked up within a second; probe until its closes show.
                deadline = time.monotonic() + 20
                seen = False
                while time.monotonic() < deadline and not seen:
                    ready(ns3, args)
                    time.sleep(0.3)
                    seen = any(l.strip() and json.loads(l)["netns"] == ns3.name
                               for l in open(path).read().splitlines())
                c.check(seen, "--netns all: a namespace created while watching was not picked up")
            stop(w)
            err.seek(0)
            text = err.read()
            m = re.search(r"one host-wide subscription, (\d+) heard by id, (\d+) with a "
                          r"subscription of their own", text)
            if c.check(m is not None, f"--netns all --stats: no host-wide subscription: {text!r}"):
                c.check(int(m.group(1)) >= 1, f"--netns all: no namespace heard by id: {text!r}")
                c.check(int(m.group(2)) >= 2, f"--netns all: no own subscriptions: {text!r}")
        finally:
            stop(w)


def check_summary(ns, args, c):
    w, path = start_watch(ns, args, ["watch", "--json", "--summary", "1s"])
    try:
        traffic, clients = run_traffic(ns, 8)
        traffic.stdin.close()
        traffic.wait(timeout=10)
        lines = wait_lines(path, lambda ls: sum(
            p["closed"] for l in ls if l.strip() for p in json.loads(l)["ports"]
            if p["port"] == PORT and p["direction"] == "inbound") >= 8, 20,
            "--summary: the 8 inbound closes on 7000")
        inbound = [p for l in lines if l.strip() for p in json.loads(l)["ports"]
                   if p["port"] == PORT and p["direction"] == "inbound"]
        outbound = [p for l in lines if l.strip() for p in json.loads(l)["ports"]
                    if p["port"] == PORT and p["direction"] == "outbound"]
        c.eq(sum(p["closed"] for p in inbound), 8, "--summary inbound closes on :7000")
        c.eq(sum(p["bytes_sent"] for p in inbound), sum(cl["b"] for cl in clients),
             "--summary inbound bytes sent (the servers' answers)")
        got_in = sum(p["bytes_received"] for p in inbound)
        want_in = sum(cl["a"] for cl in clients)
        c.check(want_in <= got_in <= want_in + len(clients),
                f"--summary inbound bytes received {got_in}, want {want_in} (+1 per FIN)")
        wait_lines(path, lambda ls: sum(p["closed"] for l in ls if l.strip()
                                        for p in json.loads(l)["ports"] if p["port"] == PORT
                                        and p["direction"] == "outbound") >= 8, 10,
                   "--summary: the 8 outbound closes to 7000")
        c.check(all(p["rtt_p50_ms"] is not None for p in inbound + outbound),
                "--summary: RTT percentiles missing")
    finally:
        stop(w)


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("watch") as ns:
        check_events(ns, args, c)
        check_filters(ns, args, c)
        check_overflow(ns, args, c)
        check_summary(ns, args, c)
        check_all_namespaces(ns, args, c)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope top --json` (batch mode) on a live table in a fresh namespace, against ss, nstat and
known traffic:

* a listener on 127.0.0.1:7100 with backlog 1 that never accepts, and clients connecting to it:
  its accept queue and limit equal `ss -ltnH`'s Recv-Q/Send-Q; its process is the one that
  holds it; ListenOverflows rises (the clients' handshakes are dropped and retried), and top's
  per-refresh deltas add up to no more than nstat's change over the whole run, and to more than 0;
* a paced transfer (a client sending 2,000,000 bytes/s to 127.0.0.1:7200): the client's
  tx_bytes_per_second and the server's rx_bytes_per_second are within 30 % of the pace;
* the state counts equal `ss -tanH`'s (the table is steady);
* batch text: the same numbers as the JSON of the same refresh (queue line of the listener).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402

PACE = 2_000_000  # bytes per second

TRAFFIC = r"""
import socket, sys, threading, time
full = socket.socket(); full.bind(("127.0.0.1", 7100)); full.listen(1)
clients = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 7100))
    except BlockingIOError: pass
    clients.append(c)
srv = socket.socket(); srv.bind(("127.0.0.1", 7200)); srv.listen(8)
def sink():
    a, _ = srv.accept()
    while a.recv(1 << 20): pass
threading.Thread(target=sink, daemon=True).start()
tx = socket.create_connection(("127.0.0.1", 7200))
print("ready", tx.getsockname()[1], flush=True)
chunk = b"x" * (%(pace)d // 20)
t0 = time.monotonic(); n = 0
while True:
    tx.sendall(chunk); n += 1
    delay = t0 + n / 20.0 - time.monotonic()
    if delay > 0: time.sleep(delay)
""" % {"pace": PACE}


def nstat_value(ns, name):
    p = nstest.run(["ip", "netns", "exec", ns.name, "nstat", "-az", "--json"])
    data = json.loads(p.stdout)
    return data["kernel"].get(name, 0)


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("topb") as ns:
        proc = subprocess.Popen(["ip", "netns", "exec", ns.name, sys.executable, "-c", TRAFFIC],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ns.procs.append(proc)
        line = proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise TestFailure("traffic did not start")
        client_port = int(line[1])
        # Let the transfer settle into its pace, then measure.
        time.sleep(1.0)
        before = nstat_value(ns, "TcpExtListenOverflows")
        p = nstest.run(["ip", "netns", "exec", ns.name, args.tcpscope, "top", "--json", "-n", "4",
                        "-d", "1"], timeout=60)
        after = nstat_value(ns, "TcpExtListenOverflows")
        refreshes = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        c.eq(len(refreshes), 4, "refreshes")
        last = refreshes[-1]
        c.eq([r["refresh"] for r in refreshes], [1, 2, 3, 4], "refresh numbers")
        c.check(all(r["status"] == "" for r in refreshes), "a refresh failed")

        # The full listener against ss.
        ss_rows = nstest.parse_rows(nstest.ss(ns, ["-ltnH"]), "ss -ltnH")
        ss_l = next((r for r in ss_rows if r.local == "127.0.0.1:7100"), None)
        l = next((x for x in last["listeners"] if x["listener"] == "127.0.0.1:7100"), None)
        if c.check(ss_l is not None and l is not None, "the full listener is missing"):
            c.eq((l["accept_queue"], l["accept_queue_limit"]),
                 (int(ss_l.recvq), int(ss_l.sendq)), "accept queue and limit vs ss -ltn")
            c.check(l["process"].startswith("python"), f"listener process {l['process']!r}")
            c.check(l["accept_queue"] > l["accept_queue_limit"], "the queue is not full")

        # ListenOverflows: top's deltas over the window, against nstat around the whole run.
        deltas = [r["counters"]["TcpExtListenOverflows"]["delta"] for r in refreshes[1:]
                  if r["counters"]["TcpExtListenOverflows"] is not None]
        c.eq(len(deltas), 3, "ListenOverflows deltas from the second refresh on")
        c.check(0 < sum(deltas) <= after - before,
                f"ListenOverflows: top saw {sum(deltas)}, nstat {after - before} around it")
        c.check(refreshes[0]["counters"]["TcpExtListenOverflows"] is None,
                "the first refresh has no rate")
        c.check(last["doctor"] is not None and last["doctor"]["status"] in ("warning", "critical"),
                "the doctor does not see the full queue")

        # The paced transfer.
        conns = last["connections"]
        tx = next((x for x in conns if x["local_port"] == client_port and x["peer_port"] == 7200),
                  None)
        rx = next((x for x in conns if x["local_port"] == 7200 and x["peer_port"] == client_port),
                  None)
        if c.check(tx is not None and rx is not None, "the transfer's connection is missing"):
            for what, v in (("client tx", tx.get("tx_bytes_per_second")),
                            ("server rx", rx.get("rx_bytes_per_second"))):
                c.check(v is not None and abs(v - PACE) <= 0.3 * PACE,
                        f"{what} rate {v} vs pace {PACE}")
            c.check(tx["age_seconds"] >= 2.5, f"age {tx['age_seconds']}")

        # State counts against ss (the table is steady).
        ss_all = nstest.parse_rows(nstest.ss(ns, ["-tanH"]), "ss -tanH")
        ss_estab = sum(1 for r in ss_all if r.state == "ESTAB")
        c.eq(last["states"]["established"], ss_estab, "established vs ss -tan")

        # Batch text: the same listener line.
        p = nstest.run(["ip", "netns", "exec", ns.name, args.tcpscope, "top", "-b", "-n", "1",
                        "--rows", "5"], timeout=60)
        line = next((x for x in p.stdout.splitlines() if x.startswith("127.0.0.1:7100 ")), "")
        words = line.split()
        if c.check(len(words) >= 7, f"batch listener line: {line!r}"):
            c.eq((int(words[2]), int(words[3])), (int(ss_l.recvq), int(ss_l.sendq)),
                 "batch: accept queue and limit")
        c.check("\x1b" not in p.stdout, "batch output has escape codes")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

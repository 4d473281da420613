#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope doctor` on real conditions, each reproduced in a fresh network namespace: a listener that never accepts under a burst, SYN cookies with a small backlog,
TIME-WAIT beyond a lowered tcp_max_tw_buckets, CLOSE-WAIT held by a test process, ephemeral
ports exhausted with a narrowed ip_local_port_range, SYN-RECV request sockets in bulk (final ACKs
dropped with nftables), orphaned FIN-WAIT-1 sockets (tcp_max_orphans unreadable in a child
namespace), and a healthy namespace under benign load (thousands of established connections and
a fast acceptor) that must give no warning.

Run by ctest as: python3 test_doctor.py --tcpscope PATH --tablegen PATH   (root; loopback only)
"""

import json
import subprocess
import sys
import time

import nstest
from nstest import Checker, TestFailure, log, netns

# A fast acceptor and a client that churns connections to it, for the healthy case.
CHURN = r"""
import socket, sys, threading, time
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 9000))
ls.listen(4096)
def serve():
    while True:
        s, _ = ls.accept()
        s.close()
threading.Thread(target=serve, daemon=True).start()
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[1])
n = 0
while time.monotonic() < end:
    c = socket.create_connection(("127.0.0.1", 9000))
    c.close()
    n += 1
    if n % 50 == 0:
        time.sleep(0.01)
print(n, flush=True)
"""

# Orphans: a receiver (SO_RCVBUF 4096 before listen()) that accepts but never reads; N clients
# each write up to 2 MB non-blocking until EAGAIN, then close(): FIN-WAIT-1 orphans with data
# queued behind a zero window. The accepted sockets are held until stdin closes.
ORPHANS = r"""
import socket, sys
n = int(sys.argv[1])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
ls.bind(("127.0.0.1", 9100))
ls.listen(n + 8)
held = []
chunk = b"x" * 65536
for _ in range(n):
    c = socket.create_connection(("127.0.0.1", 9100))
    s, _ = ls.accept()
    held.append(s)
    c.setblocking(False)
    sent = 0
    while sent < 2 * 1024 * 1024:
        try:
            sent += c.send(chunk)
        except BlockingIOError:
            break
    c.close()
print("ready", flush=True)
sys.stdin.read()
"""


def doctor(args, ns, window="1s", extra=()):
    p = nstest.run([args.tcpscope, "--netns", ns.name, "doctor", "--window", window, "--json",
                    *extra], check=False, timeout=30)
    if p.returncode not in (0, 1, 2):
        raise TestFailure(f"doctor exit {p.returncode}: {p.stderr.strip()}")
    try:
        rep = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        raise TestFailure(f"doctor --json does not parse ({e}):\n{p.stdout}")
    log(f"  doctor: exit {p.returncode}, findings "
        f"{[(f['id'], f['severity']) for f in rep['findings']]}")
    return p.returncode, rep


def finding(rep, fid):
    for f in rep["findings"]:
        if f["id"] == fid:
            return f
    return None


def metric(f, name, unit=""):
    for m in f["metrics"]:
        if m["name"] == name and m["unit"] == unit:
            return m["value"]
    return None


def case_accept_queue_overflow(args, c):
    with netns("dr-aq") as ns:
        ns.tablegen(args.tablegen, ["--listen", "127.0.0.1,8080,backlog=4,noaccept",
                                    "--listen", "127.0.0.1,8090",
                                    "--connect", "127.0.0.1,8080,count=20,mode=pending"])
        # The clients retransmit their SYNs at 1 s and 3 s: a 2 s window sees overflows.
        rc, rep = doctor(args, ns, window="2s")
        c.eq(rc, 2, "accept-queue-overflow: exit status")
        f = finding(rep, "accept-queue-overflow")
        if c.check(f is not None, f"accept-queue-overflow not reported: {rep['findings']}"):
            c.eq(f["severity"], "critical", "accept-queue-overflow: severity")
            ls = f["listeners"]
            c.eq([l["address"] for l in ls], ["127.0.0.1:8080"], "accept-queue-overflow: listener")
            if ls:
                c.eq((ls[0]["accept_queue"], ls[0]["accept_queue_limit"]), (5, 4),
                     "accept-queue-overflow: queue/limit (full = limit + 1)")
                c.eq(ls[0]["capped_by"], "backlog", "accept-queue-overflow: cap")
                c.check((ls[0]["drops_in_window"] or 0) > 0, "per-listener drops in window > 0")
            c.check((metric(f, "TcpExtListenOverflows", "in window") or 0) > 0,
                    "ListenOverflows rose in the window")
        c.eq(rep["exit_code"], 2, "json exit_code")


def case_syn_cookies(args, c):
    with netns("dr-sc") as ns:
        ns.sysctl("net.ipv4.tcp_syncookies", 1)
        # : drop the listener's SYN-ACKs so request sockets stay half-open.
        ns.exec(["nft", "-f", "-"], input=(
            "table inet tcpscope_it {\n chain in {\n  type filter hook input priority 0; "
            "policy accept;\n  tcp sport 8080 tcp flags & (syn|ack) == (syn|ack) counter drop\n"
            " }\n}\n"))
        ns.tablegen(args.tablegen, ["--listen", "127.0.0.1,8080,backlog=8,noaccept",
                                    "--connect", "127.0.0.1,8080,count=50,mode=pending"])
        rc, rep = doctor(args, ns, window="2s")
        f = finding(rep, "syn-cookies")
        if c.check(f is not None, f"syn-cookies not reported: {rep['findings']}"):
            c.eq(f["severity"], "warning", "syn-cookies: severity (cookies, no overflow)")
            c.check((metric(f, "TcpExtSyncookiesSent", "in window") or 0) > 0,
                    "SyncookiesSent rose in the window")
            ls = f["listeners"]
            c.eq([l["address"] for l in ls], ["127.0.0.1:8080"], "syn-cookies: listener")
            if ls:
                c.eq((ls[0]["syn_recv"], ls[0]["accept_queue_limit"]), (9, 8),
                     "syn-cookies: SYN-RECV = backlog + 1")
        c.check(rc >= 1, f"syn-cookies: exit status {rc}")


def case_time_wait(args, c):
    with netns("dr-tw") as ns:
        ns.sysctl("net.ipv4.tcp_max_tw_buckets", 500)
        ns.tablegen(args.tablegen, ["--listen", "127.0.0.1,8081",
                                    "--connect", "127.0.0.1,8081,count=1000,mode=timewait"])
        rc, rep = doctor(args, ns, extra=["--since-boot"])
        f = finding(rep, "time-wait-overflow")
        if c.check(f is not None, f"time-wait-overflow not reported: {rep['findings']}"):
            c.eq(f["severity"], "warning", "time-wait-overflow: severity")
            c.eq(metric(f, "time_wait"), 500, "time-wait-overflow: TIME-WAIT count")
            c.eq(metric(f, "tcp_max_tw_buckets"), 500, "time-wait-overflow: limit")
            c.eq(metric(f, "TcpExtTCPTimeWaitOverflow", "since boot"), 500,
                 "time-wait-overflow: TCPTimeWaitOverflow since boot")
            eps = f["endpoints"]
            c.check(bool(eps) and eps[0]["remote"] == "127.0.0.1:8081" and
                    eps[0]["count"] == 500, f"time-wait-overflow: top endpoint {eps[:1]}")
        c.eq(rc, 1, "time-wait-overflow: exit status")


def case_close_wait(args, c):
    with netns("dr-cw") as ns:
        ns.tablegen(args.tablegen, ["--listen", "127.0.0.1,8082",
                                    "--connect", "127.0.0.1,8082,count=150,shutdown=wr"])
        rc, rep = doctor(args, ns)
        f = finding(rep, "close-wait-leak")
        if c.check(f is not None, f"close-wait-leak not reported: {rep['findings']}"):
            c.eq(f["severity"], "warning", "close-wait-leak: severity")
            c.eq([(e["local"], e["count"]) for e in f["endpoints"]], [("*:8082", 150)],
                 "close-wait-leak: port and count")
        c.eq(rc, 1, "close-wait-leak: exit status")


def case_ports(args, c):
    with netns("dr-ep") as ns:
        ns.sysctl("net.ipv4.ip_local_port_range", "40000 40099")
        ns.tablegen(args.tablegen, ["--listen", "127.0.0.1,8083",
                                    "--connect", "127.0.0.1,8083,count=96"])
        rc, rep = doctor(args, ns)
        f = finding(rep, "ephemeral-port-pressure")
        if c.check(f is not None, f"ephemeral-port-pressure not reported: {rep['findings']}"):
            c.eq(f["severity"], "critical", "ephemeral-port-pressure: severity (96%)")
            c.eq([(e["local"], e["remote"], e["count"], e["limit"]) for e in f["endpoints"]],
                 [("127.0.0.1", "127.0.0.1:8083", 96, 100)], "ephemeral-port-pressure: evidence")
        c.eq(rc, 2, "ephemeral-port-pressure: exit status")


def ss_count(ns, state, *filt):
    out = ns.exec(["ss", "-4tanH", "state", state, *filt]).stdout
    return len([l for l in out.splitlines() if l.strip()])


def case_syn_recv(args, c):
    # 50 handshakes to a listener with backlog 64 whose final ACKs are dropped: 50 request
    # sockets (SYN-RECV), the clients ESTABLISHED, the accept queue empty. 50 <= limit, so no
    # SYN cookies and no accept-queue finding; the server retransmits each SYN-ACK at ~1 s, which
    # the 1 s window started right after tablegen is ready sees (syn-retransmits, 50 for 0 opens;
    # each request-socket timer expiry also counts in TCPTimeouts: ~50/s, a `timeouts` warning).
    with netns("dr-sr") as ns:
        ns.drop_final_ack(8085)
        t0 = time.monotonic()
        ns.tablegen(args.tablegen, ["--listen", "127.0.0.1,8085,backlog=64,noaccept",
                                    "--connect", "127.0.0.1,8085,count=50,mode=pending"])
        started = time.monotonic() - t0
        if started > 0.8:
            raise TestFailure(f"syn-recv: tablegen took {started:.2f}s; the 1 s window would "
                              "miss the SYN-ACK retransmissions at 1 s")
        rc, rep = doctor(args, ns, window="1s")
        c.eq(ss_count(ns, "syn-recv", "sport", "= :8085"), 50, "syn-recv: ss SYN-RECV (setup)")
        ids = [(f["id"], f["severity"]) for f in rep["findings"]]
        c.eq(sorted(ids), [("syn-retransmits", "warning"), ("timeouts", "warning")],
             "syn-recv: findings (syncookies=1)")
        f = finding(rep, "timeouts")
        if f is not None:
            c.eq(metric(f, "TcpExtTCPTimeouts", "in window"), 50,
                 "syn-recv: one SYN-ACK timer expiry per request socket in the window")
        f = finding(rep, "syn-retransmits")
        if f is not None:
            c.eq(metric(f, "TcpExtTCPSynRetrans", "in window"), 50,
                 "syn-recv: one SYN-ACK retransmission per request socket in the window")
            c.eq((metric(f, "TcpActiveOpens", "in window"),
                  metric(f, "TcpPassiveOpens", "in window")), (0, 0),
                 "syn-recv: no connection opened in the window")
            # The finding names the listener holding the half-open handshakes.
            c.eq([(l["address"], l["syn_recv"], l["accept_queue_limit"]) for l in f["listeners"]],
                 [("127.0.0.1:8085", 50, 64)], "syn-recv: syn-retransmits names the listener")
        c.eq((rc, rep["exit_code"], rep["status"]), (1, 1, "warning"), "syn-recv: status")
        for fid in ("accept-queue-overflow", "accept-queue-saturated", "syn-cookies",
                    "syn-queue-drops"):
            c.check(fid in rep["passed"], f"syn-recv: {fid} should pass: {rep['passed']}")
        c.eq(rep["notes"], [], "syn-recv: notes (syncookies=1)")

        # The per-listener SYN-RECV count shows in JSON only as listener evidence; with cookies
        # off, the tcp_syncookies note lists listeners whose SYN-RECV is over half the limit.
        # Second window (~1.2-2.2 s) holds no retransmission (next at ~3 s): status ok.
        ns.sysctl("net.ipv4.tcp_syncookies", 0)
        rc, rep = doctor(args, ns, window="1s")
        c.eq(rep["findings"], [], "syn-recv (syncookies=0): findings")
        c.eq(rc, 0, "syn-recv (syncookies=0): exit status (notes only)")
        notes = [n for n in rep["notes"] if n["id"] == "tcp_syncookies"]
        if c.check(len(notes) == 1, f"syn-recv: tcp_syncookies note missing: {rep['notes']}"):
            n = notes[0]
            c.eq(n["severity"], "ok", "syn-recv: note severity")
            c.eq([(l["address"], l["syn_recv"], l["accept_queue"], l["accept_queue_limit"],
                   l["capped_by"], l["drops_in_window"]) for l in n["listeners"]],
                 [("127.0.0.1:8085", 50, 0, 64, "backlog", 0)],
                 "syn-recv: listener evidence (SYN-RECV 50 of limit 64, queue empty)")


def case_orphans(args, c):
    n = 20
    with netns("dr-or") as ns:
        cmd = ["ip", "netns", "exec", ns.name, sys.executable, "-c", ORPHANS, str(n)]
        log("+ " + " ".join(cmd[:5]) + " ORPHANS " + str(n))
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            if p.stdout.readline().strip() != "ready":
                p.kill()  # our own child, by pid
                raise TestFailure(f"orphans: script did not start: {p.communicate()[1]}")
            c.eq(ss_count(ns, "fin-wait-1", "dport", "= :9100"), n,
                 "orphans: ss FIN-WAIT-1 (setup)")
            c.eq(ss_count(ns, "established", "sport", "= :9100"), n,
                 "orphans: ss accepted ESTAB (setup)")
            c.check(ns.exec(["sysctl", "-n", "net.ipv4.tcp_max_orphans"], check=False)
                    .returncode != 0, "orphans: tcp_max_orphans readable in a child namespace?")
            rc, rep = doctor(args, ns, window="1s")
            c.eq(ss_count(ns, "fin-wait-1", "dport", "= :9100"), n,
                 "orphans: still FIN-WAIT-1 after the doctor")
        finally:
            if p.poll() is None:
                try:
                    p.stdin.close()
                    p.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    p.kill()  # our own child, by pid
                    p.wait()
        c.eq((rc, rep["exit_code"], rep["status"]), (0, 0, "ok"), "orphans: status")
        c.eq([(f["id"], f["severity"]) for f in rep["findings"]], [], "orphans: findings")
        sk = {s["id"]: s["reason"] for s in rep["skipped"]}
        c.check("orphans" in sk and "tcp_max_orphans" in sk["orphans"],
                f"orphans: should be not checked (tcp_max_orphans unreadable): {rep['skipped']}")
        c.check("orphans" not in rep["passed"], "orphans: listed as passed and skipped")
        c.check(sk.get("orphans", "").startswith("20 orphaned sockets in this namespace"),
                f"orphans: the namespace's count (20) should be in the reason: {sk.get('orphans')}")


def case_healthy(args, c):
    with netns("dr-ok") as ns:
        ns.tablegen(args.tablegen, ["--listen", "127.0.0.1,8084,backlog=4096",
                                    "--connect", "127.0.0.1,8084,count=3000"])
        cmd = ["ip", "netns", "exec", ns.name, sys.executable, "-c", CHURN, "4"]
        churn = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            if churn.stdout.readline().strip() != "ready":
                raise TestFailure(f"churn did not start: {churn.stderr.read()}")
            time.sleep(0.5)
            rc, rep = doctor(args, ns, window="2s")
        finally:
            try:
                out, _ = churn.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                churn.kill()  # our own child, by pid
                out, _ = churn.communicate()
        log(f"  churn made {out.strip()} connections")
        c.eq(rc, 0, f"healthy namespace: exit status (findings {rep['findings']})")
        c.eq(rep["findings"], [], "healthy namespace: findings")
        c.check(int(out.strip() or 0) > 500, f"churn made too few connections: {out.strip()}")


def case_flags(args, c):
    p = nstest.run([args.tcpscope, "doctor", "--bogus"], check=False)
    c.eq(p.returncode, 3, "bad flag: exit 3 (could not check)")
    p = nstest.run([args.tcpscope, "doctor", "--threshold", "nope=1"], check=False)
    c.eq(p.returncode, 3, "unknown threshold: exit 3")
    p = nstest.run([args.tcpscope, "--netns", "tcpscope-it-does-not-exist", "doctor"],
                   check=False)
    c.eq(p.returncode, 3, "missing namespace: exit 3")


def main():
    args = nstest.parse_args(__doc__)
    c = Checker()
    for case in (case_flags, case_accept_queue_overflow, case_syn_cookies, case_time_wait,
                 case_close_wait, case_ports, case_syn_recv, case_orphans, case_healthy):
        log(case.__name__)
        case(args, c)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

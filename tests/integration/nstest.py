# SPDX-License-Identifier: MIT
"""Shared helpers for the netns integration tests (stdlib only).

Each test script builds its socket table in a fresh network namespace named `tcpscope-it-...`
with tablegen, runs ss and tcpscope on it, and compares. Always use `with netns(...) as ns:` so
the namespace and every tablegen started in it are removed even when a check fails or the
script is interrupted (SIGTERM from ctest's timeout is turned into an exception for that).

Row model: `parse_rows(text)` turns ss-style table output into Row objects:
    netid (or None), state (or None), recvq, sendq, local, peer, details (list of tokens)
Continuation lines (the newline+TAB block of -i/-m) are joined to their row; empty
continuation lines (ss prints one for TIME-WAIT/SYN-RECV with -i) are dropped.
"""

import argparse
import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time

PREFIX = "tcpscope-it-"

NETIDS = {"tcp", "udp", "raw", "mptcp", "sctp", "dccp", "icmp6"}
STATES = {"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
          "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"}
SHUTDOWN_MARKS = {"<->", "--->", "<---", "---", "<--", "-->", "--"}
RATE_KEYS = {"send", "pacing_rate", "delivery_rate"}


class TestFailure(Exception):
    pass


VERBOSE = False


def log(msg):
    if VERBOSE:
        print(msg, file=sys.stderr, flush=True)


def parse_args(description=""):
    global VERBOSE
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--tcpscope", required=True, help="path of the tcpscope binary")
    ap.add_argument("--tablegen", required=True, help="path of the tablegen binary")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.tcpscope = os.path.abspath(args.tcpscope)
    args.tablegen = os.path.abspath(args.tablegen)
    VERBOSE = args.verbose
    for p in (args.tcpscope, args.tablegen):
        if not os.access(p, os.X_OK):
            raise SystemExit(f"FAIL: {p} is not an executable")
    if os.geteuid() != 0:
        raise SystemExit("FAIL: the netns integration tests need root")
    return args


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run_main(fn):
    """Runs fn(); prints PASS/FAIL and exits 0/1. SIGTERM unwinds through the finally blocks."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    name = os.path.basename(sys.argv[0])
    t0 = time.monotonic()
    try:
        fn()
    except TestFailure as e:
        print(f"FAIL {name}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt as e:
        print(f"FAIL {name}: interrupted ({e})", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
    sys.exit(0)


def run(cmd, timeout=20, check=True, input=None):
    """Runs cmd (list); returns CompletedProcess with text stdout/stderr."""
    log("+ " + " ".join(cmd))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"timed out after {timeout}s: {' '.join(cmd)}")
    if check and p.returncode != 0:
        raise TestFailure(f"exit {p.returncode}: {' '.join(cmd)}\nstderr: {p.stderr.strip()}")
    return p


class Checker:
    """Collects failures so one run reports every differing case, not just the first."""

    def __init__(self):
        self.failures = []
        self.passed = 0

    def check(self, cond, msg):
        if cond:
            self.passed += 1
        else:
            self.failures.append(msg)
            log("  FAILED: " + msg.splitlines()[0])
        return cond

    def eq(self, got, want, what):
        return self.check(got == want, f"{what}: got {got!r}, want {want!r}")

    def finish(self):
        if self.failures:
            raise TestFailure(f"{len(self.failures)} check(s) failed, {self.passed} passed:\n"
                              + "\n\n".join(self.failures))
        log(f"{self.passed} checks passed")


class Netns:
    def __init__(self, tag):
        self.name = f"{PREFIX}{tag}-{os.getpid()}"
        self.procs = []

    def prefix(self):
        """What runs a command inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def create(self):
        run(["ip", "netns", "add", self.name])
        run(["ip", "-n", self.name, "link", "set", "lo", "up"])

    def exec(self, cmd, **kw):
        return run(self.prefix() + list(cmd), **kw)

    def sysctl(self, key, value=None):
        if value is None:
            return self.exec(["sysctl", "-n", key]).stdout.strip()
        self.exec(["sysctl", "-q", "-w", f"{key}={value}"])

    def destroy_subscribers(self):
        """sock_diag sockets of this namespace subscribed to a group (the destroy events): a
        watcher counts once it is reading, before any event proves it."""
        p = subprocess.run(["ip", "netns", "exec", self.name, "cat", "/proc/net/netlink"],
                           capture_output=True, text=True, timeout=20)
        n = 0
        for line in p.stdout.splitlines()[1:]:
            f = line.split()
            if len(f) >= 4 and f[1] == "4" and int(f[3], 16) != 0:
                n += 1
        return n

    def wait_destroy_subscribers(self, count, timeout=20):
        """Waits until `count` sockets of this namespace listen for destroy events."""
        deadline = time.monotonic() + timeout
        while True:
            n = self.destroy_subscribers()
            if n >= count:
                return
            if time.monotonic() > deadline:
                raise TestFailure(f"{self.name}: {n} of {count} destroy-event subscribers after "
                                  f"{timeout}s")
            time.sleep(0.05)

    def drop_final_ack(self, port):
        """nftables rule of : pure ACKs to `port` are dropped, so the server keeps
        SYN-RECV request sockets while the clients are ESTABLISHED."""
        self.exec(["nft", "add", "table", "inet", "tcpscope_it"])
        self.exec(["nft", "add", "chain", "inet", "tcpscope_it", "in",
                   "{ type filter hook input priority 0; }"])
        self.exec(["nft", "add", "rule", "inet", "tcpscope_it", "in", "tcp", "dport", str(port),
                   "tcp", "flags", "==", "ack", "counter", "drop"])

    def tablegen(self, binary, args, timeout=30):
        """Starts tablegen inside the namespace and waits for `ready`. Returns the Popen; its pid
        is tablegen's own (ip netns exec execs the command)."""
        cmd = self.prefix() + [binary] + list(args)
        log("+ " + " ".join(cmd))
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        line = ""
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            line = p.stdout.readline()
            break
        sel.close()
        if line.strip() != "ready":
            self.stop(p)
            err = p.stderr.read() if p.stderr else ""
            raise TestFailure(f"tablegen did not get ready (got {line!r}): {err.strip()}\n"
                              f"cmd: {' '.join(cmd)}")
        return p

    def stop(self, p):
        if p.poll() is None:
            try:
                p.stdin.close()
            except OSError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.terminate()  # our own child, by pid
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for f in (p.stdout, p.stderr, p.stdin):
            try:
                if f:
                    f.close()
            except OSError:
                pass

    def close(self):
        for p in self.procs:
            self.stop(p)
        self.procs = []
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def _remove_stale():
    """Removes namespaces left by earlier runs of these tests whose process is gone (a SIGKILLed
    run cannot clean up after itself). Only our own prefix, only dead owners."""
    p = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(re.escape(PREFIX) + r".*-(\d+)", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


@contextlib.contextmanager
def netns(tag):
    _remove_stale()
    ns = Netns(tag)
    try:
        ns.create()
        yield ns
    finally:
        ns.close()


# ---------------------------------------------------------------------------------------------
# Parsing ss-style tables


class Row:
    __slots__ = ("netid", "state", "recvq", "sendq", "local", "peer", "details", "raw")

    def cols(self):
        """Columns compared exactly: Netid, State, Recv-Q, Send-Q, Local, Peer."""
        return (self.netid, self.state, self.recvq, self.sendq, self.local, self.peer)

    def key(self):
        return (self.netid, self.state, self.local, self.peer)

    def __repr__(self):
        return self.raw


def parse_rows(text, what="output"):
    rows = []
    for line in text.splitlines():
        line = line.rstrip(" ")
        if line.startswith("\t"):
            if not rows:
                raise TestFailure(f"{what}: continuation line before any row: {line!r}")
            extra = line.strip()
            if extra:
                rows[-1].details.extend(extra.split())
                rows[-1].raw += " | " + extra
            continue
        if not line.strip():
            continue
        toks = line.split()
        r = Row()
        r.raw = " ".join(toks)
        i = 0
        r.netid = toks[i] if toks[i] in NETIDS else None
        i += r.netid is not None
        r.state = toks[i] if i < len(toks) and toks[i] in STATES else None
        i += r.state is not None
        if len(toks) < i + 4 or not toks[i].isdigit() or not toks[i + 1].isdigit():
            raise TestFailure(f"{what}: cannot parse row {line!r}")
        r.recvq, r.sendq = int(toks[i]), int(toks[i + 1])
        r.local, r.peer = toks[i + 2], toks[i + 3]
        r.details = toks[i + 4:]
        rows.append(r)
    return rows


def sorted_cols(rows):
    return sorted(r.cols() for r in rows)


def fmt_cols(c):
    return " ".join("-" if x is None else str(x) for x in c)


def diff_rows(got_rows, want_rows, got_name="tcpscope", want_name="ss"):
    """Multiset difference of the exact columns; '' when equal."""
    from collections import Counter
    g, w = Counter(r.cols() for r in got_rows), Counter(r.cols() for r in want_rows)
    only_g = sorted((g - w).elements())
    only_w = sorted((w - g).elements())
    if not only_g and not only_w:
        return ""
    out = []
    for c in only_w:
        out.append(f"  only in {want_name}: {fmt_cols(c)}")
    for c in only_g:
        out.append(f"  only in {got_name}: {fmt_cols(c)}")
    return "\n".join(out)


def index_rows(rows, what):
    idx = {}
    for r in rows:
        if r.key() in idx:
            raise TestFailure(f"{what}: duplicate row key {r.key()}")
        idx[r.key()] = r
    return idx


def split_addr(token):
    """'127.0.0.1%lo:80' -> ('127.0.0.1', 'lo', '80'); '[::1]:80' -> ('::1', None, '80');
    '*:*' -> ('*', None, '*')."""
    host, _, port = token.rpartition(":")
    dev = None
    if "%" in host:
        host, _, dev = host.partition("%")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, dev, port


def family_of(token):
    host, _, _ = split_addr(token)
    return "ipv6" if (":" in host or host == "*") else "ipv4"


# ---------------------------------------------------------------------------------------------
# Detail tokens


def detail_items(tokens):
    """Splits detail tokens into (kv: dict key->value, bare: list). `send X`, `pacing_rate X`,
    `delivery_rate X` become key->value; `key:value` splits at the first ':'; the rest (ts, sack,
    the congestion algorithm, app_limited, shutdown marks) are bare."""
    kv, bare = {}, []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in RATE_KEYS and i + 1 < len(tokens):
            kv[t] = tokens[i + 1]
            i += 2
            continue
        if ":" in t and t not in SHUTDOWN_MARKS:
            k, _, v = t.partition(":")
            kv[k] = v
        else:
            bare.append(t)
        i += 1
    return kv, bare


def shutdown_mark(tokens):
    marks = [t for t in tokens if t in SHUTDOWN_MARKS]
    return marks[-1] if marks else None


TIMER_RE = re.compile(r"^\((\w+),([^,]*),(\d+)\)$")
EXPIRY_RE = re.compile(r"^(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d{3})(ms|sec))?$")


def parse_timer(value):
    """'(on,1.104ms,1)' -> ('on', '1.104ms', 1)."""
    m = TIMER_RE.match(value)
    if not m:
        return None
    return m.group(1), m.group(2), int(m.group(3))


def parse_expiry(text):
    """Expiry text of ss's timer (both the 6.1 `1.104ms` and the ≥6.11/tcpscope `1.104sec`
    spelling) -> (milliseconds, granularity in ms). None if it does not parse."""
    m = EXPIRY_RE.match(text)
    if not m:
        return None
    mins, secs, sep, millis, unit = m.groups()
    if sep == "." and millis is None:
        return None
    if sep == "sec" and millis is not None:
        return None
    if sep is None and millis is not None and unit == "sec":
        return None
    ms = int(mins or 0) * 60000 + int(secs or 0) * 1000 + int(millis or 0)
    if mins and int(mins) > 9:
        gran = 60000
    elif mins or (secs and int(secs) > 9):
        gran = 1000
    else:
        gran = 1
    return ms, gran


def parse_skmem(value):
    """'(r0,rb131072,t0,...)' -> {'r': 0, 'rb': 131072, ...}."""
    if not (value.startswith("(") and value.endswith(")")):
        return None
    out = {}
    for part in value[1:-1].split(","):
        m = re.fullmatch(r"([a-z]+)(\d+)", part)
        if not m:
            return None
        out[m.group(1)] = int(m.group(2))
    return out


# ---------------------------------------------------------------------------------------------
# Running the tools


def ss(ns, args):
    return ns.exec(["ss"] + list(args)).stdout


def tcpscope(ns, binary, args, check=True):
    p = ns.exec([binary] + list(args), check=False)
    if check and p.returncode != 0:
        raise TestFailure(f"tcpscope {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p


def compare_with_retry(fn, attempts=3, delay=0.3):
    """fn() -> '' when equal, else a diff text. Retried because both tools snapshot a live table
    a few milliseconds apart (a SYN-ACK retransmit can bump a counter in between)."""
    diff = ""
    for i in range(attempts):
        diff = fn()
        if not diff:
            return ""
        log(f"  attempt {i + 1}: differs, retrying")
        time.sleep(delay)
    return diff


def read_json(text, what):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise TestFailure(f"{what}: not JSON ({e}): {text[:300]!r}")


# ---------------------------------------------------------------------------------------------
# The standard table used by most scripts

SYNRECV_PORT = 7005


def standard_table(ns, tablegen, extra=()):
    """Builds the table most scripts test against.

    TCP listeners: 127.0.0.1:7001 (backlog 64), [::1]:7002, dual-stack [::]:7003, v6only
    [::]:7004, 127.0.0.1:7005 never accepting (final ACKs dropped -> 3 SYN-RECV),
    127.0.0.1:7006 backlog 4 never accepting with 6 connects (accept queue 5 = backlog+1, one
    client left in SYN-SENT), 127.0.0.1%lo:7007 (SO_BINDTODEVICE).
    Connections to 7001: 2 plain pairs, 3 TIME-WAIT, a keepalive client with SO_MARK 0x42, a pair
    with 1000 unread bytes at the server, a client that shut down its send side (FIN-WAIT-2 /
    CLOSE-WAIT), a client socket owned by uid 1234. 2 IPv6 pairs to 7002; 2 IPv4 and 1
    ::ffff:127.0.0.1 clients to the dual-stack 7003 (v4-mapped accepted sockets); 1 pair to 7004;
    1 SO_BINDTODEVICE pair to 7007.
    UDP: 127.0.0.1:7101, [::1]:7102, 127.0.0.1:7103 connected to :7101, 127.0.0.1:7104 with 3
    queued datagrams, dual-stack [::]:7105.
    Returns (proc, expected) where expected maps (family, ss state) -> row count for ss -tuan."""
    # Loopback connects may reuse a TIME-WAIT port once it is a second old (tcp_tw_reuse=2):
    # switch that off so the TIME-WAIT count stays what tablegen made.
    ns.sysctl("net.ipv4.tcp_tw_reuse", 0)
    ns.drop_final_ack(SYNRECV_PORT)
    args = [
        "--listen", "127.0.0.1,7001,backlog=64",
        "--listen", "::1,7002",
        "--listen", "::,7003,v6only=0",
        "--listen", "::,7004,v6only=1",
        "--listen", "127.0.0.1,7005,noaccept",
        "--listen", "127.0.0.1,7006,backlog=4,noaccept",
        "--listen", "127.0.0.1,7007,dev=lo",
        "--connect", "127.0.0.1,7001,count=2",
        "--connect", "127.0.0.1,7001,count=3,mode=timewait",
        "--connect", "127.0.0.1,7001,keepalive=600,mark=0x42",
        "--connect", "127.0.0.1,7001,unread=1000",
        "--connect", "127.0.0.1,7001,shutdown=wr",
        "--connect", "127.0.0.1,7001,uid=1234",
        "--connect", "::1,7002,count=2",
        "--connect", "127.0.0.1,7003,count=2",
        "--connect", "::ffff:127.0.0.1,7003",
        "--connect", "::1,7004",
        "--connect", "127.0.0.1,7005,count=3,mode=pending",
        "--connect", "127.0.0.1,7006,count=6,mode=pending",
        "--connect", "127.0.0.1,7007,dev=lo",
        "--udp", "127.0.0.1,7101",
        "--udp", "::1,7102",
        "--udp", "127.0.0.1,7103,peer=7101",
        "--udp", "127.0.0.1,7104,fill=3",
        "--udp", "::,7105,v6only=0",
    ] + list(extra)
    proc = ns.tablegen(tablegen, args)
    expected = {
        ("tcp", "ipv4", "LISTEN"): 4, ("tcp", "ipv6", "LISTEN"): 3,
        # 7001: 2 plain + keepalive + unread + uid pairs (10 sockets); 7003: 2 IPv4 clients;
        # 7005: 3 clients; 7006: 5 clients + 5 unaccepted children; 7007: 1 pair.
        ("tcp", "ipv4", "ESTAB"): 10 + 2 + 3 + 10 + 2,
        # 7002: 4; 7003: 2 mapped children + mapped client + its child; 7004: 2.
        ("tcp", "ipv6", "ESTAB"): 4 + 4 + 2,
        ("tcp", "ipv4", "TIME-WAIT"): 3,
        ("tcp", "ipv4", "SYN-RECV"): 3,
        ("tcp", "ipv4", "SYN-SENT"): 1,
        ("tcp", "ipv4", "FIN-WAIT-2"): 1,
        ("tcp", "ipv4", "CLOSE-WAIT"): 1,
        ("udp", "ipv4", "UNCONN"): 2, ("udp", "ipv4", "ESTAB"): 1,
        ("udp", "ipv6", "UNCONN"): 2,
    }
    return proc, expected


def count_by_family_state(ns, netid):
    """{(netid, family, state): n} from `ss -4/-6 -<t|u>anH` (ss decides the family)."""
    out = {}
    for fam, flag in (("ipv4", "-4"), ("ipv6", "-6")):
        text = ss(ns, [flag, f"-{netid[0]}anH"])
        for r in parse_rows(text, f"ss {flag} -{netid[0]}anH"):
            k = (netid, fam, r.state)
            out[k] = out.get(k, 0) + 1
    return out


def check_expected_table(ns, expected):
    """Fails (as a tablegen/environment problem, not a tcpscope one) when ss does not show the
    table standard_table meant to build."""
    got = count_by_family_state(ns, "tcp")
    got.update(count_by_family_state(ns, "udp"))
    if got != expected:
        raise TestFailure("the socket table is not what tablegen should have built "
                          f"(ss view):\n  got  {sorted(got.items())}\n  want {sorted(expected.items())}")


# ---------------------------------------------------------------------------------------------
# Connections with known transfers, closed (for the destroy-event tests)

CLOSE_TRAFFIC = r"""
import json, socket, sys, threading
listeners, clients = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def listen(fam, p):
    af = socket.AF_INET if fam == "4" else socket.AF_INET6
    s = socket.socket(af); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if af == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("127.0.0.1" if fam == "4" else "::1", p)); s.listen(64); return s
def serve(s):
    while True:
        try: c, _ = s.accept()
        except OSError: return
        got = 0
        while True:
            d = c.recv(65536)
            if not d: break
            got += len(d)
        c.sendall(b"y" * (got * 3 + 7)); c.close()
for fam, p in listeners:
    threading.Thread(target=serve, args=(listen(fam, p),), daemon=True).start()
out = []
for i, (fam, p) in enumerate(clients):
    af = socket.AF_INET if fam == "4" else socket.AF_INET6
    a = 1000 + 137 * i
    c = socket.socket(af); c.connect(("127.0.0.1" if fam == "4" else "::1", p))
    c.sendall(b"x" * a); c.shutdown(socket.SHUT_WR)
    got = 0
    while True:
        d = c.recv(65536)
        if not d: break
        got += len(d)
    out.append(f"CLIENT {p} {fam} {c.getsockname()[1]} {a} {got}"); c.close()
print("\n".join(out), flush=True)
sys.stdin.read()  # keep the listeners until told
"""


def close_traffic(ns, listeners, clients, timeout=60):
    """In `ns`: servers on `listeners` [(family "4" or "6", port)] (127.0.0.1 or [::1], v6only)
    that read to EOF, answer 3a + 7 bytes and close; then `clients` [(family, port)] one after
    the other, client i sending a = 1000 + 137 i bytes, shutting down its sending side, reading
    the answer (b bytes) and closing. Returns (the process, which keeps the listeners until its
    stdin is closed, [{"port": server port, "family", "local": client port, "a", "b"}])."""
    p = subprocess.Popen(["ip", "netns", "exec", ns.name, sys.executable, "-c", CLOSE_TRAFFIC,
                          json.dumps(listeners), json.dumps(clients)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < len(clients) and time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        parts = line.split()
        if parts and parts[0] == "CLIENT":
            out.append({"port": int(parts[1]), "family": parts[2], "local": int(parts[3]),
                        "a": int(parts[4]), "b": int(parts[5])})
    if len(out) != len(clients):
        p.kill()
        raise TestFailure(f"traffic: {len(out)} of {len(clients)} clients finished")
    return p, out

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope top`'s screen, driven under tmux in a fresh namespace, against ss and nstat.

The namespace holds:
* a full listener 127.0.0.1:5001 (tablegen, backlog 1, never accepts, 4 clients: 2 in its
  accept queue, 2 in SYN-SENT);
* ts-sink: listeners 127.0.0.1:5002 and 127.0.0.1:8080 that accept and read everything;
* ts-pacer: one connection to 8080 sending 1 MiB/s on a fixed schedule;
* ts-churn: 20 connections a second to 5002 (closed with a RST, so no TIME-WAIT piles up) and 5
  SYNs a second to the full 5001 (each one a ListenOverflow); stopped before the table must be
  stable.

Checks, in one `top -d 1` session (160x50, colour), then short sessions for the rest:
* the full listener's Accept-Q and Limit on screen equal Recv-Q / Send-Q of `ss -ltn` (2 and 1);
* counter rates over five refreshes: PassiveOpens equals nstat's rate over the same window
  (and the churn's 20/s), ListenOverflows is > 0 and agrees with nstat;
* the paced connection's Send/s (client) and Recv/s (server) are 1 MiB/s within 40 %, and agree
  with the bytes_acked rate ss shows over the same window;
* sort: Send/s descending puts the busy connection first, `r` reverses (it is last, values
  non-decreasing), `<` sorts by Recv/s (the server side first);
* cursor: Tab selects the listeners pane, End/Home/Up/Down move the connection cursor;
* `g` groups by process / remote host / remote port with the counts ss shows; `g` again ends it;
* `/` starts empty, shows "none now"; `dport = :5001` leaves exactly ss's rows for that filter;
  a bad filter shows a message and keeps the filter; Esc keeps it; an empty Enter clears it;
* `n` shows service names; `p` stops refreshes and keys still answer at once while paused; `+`
  and `-` change the interval;
* the help and doctor boxes wrap instead of cutting: the doctor's text read in a 80-column box
  (scrolled with PgDn) has the same words as in a 200-column one; the help's longest entry is
  whole;
* resize redraws to the new size; a too-small window shows the enlarge message and the screen
  comes back when enlarged; started too small, `q` quits as the message says;
* `q` exits 0 and restores the terminal (normal screen, cursor, the shell's stty modes);
  SIGTERM and SIGHUP do too;
* NO_COLOR=1 and `--color never` draw without colour; the default does use it.
"""
import os
import re
import shutil
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402
from tmuxdrive import Tmux, color_codes, sgr_params  # noqa: E402

FULL_PORT = 5001
CHURN_PORT = 5002
PACE_PORT = 8080
PACE_RATE = 1 << 20  # bytes per second
CHURN_RATE = 20  # connections per second to CHURN_PORT
SYN_RATE = 5  # SYNs per second to the full listener
# Deadlines: for what the screen does on a key, and for what needs a refresh (a refresh can take
# seconds on a loaded host: every 10 s it walks every process's descriptors) or a start.
KEY_WAIT = 5
REFRESH_WAIT = 20
START_WAIT = 30

# The traffic: one script, a role per process (its name is set with prctl, so ss and tcpscope
# show ts-sink, ts-pacer, ts-churn). Prints `ready` once its sockets are up.
GEN = r"""
import ctypes, os, selectors, socket, struct, sys, threading, time
role = sys.argv[1]
# Ends when the test closes its stdin (Netns.stop).
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
try:
    ctypes.CDLL(None).prctl(15, ("ts-" + role).encode(), 0, 0, 0)
except Exception:
    pass
if role == "sink":
    sel = selectors.DefaultSelector()
    for p in sys.argv[2:]:
        l = socket.socket()
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(("127.0.0.1", int(p)))
        l.listen(128)
        l.setblocking(False)
        sel.register(l, selectors.EVENT_READ, "listen")
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == "listen":
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, "conn")
                continue
            try:
                d = s.recv(1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            if not d:
                sel.unregister(s)
                s.close()
elif role == "pacer":
    port, rate = int(sys.argv[2]), int(sys.argv[3])
    chunk = 16384
    s = socket.create_connection(("127.0.0.1", port))
    print("ready", flush=True)
    buf = b"x" * chunk
    t0 = time.monotonic()
    sent = 0
    while True:
        due = (time.monotonic() - t0) * rate
        while sent + chunk <= due:
            s.sendall(buf)
            sent += chunk
        time.sleep(max(0.0, (sent + chunk) / rate - (time.monotonic() - t0)))
elif role == "churn":
    port, n, full, m = map(int, sys.argv[2:6])
    linger = struct.pack("ii", 1, 0)
    pending = []
    print("ready", flush=True)
    t0 = time.monotonic()
    i = j = 0
    while True:
        now = time.monotonic() - t0
        while i < now * n:
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            try:
                c.connect(("127.0.0.1", port))
            except OSError:
                pass
            c.close()
            i += 1
        while j < now * m:
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", full))
            except BlockingIOError:
                pass
            # Closed before the SYN's first retransmission (1 s): one SYN, one overflow.
            pending.append((time.monotonic() + 0.5, c))
            j += 1
        while pending and pending[0][0] <= time.monotonic():
            pending.pop(0)[1].close()
        time.sleep(0.01)
"""

COUNTERS = ["ListenOverflows", "ListenDrops", "SyncookiesSent", "SyncookiesRecv",
            "SyncookiesFailed", "TCPSynRetrans", "RetransSegs", "TCPTimeouts", "ActiveOpens",
            "PassiveOpens", "AttemptFails", "EstabResets"]
CONN_HEADERS = ["Local Address:Port", "Peer Address:Port", "RTT ms", "Recv/s", "Send/s",
                "Retr/s", "Recv-Q", "Send-Q", "State", "Process", "Retr", "Cwnd", "Age"]
HEADER_RE = re.compile("(" + "|".join(re.escape(h) for h in CONN_HEADERS) + ")([↓↑v^]?)")
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


# ---------------------------------------------------------------------------------------------
# Reading the screen


def title(screen):
    """{'refresh', 'every', 'filter', 'paused'} from the title row, or None."""
    if not screen.lines:
        return None
    m = re.match(r"tcpscope top(?: - \S+)?  netns \S+  every (\S+)s  refresh (\d+)(.*)$",
                 screen.lines[0])
    if not m:
        return None
    rest = m.group(3)
    f = re.search(r"  filter: (.*?)(?:  \[paused\])?$", rest)
    return {"every": m.group(1), "refresh": int(m.group(2)),
            "filter": f.group(1) if f else None, "paused": "[paused]" in rest}


def counter_rates(screen):
    """{label: rate or None} for the twelve counters, or None when they are not all on screen."""
    out = {}
    for line in screen.lines[3:20]:
        for m in re.finditer(r"\b([A-Za-z]+)\s+(\d+(?:\.\d+)?[KMGT]?|-)(?=\s|$)", line):
            if m.group(1) in COUNTERS:
                out[m.group(1)] = count_value(m.group(2))
    return out if len(out) == len(COUNTERS) else None


def count_value(text):
    """'12', '4.0', '1.2K' (powers of 1000) -> float; '-' -> None."""
    if text == "-":
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", text)
    return float(m.group(1)) * (1000 ** " KMGT".index(m.group(2) or " "))


def byte_value(text):
    """'950', '1.0M' (powers of 1024) -> float; '-' -> None."""
    if text == "-":
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * UNITS[m.group(2)]


def listeners(screen):
    """[{'local', 'process', 'queue', 'limit', 'fill', 'synrecv', 'drops'}] of the listeners
    pane."""
    i = screen.index(r"^LISTENERS \d+")
    if i < 0:
        return None
    out = []
    for line in screen.lines[i + 2:]:
        if line.startswith("CONNECTIONS"):
            break
        m = re.match(r"^(\S+)\s+(\S+)\s+(?:\[[# ]*\]\s+)?(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)$",
                     line)
        if not m:
            return None
        out.append({"local": m.group(1), "process": m.group(2), "queue": int(m.group(3)),
                    "limit": int(m.group(4)), "fill": int(m.group(5)),
                    "synrecv": int(m.group(6)), "drops": m.group(7)})
    return out


class Conns:
    """The connections pane: its title, columns (header order), sort column and direction, and
    rows as dicts keyed by header (grouped rows: 'count' and the group's key columns)."""

    def __init__(self, screen):
        i = screen.index(r"^CONNECTIONS \d+")
        if i < 0 or i + 1 >= len(screen.lines):
            raise ValueError("no connections pane")
        self.title = screen.lines[i]
        m = re.match(r"CONNECTIONS (\d+)(?: groups by (\w+))?  sort (.+) (\S)$", self.title)
        if not m:
            raise ValueError(self.title)
        self.total = int(m.group(1))
        self.group = m.group(2)
        self.sort = m.group(3)
        self.descending = m.group(4) in ("↓", "v")
        self.columns = [h for h, _ in HEADER_RE.findall(screen.lines[i + 1])]
        self.rows = []
        for line in screen.lines[i + 2:-1]:  # the last row is the status line
            if not line.strip():
                break
            if self.group:
                g = re.match(r"^\*\s+(\d+) connections?\s+(\S+)\s+(\S+)\s+(.*)$", line)
                if not g:
                    raise ValueError(line)
                nums = g.group(4).split()
                row = {"count": int(g.group(1)), "Peer Address:Port": g.group(2),
                       "Process": g.group(3)}
                row.update(zip(self.columns[4:], nums))
            else:
                toks = line.split()
                if len(toks) != len(self.columns):
                    raise ValueError(f"{len(toks)} cells for {len(self.columns)} columns: {line}")
                row = dict(zip(self.columns, toks))
            row["line"] = line
            self.rows.append(row)


def conns(screen):
    try:
        return Conns(screen)
    except ValueError:
        return None


def status_line(screen):
    return screen.lines[-1] if screen.lines else ""


def process_name(cell):
    return "-" if cell == "-" else cell.rsplit("/", 1)[0]


# ---------------------------------------------------------------------------------------------
# ss, nstat


def nstat_abs(ns, hist):
    out = ns.exec(["env", f"NSTAT_HISTORY={hist}", "nstat", "-asz", "--json"]).stdout
    return nstest.read_json(out, "nstat -asz --json")["kernel"]


def ss_listener(ns, port):
    rows = nstest.parse_rows(nstest.ss(ns, ["-ltnH", "sport", "=", f":{port}"]), "ss -ltnH")
    if len(rows) != 1:
        raise TestFailure(f"ss shows {len(rows)} listeners on :{port}")
    return rows[0]


SS_USER_RE = re.compile(r'users:\(\("([^"]+)",pid=(\d+)')


def ss_conns(ns, expr=()):
    """[(state, local, peer, process name or '-')] of every TCP connection (not listeners)."""
    text = nstest.ss(ns, ["-tanpH"] + list(expr))
    out = []
    for r in nstest.parse_rows(text, "ss -tanpH"):
        if r.state == "LISTEN":
            continue
        m = SS_USER_RE.search(" ".join(r.details))
        out.append((r.state, r.local, r.peer, m.group(1) if m else "-"))
    return out


def ss_bytes_acked(ns, port):
    text = nstest.ss(ns, ["-tinH", "dport", "=", f":{port}"])
    m = re.findall(r"bytes_acked:(\d+)", text)
    if len(m) != 1:
        raise TestFailure(f"ss -tin dport = :{port}: {len(m)} bytes_acked values:\n{text}")
    return int(m[0])


def within(got, want, tol):
    return want > 0 and abs(got - want) <= tol * want


# ---------------------------------------------------------------------------------------------
# The sessions


def top_command(args, ns, extra="", env=""):
    """A shell command: the modes of the terminal, top, then its exit status and whether the
    terminal's modes are as before; then it idles so the pane stays."""
    return (f"S0=$(stty -g); {env} ip netns exec {ns.name} {args.tcpscope} top {extra}; "
            "echo EXIT=$?; if [ \"$(stty -g)\" = \"$S0\" ]; then echo STTY=same; "
            "else echo STTY=changed; fi; sleep 120")


def top_pid(pane_pid, deadline=5):
    """The tcpscope process started by the pane's shell (ip netns exec execs it)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            if ppid == pane_pid and comm == "tcpscope":
                return int(d)
        time.sleep(0.05)
    raise TestFailure(f"no tcpscope process under the pane's shell {pane_pid}")


def check_restored(t, name, c, how, want_exit="EXIT=0"):
    s = t.wait_for(name, lambda s: "STTY=" in s.text, REFRESH_WAIT, f"exit marker after {how}")
    c.check(want_exit in s.lines, f"{how}: want {want_exit}, the pane shows:\n{s}")
    c.check("STTY=same" in s.lines, f"{how}: the terminal's modes differ after exit:\n{s}")
    c.eq(t.display(name, "#{alternate_on}"), "0", f"{how}: alternate screen after exit")
    c.eq(t.display(name, "#{cursor_flag}"), "1", f"{how}: cursor visible after exit")
    c.eq(t.display(name, "#{keypad_cursor_flag}"), "0", f"{how}: keypad mode after exit")
    # Nothing of the screen remains on the normal screen: it starts with the markers.
    c.check(s.lines and s.lines[0].startswith("EXIT="),
            f"{how}: the normal screen has more than the shell's output:\n{s}")


def ready_screen(s):
    t = title(s)
    return t and t["refresh"] >= 2 and listeners(s) and conns(s) and counter_rates(s)


def main_session(args, ns, t, c):
    M = "main"
    t.start(M, 160, 50, top_command(args, ns, "-d 1"))
    s = t.wait_for(M, lambda s: t.display(M, "#{alternate_on}") == "1" and ready_screen(s),
                   START_WAIT, "first refreshes")

    # ---- the full listener against ss -ltn --------------------------------------------------
    row = ss_listener(ns, FULL_PORT)
    ls = listeners(s)
    full = [l for l in ls if l["local"] == f"127.0.0.1:{FULL_PORT}"]
    c.check(len(full) == 1, f"listener :{FULL_PORT} not on screen:\n{s}")
    if full:
        f = full[0]
        c.eq((f["queue"], f["limit"]), (row.recvq, row.sendq),
             f"listener :{FULL_PORT} Accept-Q/Limit vs ss -ltn Recv-Q/Send-Q")
        c.eq((f["queue"], f["limit"]), (2, 1), "the full listener's queue (backlog 1: 2 queued)")
        c.eq(f["fill"], 200, "the full listener's Fill%")
        c.check(ls[0] is f, f"the full listener is not listed first (fullest first):\n{s}")
        c.check(process_name(f["process"]) == "tablegen", f"listener process: {f['process']}")
    c.eq(sorted(l["local"] for l in ls),
         sorted(f"127.0.0.1:{p}" for p in (FULL_PORT, CHURN_PORT, PACE_PORT)), "listeners")

    # ---- counter and byte rates over five refreshes, against nstat and ss -------------------
    hist = os.path.join(t.tmpdir, "nstat.hist")
    r0 = title(s)["refresh"]
    s = t.wait_for(M, lambda s: title(s)["refresh"] > r0, REFRESH_WAIT, "a new refresh")
    r0 = title(s)["refresh"]
    n0, b0, w0 = nstat_abs(ns, hist), ss_bytes_acked(ns, PACE_PORT), time.monotonic()
    samples = {}
    end = r0 + 5

    def sample(s):
        tt = title(s)
        if tt["refresh"] > r0 and tt["refresh"] not in samples:
            cs = conns(s)
            rates = counter_rates(s)
            if cs and rates:
                samples[tt["refresh"]] = (rates, cs)
        return tt["refresh"] >= end and end in samples

    t.wait_for(M, sample, START_WAIT, f"refreshes {r0 + 1}..{end}", interval=0.1)
    n1, b1, w1 = nstat_abs(ns, hist), ss_bytes_acked(ns, PACE_PORT), time.monotonic()
    secs = w1 - w0
    nstest.log(f"window {secs:.2f}s, samples {sorted(samples)}")
    c.check(len(samples) >= 4, f"only refreshes {sorted(samples)} seen of {r0 + 1}..{end}")

    def screen_mean(label):
        vals = [r[label] for r, _ in samples.values() if r[label] is not None]
        return statistics.mean(vals) if vals else 0.0

    for label in ("PassiveOpens", "ActiveOpens", "ListenOverflows"):
        nstest.log(f"{label}: screen {[r[label] for r, _ in samples.values()]}")
    passive = screen_mean("PassiveOpens")
    nstat_passive = (n1["TcpPassiveOpens"] - n0["TcpPassiveOpens"]) / secs
    c.check(within(passive, nstat_passive, 0.25),
            f"PassiveOpens on screen {passive:.1f}/s, nstat {nstat_passive:.1f}/s over {secs:.1f}s")
    c.check(within(passive, CHURN_RATE, 0.35),
            f"PassiveOpens on screen {passive:.1f}/s, the churn makes {CHURN_RATE}/s")
    active = screen_mean("ActiveOpens")
    nstat_active = (n1["TcpActiveOpens"] - n0["TcpActiveOpens"]) / secs
    c.check(within(active, nstat_active, 0.25),
            f"ActiveOpens on screen {active:.1f}/s, nstat {nstat_active:.1f}/s")
    overflows = screen_mean("ListenOverflows")
    nstat_overflows = (n1["TcpExtListenOverflows"] - n0["TcpExtListenOverflows"]) / secs
    c.check(overflows > 0 and nstat_overflows > 0,
            f"ListenOverflows on screen {overflows:.1f}/s, nstat {nstat_overflows:.1f}/s: "
            "want both > 0")
    c.check(within(overflows, nstat_overflows, 0.35),
            f"ListenOverflows on screen {overflows:.1f}/s, nstat {nstat_overflows:.1f}/s")

    ss_rate = (b1 - b0) / secs
    c.check(within(ss_rate, PACE_RATE, 0.4),
            f"the pacer's bytes_acked rate per ss is {ss_rate:.0f} B/s, want {PACE_RATE}")
    tx, rx = [], []
    for _, cs in samples.values():
        for r in cs.rows:
            if r["Peer Address:Port"] == f"127.0.0.1:{PACE_PORT}" and r["Send/s"] != "-":
                tx.append(byte_value(r["Send/s"]))
            if r["Local Address:Port"] == f"127.0.0.1:{PACE_PORT}" and r["Recv/s"] != "-":
                rx.append(byte_value(r["Recv/s"]))
    nstest.log(f"nstat/s: passive {nstat_passive:.1f} active {nstat_active:.1f} overflows "
               f"{nstat_overflows:.1f}; ss bytes_acked/s {ss_rate:.0f}; screen tx {tx} rx {rx}")
    for what, vals in (("client Send/s", tx), ("server Recv/s", rx)):
        if not c.check(len(vals) >= 3, f"the paced connection's {what}: only {vals}"):
            continue
        med = statistics.median(vals)
        c.check(within(med, PACE_RATE, 0.4),
                f"the paced connection's {what}: median {med:.0f} B/s of {vals}, "
                f"want {PACE_RATE} ±40%")
        c.check(within(statistics.mean(vals), ss_rate, 0.3),
                f"the paced connection's {what}: mean {statistics.mean(vals):.0f} B/s, "
                f"ss bytes_acked {ss_rate:.0f} B/s")
    return s


def sort_keys(t, c):
    M = "main"
    pacer = f"127.0.0.1:{PACE_PORT}"

    def busy_first(s):
        cs = conns(s)
        return (cs and cs.sort == "Send/s" and cs.descending and cs.rows
                and cs.rows[0]["Peer Address:Port"] == pacer
                and cs.rows[0]["Send/s"] not in ("-", "0") and cs)

    s = t.wait_for(M, busy_first, REFRESH_WAIT, "the paced connection first by Send/s descending")
    cs = s.value
    c.eq(process_name(cs.rows[0]["Process"]), "ts-pacer", "the busiest connection's process")

    def values(cs, col):
        return [-1 if r[col] == "-" else byte_value(r[col]) for r in cs.rows]

    vals = values(cs, "Send/s")
    c.check(vals == sorted(vals, reverse=True), f"Send/s not descending: {vals}")

    t.keys(M, "r")

    def busy_last(s):
        cs = conns(s)
        return (cs and not cs.descending and cs.rows
                and cs.rows[-1]["Peer Address:Port"] == pacer and cs)

    s = t.wait_for(M, busy_last, KEY_WAIT, "`r`: ascending, the paced connection last")
    vals = values(s.value, "Send/s")
    c.check(vals == sorted(vals), f"Send/s not ascending after r: {vals}")
    c.check(len(s.value.rows) == s.value.total, "every connection on screen (the pane is tall)")

    t.keys(M, "<")  # Send/s -> Recv/s, largest first
    s = t.wait_for(M, lambda s: (cs := conns(s)) and cs.sort == "Recv/s" and cs.descending
                   and cs.rows[0]["Local Address:Port"] == pacer and cs, KEY_WAIT,
                   "`<`: Recv/s descending, the paced connection's server side first")
    t.keys(M, ">")
    t.wait_for(M, lambda s: (cs := conns(s)) and cs.sort == "Send/s" and cs.descending, KEY_WAIT,
               "`>`: back to Send/s")


def cursor_keys(t, c):
    """The selected row has the selection colour (a background): End, Home, Down, Tab."""
    M = "main"

    def selection(s):
        """(selected listener rows, selected connection rows, connection rows shown)."""
        li, ci = s.index(r"^LISTENERS"), s.index(r"^CONNECTIONS")
        n = len(conns(s).rows)

        def sel(start, stop):
            return [i - start for i in range(start, stop) if "bg" in s.cells[i][0][1]]

        return sel(li + 2, ci), sel(ci + 2, ci + 2 + n), n

    def conn_at(want):
        return lambda s: (x := selection(s))[0] == [] and x[1] == [want(x[2])]

    t.wait_for(M, conn_at(lambda n: 0), KEY_WAIT, "the first connection selected", attrs=True)
    t.keys(M, "End")
    t.wait_for(M, conn_at(lambda n: n - 1), KEY_WAIT, "End: the last connection", attrs=True)
    t.keys(M, "Home")
    t.wait_for(M, conn_at(lambda n: 0), KEY_WAIT, "Home: the first connection", attrs=True)
    t.keys(M, "Down", "Down")
    t.wait_for(M, conn_at(lambda n: min(2, n - 1)), KEY_WAIT, "Down Down: the third", attrs=True)
    t.keys(M, "Up")
    t.wait_for(M, conn_at(lambda n: min(1, n - 1)), KEY_WAIT, "Up: the second", attrs=True)
    t.keys(M, "Tab")
    t.wait_for(M, lambda s: (x := selection(s))[0] == [0] and x[1] == [], KEY_WAIT,
               "Tab: the first listener selected", attrs=True)
    t.keys(M, "Tab", "Home")
    t.wait_for(M, conn_at(lambda n: 0), KEY_WAIT, "Tab: back to the connections", attrs=True)


def groups(t, ns, c):
    M = "main"

    def stable_ss():
        a = sorted(ss_conns(ns))
        b = sorted(ss_conns(ns))
        return a if a == b else None

    def compare(key_of, group, what):
        """Waits until the screen's groups equal ss's counts (both are snapshots: a refresh
        after ss settles)."""
        want = {}
        last = {}

        def ok(s):
            nonlocal want, last
            cs = conns(s)
            if not cs or cs.group != group:
                return False
            ref = stable_ss()
            if ref is None:
                return False
            want = {}
            for conn in ref:
                k = key_of(conn)
                want[k] = want.get(k, 0) + 1
            last = {}
            for r in cs.rows:
                k = r["Process"] if group == "process" else r["Peer Address:Port"]
                if group == "process":
                    k = process_name(k)
                last[k] = last.get(k, 0) + r["count"]
            return last == want and cs.total == len(want)

        try:
            t.wait_for(M, ok, REFRESH_WAIT, f"groups by {group} as ss counts them")
        except TestFailure as e:
            c.check(False, f"{what}: screen {last}, ss {want}\n{e}")

    t.keys(M, "g")
    compare(lambda conn: conn[3], "process", "g: groups by process")
    t.keys(M, "g")
    compare(lambda conn: nstest.split_addr(conn[2])[0], "host", "g: groups by remote host")
    t.keys(M, "g")
    compare(lambda conn: "*:" + nstest.split_addr(conn[2])[2], "port", "g: groups by port")
    t.keys(M, "g")
    t.wait_for(M, lambda s: (cs := conns(s)) and cs.group is None and cs.rows, KEY_WAIT,
               "g: one row per connection again")


def filters(t, ns, c):
    M = "main"
    t.keys(M, "/")
    t.wait_for(M, lambda s: status_line(s).startswith("filter (none now"), KEY_WAIT,
               "an empty prompt that says no filter is in force")
    t.text(M, "dport = :5001")
    t.wait_for(M, lambda s: status_line(s).endswith(": dport = :5001"), KEY_WAIT,
               "the typed filter")
    t.keys(M, "Enter")

    def filtered(s):
        cs = conns(s)
        return (title(s)["filter"] == "dport = :5001" and cs and cs.rows
                and all(r["Peer Address:Port"].endswith(":5001") for r in cs.rows) and cs)

    s = t.wait_for(M, filtered, REFRESH_WAIT, "only connections to :5001")
    want = sorted((st, loc, peer) for st, loc, peer, _ in ss_conns(ns, ["dport", "=", ":5001"]))
    got = sorted((r["State"], r["Local Address:Port"], r["Peer Address:Port"])
                 for r in s.value.rows)
    c.eq(got, want, "rows with filter dport = :5001 vs ss -tan 'dport = :5001'")

    t.keys(M, "/")
    t.wait_for(M, lambda s: "filter (now: dport = :5001; empty Enter clears, Esc keeps): "
               == status_line(s) + " ", KEY_WAIT, "the prompt naming the filter in force, empty")
    t.text(M, "dport = :nope")
    t.keys(M, "Enter")
    s = t.wait_for(M, lambda s: status_line(s).startswith("filter not changed"), KEY_WAIT,
                   "a message for the bad filter")
    c.check('still "dport = :5001"' in status_line(s), f"message: {status_line(s)}")
    r = title(s)["refresh"]
    s = t.wait_for(M, lambda s: title(s)["refresh"] > r, REFRESH_WAIT,
                   "a refresh after the bad filter")
    c.eq(title(s)["filter"], "dport = :5001", "the filter after a bad one")
    c.check(filtered(s), f"rows after a bad filter:\n{s}")

    t.keys(M, "/")
    t.wait_for(M, lambda s: status_line(s).startswith("filter (now:"), KEY_WAIT, "the prompt")
    t.text(M, "sport = :1")
    t.keys(M, "Escape")
    s = t.wait_for(M, lambda s: status_line(s).startswith("q quit")
                   or not status_line(s).startswith("filter ("), KEY_WAIT, "Esc closing the prompt")
    r = title(s)["refresh"]
    s = t.wait_for(M, lambda s: title(s)["refresh"] > r, REFRESH_WAIT, "a refresh after Esc")
    c.eq(title(s)["filter"], "dport = :5001", "the filter after Esc")

    t.keys(M, "/")
    t.wait_for(M, lambda s: status_line(s).startswith("filter (now:"), KEY_WAIT, "the prompt")
    t.keys(M, "Enter")
    s = t.wait_for(M, lambda s: title(s)["filter"] is None and (cs := conns(s))
                   and any(r["Local Address:Port"].endswith(f":{PACE_PORT}") for r in cs.rows),
                   REFRESH_WAIT, "an empty Enter clearing the filter")
    c.check("filter cleared" in s.text, f"no 'filter cleared' message:\n{s}")


def names_pause_interval(t, c):
    M = "main"
    try:
        service = socket.getservbyport(PACE_PORT, "tcp")
    except OSError:
        service = None
    t.keys(M, "n")
    if service:
        t.wait_for(M, lambda s: (cs := conns(s)) and any(
            r["Peer Address:Port"] == f"127.0.0.1:{service}" for r in cs.rows), KEY_WAIT,
            f"n: port {PACE_PORT} as {service}")
    t.keys(M, "n")
    t.wait_for(M, lambda s: (cs := conns(s)) and any(
        r["Peer Address:Port"] == f"127.0.0.1:{PACE_PORT}" for r in cs.rows), KEY_WAIT,
        "n: numeric ports again")

    t.keys(M, "p")
    s = t.wait_for(M, lambda s: title(s)["paused"], KEY_WAIT, "p: [paused]")
    r = title(s)["refresh"]
    # Keys answer at once while nothing refreshes.
    for k, desc in (("r", False), ("r", True)):
        t0 = time.monotonic()
        t.keys(M, k)
        t.wait_for(M, lambda s: (cs := conns(s)) and cs.descending == desc, KEY_WAIT,
                   f"`{k}` while paused")
        c.check(time.monotonic() - t0 < 2.0,
                f"`{k}` took {time.monotonic() - t0:.2f}s to show while paused")
    # Paused for more than two intervals: the refresh number stands still.
    end = time.monotonic() + 2.5
    while time.monotonic() < end:
        s = t.screen(M)
        if not c.check(title(s)["refresh"] == r and title(s)["paused"],
                       f"refreshed while paused (refresh {r}):\n{s}"):
            break
        time.sleep(0.25)
    t.keys(M, "p")
    t.wait_for(M, lambda s: not title(s)["paused"] and title(s)["refresh"] > r, REFRESH_WAIT,
               "p: refreshing again")

    t.keys(M, "+")
    t.wait_for(M, lambda s: title(s)["every"] == "2", KEY_WAIT, "+: every 2s")
    t.keys(M, "-", "-")
    t.wait_for(M, lambda s: title(s)["every"] == "0.5", KEY_WAIT, "- -: every 0.5s")
    t.keys(M, "+")
    t.wait_for(M, lambda s: title(s)["every"] == "1", KEY_WAIT, "+: every 1s")


def box_lines(s, w):
    """The text rows of the overlay box (a reverse-video block from row 2, narrower than the
    screen of width w; its margin is not bold, unlike a pane's header row under or below it):
    its title row, its body rows and its bottom row."""
    bw = min(w - 4, 100)
    x0 = (w - bw) // 2

    def inside(y):
        row = s.cells[y]
        return len(row) > x0 + 1 and all("reverse" in row[x][1] and "bold" not in row[x][1]
                                         for x in (x0, x0 + 1))

    rows = []
    y = 2
    while y < len(s.cells) and inside(y):
        rows.append("".join(ch for ch, _ in s.cells[y][x0 + 2:x0 + bw - 2]).rstrip())
        y += 1
    if len(rows) < 3:
        raise ValueError("no box")
    return rows[0], rows[1:-1], rows[-1]


def read_box(t, name):
    """The box's whole text, scrolled through with PgDn."""
    w = int(t.display(name, "#{pane_width}"))
    t.keys(name, "Home")
    s = t.wait_for(name, lambda s: box_lines(s, w), KEY_WAIT, "the box", attrs=True)
    _, body, bottom = s.value
    text = list(body)
    m = re.search(r"lines (\d+)-(\d+) of (\d+)", bottom)
    while m and int(m.group(2)) < int(m.group(3)):
        shown = int(m.group(2))
        t.keys(name, "PageDown")
        s = t.wait_for(name, lambda s: (b := box_lines(s, w)) and (
            mm := re.search(r"lines (\d+)-(\d+) of", b[2])) and int(mm.group(2)) > shown and b,
            3, "the box scrolled", attrs=True)
        _, body, bottom = s.value
        first = int(re.search(r"lines (\d+)-", bottom).group(1))
        text += body[shown - first + 1:]
        m = re.search(r"lines (\d+)-(\d+) of (\d+)", bottom)
    return text, m is not None


def overlays(t, c):
    M = "main"
    t.keys(M, "p")
    t.wait_for(M, lambda s: title(s)["paused"], KEY_WAIT, "p: paused for the boxes")
    # The doctor's text: the same words in a wide box and, wrapped and scrolled, in a narrow one.
    t.resize(M, 200, 50)
    t.keys(M, "d")
    t.wait_for(M, lambda s: box_lines(s, 200)[0].startswith("doctor"), KEY_WAIT, "the doctor box",
               attrs=True)
    wide, scrolled = read_box(t, M)
    c.check(not scrolled, "the doctor's box scrolls at 200x50")
    c.check(any("accept-queue" in line for line in wide), f"doctor box: {wide}")
    t.resize(M, 80, 24)
    t.wait_for(M, lambda s: max(len(x) for x in s.lines) <= 80 and box_lines(s, 80), KEY_WAIT,
               "the box at 80x24", attrs=True)
    narrow, scrolled = read_box(t, M)
    c.check(scrolled, "the doctor's box does not scroll at 80x24")
    c.eq(" ".join(narrow).split(), " ".join(wide).split(),
         "the doctor's words in an 80-column box vs a 200-column one")
    c.check(len(narrow) > len(wide), "the narrow box did not wrap any line")
    t.keys(M, "Escape")
    t.wait_for(M, lambda s: "doctor (" not in s.text, KEY_WAIT, "Esc closing the doctor box")

    t.keys(M, "h")
    t.wait_for(M, lambda s: box_lines(s, 80)[0].startswith("tcpscope top: keys"), KEY_WAIT,
               "the help box", attrs=True)
    helptext, _ = read_box(t, M)
    words = " ".join(" ".join(helptext).split())
    c.check("Enter on an empty line clears it, Esc keeps it; ^U erases the line, ^W a word"
            in words, f"the help's filter entry is cut:\n" + "\n".join(helptext))
    c.check(all(len(line) <= 72 for line in helptext), "a help line wider than the box")
    t.keys(M, "q")  # closes the box, not the program
    t.wait_for(M, lambda s: "tcpscope top: keys" not in s.text and title(s), KEY_WAIT,
               "q closing the help box")
    t.keys(M, "p")
    t.wait_for(M, lambda s: not title(s)["paused"], KEY_WAIT, "p: running again")


def resize(t, c):
    M = "main"
    t.resize(M, 100, 30)

    def at(w, h):
        def ok(s):
            raw = s.raw.split("\n")
            return (title(s) and len(raw) >= h and max(len(x) for x in s.lines) <= w
                    and len(s.lines) == h and s.lines[h - 1].strip() and conns(s))
        return ok

    s = t.wait_for(M, at(100, 30), KEY_WAIT, "the screen redrawn at 100x30")
    c.check("Age" not in conns(s).columns, f"100 columns show every column: {conns(s).columns}")
    t.resize(M, 40, 10)
    t.wait_for(M, lambda s: s.lines and s.lines[0].startswith("terminal too small (40x10)"),
               KEY_WAIT, "the enlarge message at 40x10")
    t.resize(M, 160, 50)
    s = t.wait_for(M, at(160, 50), KEY_WAIT, "the screen back at 160x50")
    c.check("Age" in conns(s).columns, f"160 columns: {conns(s).columns}")


def signal_sessions(args, ns, t, c):
    for sig, name in ((15, "SIGTERM"), (1, "SIGHUP")):
        S = name.lower()
        t.start(S, 100, 30, top_command(args, ns, "-d 1"))
        t.wait_for(S, lambda s: title(s) and listeners(s), START_WAIT, f"{name}: the screen")
        os.kill(top_pid(t.pane_pid(S)), sig)
        check_restored(t, S, c, name)


def small_session(args, ns, t, c):
    """Started in a terminal too small: the message, and `q` quits as it says."""
    S = "small"
    t.start(S, 50, 12, top_command(args, ns, "-d 1"))
    t.wait_for(S, lambda s: s.lines and s.lines[0].startswith("terminal too small (50x12)"),
               START_WAIT, "the enlarge message")
    t.keys(S, "d", "q")  # an overlay opened unseen does not keep q from quitting
    check_restored(t, S, c, "q in a terminal too small")


def color_sessions(args, ns, t, c):
    cases = (("nocolor-env", "", "NO_COLOR=1", False), ("color-never", "--color never", "", False),
             ("color-auto", "", "", True))
    for name, extra, env, want in cases:
        t.start(name, 120, 40, top_command(args, ns, "-d 1 " + extra, "env " + env if env else ""))
        # The doctor's line and the full listener's row are drawn in colour when there is colour.
        s = t.wait_for(name, lambda s: title(s) and title(s)["refresh"] >= 2 and listeners(s)
                       and s.find(r"^doctor: (warning|critical)"), START_WAIT, "the screen",
                       attrs=True)
        codes = [code for p in sgr_params(s.raw) for code in color_codes(p)]
        if want:
            c.check(codes, f"{name}: no colour in a 256-colour tmux")
        else:
            c.check(not codes, f"{name}: colour codes {sorted(set(codes))}")
            c.check(any("reverse" in f for row in s.cells for _, f in row),
                    f"{name}: no reverse video (the title, the headers)")
        t.keys(name, "q")
        check_restored(t, name, c, f"{name}: q")


def test(args):
    if shutil.which("tmux") is None:
        raise TestFailure("tmux is not installed (the screen is driven under tmux)")
    c = nstest.Checker()
    with nstest.netns("top-screen") as ns, Tmux("top") as t:
        ns.tablegen(args.tablegen, ["--listen", f"127.0.0.1,{FULL_PORT},backlog=1,noaccept",
                                    "--connect", f"127.0.0.1,{FULL_PORT},count=4,mode=pending"])
        gen = [sys.executable, "-c", GEN]
        ns.tablegen(gen[0], gen[1:] + ["sink", str(CHURN_PORT), str(PACE_PORT)])
        ns.tablegen(gen[0], gen[1:] + ["pacer", str(PACE_PORT), str(PACE_RATE)])
        churn = ns.tablegen(gen[0], gen[1:] + ["churn", str(CHURN_PORT), str(CHURN_RATE),
                                               str(FULL_PORT), str(SYN_RATE)])
        main_session(args, ns, t, c)
        sort_keys(t, c)
        ns.stop(churn)  # the table must hold still from here on
        cursor_keys(t, c)
        groups(t, ns, c)
        filters(t, ns, c)
        names_pause_interval(t, c)
        overlays(t, c)
        resize(t, c)
        t.keys("main", "q")
        check_restored(t, "main", c, "q")
        signal_sessions(args, ns, t, c)
        small_session(args, ns, t, c)
        color_sessions(args, ns, t, c)
    c.finish()


if __name__ == "__main__":
    args = nstest.parse_args(__doc__.splitlines()[0])
    nstest.run_main(lambda: test(args))

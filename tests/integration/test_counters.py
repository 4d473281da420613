#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope counters` and `tcpscope sysctl` against nstat and sysctl in fresh namespaces.

Checks:
* Absolute values (ns "abs": accepted connections, IPv6 connections, TIME-WAIT, a backlog-1
  listener that never accepts and overflows its accept queue): `tcpscope counters -az --json`
  equals `nstat -az --json` for every counter (nstat's seven hidden values are absent from both),
  through `ip netns exec` and through tcpscope's own `--netns`; the text output of `-az` and of
  `-a` with patterns is byte-for-byte nstat's. ListenOverflows/ListenDrops are > 0. Taken while
  the namespace is quiet: the pending clients retransmit SYNs now and then, so a comparison is
  retried when nstat's own two reads around tcpscope's differ.
* Deltas (ns "delta", quiet: only accepted connections): each tool keeps its own history file
  (NSTAT_HISTORY / TCPSCOPE_HISTORY). After `-n` in both, N accepted connections give exactly N
  new TcpPassiveOpens and TcpActiveOpens, and the delta JSON of both tools is equal. With a
  pattern, only matched counters advance in the history: the next unfiltered delta covers both
  rounds of traffic for the others, in both tools. `-s` leaves the history alone; `-r` resets it.
* Live mode: `--interval 300ms --count 3 --json` while N connections are made: the deltas of
  TcpPassiveOpens over the ticks sum to N, rates = delta / seconds.
* `--explain ListenOverflows` prints the namespace's current value; `sysctl --json` shows the
  namespace's per-netns values and null with a reason for the global tcp_mem/tcp_max_orphans.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402

HIDDEN = {"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax",
          "TcpMaxConn", "TcpCurrEstab"}


class Tools:
    """Runs nstat and tcpscope in a namespace, each with its own history file in `tmp`."""

    def __init__(self, ns, args, tmp):
        self.ns, self.args, self.tmp = ns, args, tmp
        self.env_prefix = ["env", f"NSTAT_HISTORY={tmp}/nstat.hist",
                           f"TCPSCOPE_HISTORY={tmp}/tcpscope.hist"]

    def nstat(self, flags):
        return self.ns.exec(self.env_prefix + ["nstat"] + list(flags)).stdout

    def tcpscope(self, flags, via_netns_flag=False):
        if via_netns_flag:
            cmd = self.env_prefix + [self.args.tcpscope, "--netns", self.ns.name, "counters"]
            p = nstest.run(cmd + list(flags), check=False)
        else:
            p = self.ns.exec(self.env_prefix + [self.args.tcpscope, "counters"] + list(flags),
                             check=False)
        if p.returncode != 0:
            raise TestFailure(f"tcpscope counters {' '.join(flags)} exited {p.returncode}: "
                              f"{p.stderr.strip()}")
        return p.stdout


def json_diff(got, want):
    out = []
    for k in want:
        if k not in got:
            out.append(f"  only in nstat: {k}={want[k]}")
        elif got[k] != want[k]:
            out.append(f"  {k}: tcpscope {got[k]}, nstat {want[k]}")
    for k in got:
        if k not in want:
            out.append(f"  only in tcpscope: {k}={got[k]}")
    if not out and list(got) != list(want):
        out.append("  same counters, different order")
    return "\n".join(out)


def bracketed(fn_nstat, fn_tcpscope, compare, attempts=6):
    """nstat, tcpscope, nstat: compares when nstat's two reads agree (nothing moved in between).
    Returns '' or the last difference."""
    diff = "never quiet"
    for i in range(attempts):
        a = fn_nstat()
        t = fn_tcpscope()
        b = fn_nstat()
        if a != b:
            nstest.log(f"  attempt {i + 1}: a counter moved during the comparison, retrying")
            time.sleep(0.2)
            continue
        diff = compare(t, a)
        if not diff:
            return ""
        nstest.log(f"  attempt {i + 1}: differs, retrying")
        time.sleep(0.2)
    return diff


def check_absolute(args, c):
    with nstest.netns("cnt-abs") as ns, tempfile.TemporaryDirectory() as tmp:
        ns.tablegen(args.tablegen, [
            "--listen", "127.0.0.1,7201,backlog=16",
            "--connect", "127.0.0.1,7201,count=5",
            "--connect", "127.0.0.1,7201,count=3,mode=timewait",
            "--listen", "::1,7202",
            "--connect", "::1,7202,count=2",
            "--listen", "127.0.0.1,7203,backlog=1,noaccept",
            "--connect", "127.0.0.1,7203,count=4,mode=pending",
        ])
        time.sleep(0.5)  # let the pending clients' first SYN retransmits happen
        t = Tools(ns, args, tmp)

        def js(text, who):
            d = nstest.read_json(text, who)
            if list(d) != ["kernel"]:
                raise TestFailure(f"{who}: top-level keys {list(d)}, want ['kernel']")
            return d["kernel"]

        cmp_json = lambda got, want: json_diff(js(got, "tcpscope"), js(want, "nstat"))  # noqa
        diff = bracketed(lambda: t.nstat(["-az", "--json"]),
                         lambda: t.tcpscope(["-az", "--json"]), cmp_json)
        c.check(not diff, f"counters -az --json differs from nstat -az --json:\n{diff}")
        diff = bracketed(lambda: t.nstat(["-az", "--json"]),
                         lambda: t.tcpscope(["-az", "--json"], via_netns_flag=True), cmp_json)
        c.check(not diff, f"tcpscope --netns NS counters -az --json differs from nstat:\n{diff}")

        def cmp_text(got, want):
            if got == want:
                return ""
            gl, wl = got.splitlines(), want.splitlines()
            for i, (g, w) in enumerate(zip(gl, wl)):
                if g != w:
                    return f"  line {i + 1}: tcpscope {g!r}\n           nstat    {w!r}"
            return f"  {len(gl)} lines vs nstat's {len(wl)}"

        diff = bracketed(lambda: t.nstat(["-az"]), lambda: t.tcpscope(["-az"]), cmp_text)
        c.check(not diff, f"counters -az text differs from nstat -az:\n{diff}")
        pats = ["tcpext*listen*", "TCP*OPENS", "ipext*"]
        diff = bracketed(lambda: t.nstat(["-as"] + pats), lambda: t.tcpscope(["-as"] + pats),
                         cmp_text)
        c.check(not diff, f"counters -as PATTERNS differs from nstat:\n{diff}")
        diff = bracketed(lambda: t.nstat(["-asjp"] + pats),
                         lambda: t.tcpscope(["-as", "--json", "-p"] + pats), cmp_text)
        c.check(not diff, f"counters -as --json -p PATTERNS differs from nstat -asjp:\n{diff}")

        got = js(t.tcpscope(["-az", "--json"]), "tcpscope")
        c.check(not (HIDDEN & set(got)), f"hidden counters shown: {HIDDEN & set(got)}")
        c.check(got.get("TcpExtListenOverflows", 0) > 0,
                f"TcpExtListenOverflows should be > 0 with a full accept queue, got "
                f"{got.get('TcpExtListenOverflows')}")
        c.check(got.get("TcpExtListenDrops", 0) >= got.get("TcpExtListenOverflows", 0),
                "ListenDrops < ListenOverflows")
        c.check(got.get("TcpExtTW", 0) >= 3, f"TcpExtTW: got {got.get('TcpExtTW')}, want >= 3")

        # An exact name shows a value nstat hides (a gauge): CurrEstab counts both ends.
        cur = js(t.tcpscope(["-as", "--json", "TcpCurrEstab"]), "tcpscope")
        ss_estab = len(nstest.parse_rows(nstest.ss(ns, ["-tanH", "state", "established"])))
        c.check(cur.get("TcpCurrEstab") == ss_estab,
                f"TcpCurrEstab {cur.get('TcpCurrEstab')} != ss ESTAB rows {ss_estab}")

        # --explain shows the same value nstat reads now.
        def explain_once():
            want = js(t.nstat(["-asz", "--json", "TcpExtListenOverflows"]), "nstat")
            p = ns.exec([args.tcpscope, "counters", "--explain", "listenoverflows"])
            line = f"value: {want['TcpExtListenOverflows']} "
            if "TcpExtListenOverflows (ListenOverflows)" not in p.stdout or line not in p.stdout:
                return f"  want {line!r} in:\n{p.stdout}"
            if "net.core.somaxconn = " not in p.stdout:
                return "  no related sysctl lines"
            return ""
        diff = nstest.compare_with_retry(explain_once)
        c.check(not diff, f"--explain ListenOverflows:\n{diff}")
        p = ns.exec([args.tcpscope, "counters", "--explain", "NoSuchCounter"], check=False)
        c.eq(p.returncode, 2, "--explain of an unknown name: exit status")

        # sysctl: per-netns values from the namespace, globals unavailable with a reason.
        ns.sysctl("net.ipv4.tcp_max_tw_buckets", 54321)
        p = nstest.run([args.tcpscope, "--netns", ns.name, "sysctl", "--json"])
        d = nstest.read_json(p.stdout, "tcpscope sysctl --json")
        by = {e["name"]: e for e in d["tunables"]}
        c.eq(d.get("netns"), ns.name, "sysctl --json netns")
        c.eq(by["net.ipv4.tcp_max_tw_buckets"]["value"], 54321, "sysctl tcp_max_tw_buckets")
        c.eq(by["net.core.somaxconn"]["value"], int(ns.sysctl("net.core.somaxconn")),
             "sysctl somaxconn")
        lo, hi = ns.sysctl("net.ipv4.ip_local_port_range").split()
        c.eq(by["net.ipv4.ip_local_port_range"]["value"], [int(lo), int(hi)],
             "sysctl ip_local_port_range")
        for g in ("net.ipv4.tcp_mem", "net.ipv4.tcp_max_orphans"):
            e = by[g]
            c.check(e["value"] is None and e["available"] is False and e["scope"] == "global"
                    and "initial network namespace" in (e["unavailable_reason"] or ""),
                    f"sysctl {g} in a child namespace: {e}")
        host = nstest.read_json(nstest.run([args.tcpscope, "sysctl", "--json", "tcp_mem"]).stdout,
                                "tcpscope sysctl --json tcp_mem (host)")
        want_mem = [int(x) for x in open("/proc/sys/net/ipv4/tcp_mem").read().split()]
        c.eq(host["tunables"][0]["value"], want_mem, "sysctl tcp_mem on the host")


def check_deltas(args, c):
    with nstest.netns("cnt-delta") as ns, tempfile.TemporaryDirectory() as tmp:
        t = Tools(ns, args, tmp)
        port = [7300]
        made = [0]

        def traffic(n):
            made[0] += n
            port[0] += 1
            p = ns.tablegen(args.tablegen, ["--listen", f"127.0.0.1,{port[0]}",
                                            "--connect", f"127.0.0.1,{port[0]},count={n}"])
            ns.stop(p)
            time.sleep(0.2)  # the closes' FIN exchanges settle

        def baseline():
            t.nstat(["-n"])
            t.tcpscope(["-n"])

        N = 7
        last = ""
        for attempt in range(3):
            baseline()
            traffic(N)
            got = nstest.read_json(t.tcpscope(["--json"]), "tcpscope --json")["kernel"]
            want = nstest.read_json(t.nstat(["--json"]), "nstat --json")["kernel"]
            last = json_diff(got, want)
            if not last:
                break
            nstest.log(f"  delta attempt {attempt + 1} differs, retrying")
        c.check(not last, f"delta JSON differs from nstat's after {N} connections:\n{last}")
        c.eq(got.get("TcpPassiveOpens"), N, f"TcpPassiveOpens delta after {N} connections")
        c.eq(got.get("TcpActiveOpens"), N, f"TcpActiveOpens delta after {N} connections")

        # Patterns update only what they show: the next full delta of the others spans both rounds.
        baseline()
        traffic(3)
        a = t.tcpscope(["--json", "TcpActiveOpens"])
        b = t.nstat(["--json", "TcpActiveOpens"])
        c.eq(a, b, "delta with a pattern: tcpscope vs nstat")
        c.eq(json.loads(a)["kernel"].get("TcpActiveOpens"), 3, "TcpActiveOpens after 3")
        traffic(2)
        got = nstest.read_json(t.tcpscope(["--json"]), "tcpscope")["kernel"]
        want = nstest.read_json(t.nstat(["--json"]), "nstat")["kernel"]
        c.check(not json_diff(got, want), f"delta after a filtered run:\n{json_diff(got, want)}")
        c.eq(got.get("TcpActiveOpens"), 2, "TcpActiveOpens: shown last time, so 2 new")
        c.eq(got.get("TcpPassiveOpens"), 5, "TcpPassiveOpens: not shown last time, so 3 + 2")

        # -s does not update the history: two runs print the same delta.
        traffic(4)
        s1 = t.tcpscope(["-s", "--json", "Tcp*Opens"])
        s2 = t.tcpscope(["-s", "--json", "Tcp*Opens"])
        c.eq(s1, s2, "-s twice")
        c.eq(json.loads(s1)["kernel"].get("TcpPassiveOpens"), 4, "-s delta")
        # -r: absolute values (history removed first), like nstat -r.
        r = json.loads(t.tcpscope(["-r", "--json", "Tcp*Opens"]))["kernel"]
        n = json.loads(t.nstat(["-r", "--json", "Tcp*Opens"]))["kernel"]
        c.eq(r, n, "-r vs nstat -r")
        c.eq(r.get("TcpPassiveOpens"), made[0], "-r gives absolute values")
        # The history file is private.
        st = os.stat(f"{tmp}/tcpscope.hist")
        c.eq(oct(st.st_mode & 0o777), oct(0o600), "history file mode")

        # Live mode: the ticks' deltas add up to the traffic made during them.
        M = 6
        cmd = ["ip", "netns", "exec", ns.name, args.tcpscope, "counters", "--interval", "300ms",
               "--count", "3", "--json", "TcpPassiveOpens"]
        nstest.log("+ " + " ".join(cmd))
        live = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.1)
            port[0] += 1
            p = ns.tablegen(args.tablegen, ["--listen", f"127.0.0.1,{port[0]}",
                                            "--connect", f"127.0.0.1,{port[0]},count={M}",
                                            "--settle", "0"])
            out, err = live.communicate(timeout=10)
            ns.stop(p)
        finally:
            if live.poll() is None:
                live.kill()  # our own child
                live.wait()
        c.eq(live.returncode, 0, f"--interval exit status ({err.strip()})")
        ticks = [json.loads(line) for line in out.splitlines() if line.strip()]
        c.eq(len(ticks), 3, "--interval --count 3: lines")
        total = sum(tk["kernel"].get("TcpPassiveOpens", 0) for tk in ticks)
        c.eq(total, M, f"TcpPassiveOpens over the ticks ({ticks})")
        for tk in ticks:
            sec = tk.get("seconds", 0)
            c.check(0.2 < sec < 1.0, f"tick seconds {sec}")
            for k, v in tk["kernel"].items():
                want = v / sec if sec else 0
                c.check(abs(tk["rates"][k] - want) < 0.01 + want * 0.01,
                        f"rate of {k}: {tk['rates'][k]} for {v} in {sec}s")


def main():
    args = nstest.parse_args(__doc__)
    if not shutil.which("nstat"):
        raise TestFailure("nstat (iproute2) is not installed")
    c = nstest.Checker()
    check_absolute(args, c)
    check_deltas(args, c)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Readers of the kernel's socket-destroy events, side by side: `tcpscope watch` (text, JSON)
against `ss -tnE` and `ss -tnEi`, on loopback closes made by bench/closegen in a throw-away
namespace (net.ipv4.tcp_max_tw_buckets=0: no TIME-WAIT, ports stay free).

For each reader and rate: the reader starts, closegen runs for --seconds at the rate, the reader
is stopped (SIGINT) a second later. CPU = utime+stime of the reader's process over the run
(/proc/PID/stat); events = 2 per connection made (both ends are freed) plus the listeners;
`watch --stats` says what it saw and lost; ss exits with "No buffer space available" when it
falls behind. Output: a markdown section on stdout (bench/run --commands watch appends it).
Usage: bench/watchbench.py --tcpscope PATH --closegen PATH [--seconds 10] [--rate 10000]
       [--procs 2]
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def run_one(ns, reader, closegen, rate, seconds, procs):
    err_path = f"/tmp/watchbench-err-{os.getpid()}"
    with open(err_path, "w") as err, open(os.devnull, "w") as null:
        p = subprocess.Popen(["ip", "netns", "exec", ns] + reader, stdout=null, stderr=err)
        time.sleep(0.5)
        t0 = ticks(p.pid)
        g = subprocess.run(["ip", "netns", "exec", ns, closegen, "--procs", str(procs), "--rate",
                            str(rate), "--seconds", str(seconds)], capture_output=True, text=True,
                           check=True)
        time.sleep(1.0)
        alive = p.poll() is None
        t1 = ticks(p.pid) if alive else None
        if alive:
            p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    with open(err_path) as f:
        err_text = f.read()
    os.unlink(err_path)
    m = re.match(r"done (\d+) ([\d.]+)", g.stdout)
    conns, secs = int(m.group(1)), float(m.group(2))
    events = 2 * conns + procs
    res = {"reader": " ".join(reader), "rate": rate, "conns": conns, "secs": secs,
           "events": events, "cpu": None if t1 is None else (t1 - t0) / HZ,
           "died": not alive, "err": err_text.strip()}
    s = re.search(r"(\d+) events \(tcp.*?(\d+) overflows", err_text)
    if s:
        res["seen"] = int(s.group(1))
        res["overflows"] = int(s.group(2))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpscope", required=True)
    ap.add_argument("--closegen", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--procs", type=int, default=2)
    a = ap.parse_args()
    ns = f"tcpscope-watchbench-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                        "net.ipv4.tcp_max_tw_buckets=0"], check=True)
        ts = a.tcpscope
        readers = [
            ["ss", "-tnE"],
            ["ss", "-tnEi"],
            [ts, "watch", "-tn", "--stats"],
            [ts, "watch", "-tni", "--stats"],
            [ts, "watch", "-t", "--json", "--stats"],
        ]
        rows = []
        for rate in (a.rate, 0):
            for r in readers:
                res = run_one(ns, r, a.closegen, rate, a.seconds, a.procs)
                print(f"watchbench: {res}", file=sys.stderr, flush=True)
                rows.append(res)
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    out = []
    w = out.append
    w("### Destroy events: `tcpscope watch` against `ss -E`")
    w("")
    w(f"`bench/watchbench.py`: bench/closegen with {a.procs} worker processes opens and closes "
      f"loopback connections for {a.seconds:g} s, at {a.rate:,} connections/s and then as fast as "
      "it can (rate 0), with one reader at a time; CPU is the reader's utime+stime over the run.")
    w("")
    w("| reader | target conn/s | achieved conn/s | events | seen (watch --stats) | lost | "
      "CPU s | CPU ms per 1000 events |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        achieved = r["conns"] / r["secs"]
        lost = ("ENOBUFS: exited" if r["died"] else
                str(r.get("overflows", 0)) + " overflows" if "overflows" in r else "0")
        per = "—" if r["cpu"] is None else f"{1000 * r['cpu'] / (r['events'] / 1000):.1f}"
        cpu = "—" if r["cpu"] is None else f"{r['cpu']:.2f}"
        w(f"| `{r['reader'].replace(a.tcpscope, 'tcpscope')}` | {r['rate'] or 'max'} | "
          f"{achieved:,.0f} | {r['events']:,} | {r.get('seen', '—')} | {lost} | {cpu} | {per} |")
    w("")

    def per_event(reader, rate):
        for r in rows:
            if r["reader"].replace(a.tcpscope, "tcpscope") == reader and r["rate"] == rate \
                    and r["cpu"] and not r["died"]:
                return r["cpu"] / r["events"]
        return None
    ss = per_event("ss -tnE", a.rate)
    text = per_event("tcpscope watch -tn --stats", a.rate)
    js = per_event("tcpscope watch -t --json --stats", a.rate)
    w("| Target | measured | result |")
    w("|---|---:|---|")
    if ss and text:
        w(f"| `watch` text ≤ 0.5 × `ss -tnE` CPU per event | {text / ss:.2f}× | "
          f"{'PASS' if text / ss <= 0.5 else '**FAIL**'} |")
    if ss and js:
        w(f"| `watch --json` (every tcp_info field) ≤ 1.0 × `ss -tnE` CPU per event | "
          f"{js / ss:.2f}× | {'PASS' if js / ss <= 1.0 else '**FAIL**'} |")
    top = [r for r in rows if r["rate"] == 0 and "tcpscope" in r["reader"]]
    lossless = all(r.get("overflows", 1) == 0 and r.get("seen", 0) >= r["events"] for r in top)
    w(f"| no loss at closegen's top rate with default settings (watch) | "
      f"{', '.join(str(r.get('overflows')) for r in top)} overflows | "
      f"{'PASS' if lossless else '**FAIL**'} |")
    w("")
    print("\n".join(out))


if __name__ == "__main__":
    main()

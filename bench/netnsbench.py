#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/netnsbench.py: tcpscope-agent --netns all on a container host: many small namespaces
that share the host's established hash with a large socket table (bench/run builds the table;
bench/netnsfarm.py the namespaces).

  netnsbench.py run --agent PATH --tablegen PATH --count N --prefix P --label L
                    [--agent-args "..."] [--max-seconds S] >> results.jsonl
  netnsbench.py report --results results.jsonl --floor SECONDS --meta meta.txt --out FILE [--append]

`run`: builds the farm (N namespaces, each a listener and --conns connections), starts the
agent with `--netns all --statsd none --prometheus 127.0.0.1:PORT` and the given arguments,
then measures:
* the agent's CPU (user + system of the whole process, /proc/PID/stat) per interval, from the
  end of the second interval to the end of the run;
* every census: a scrape each interval reads tcpscope_census_age_seconds of every farm namespace
  and whether it has its socket states yet; the run lasts until every farm namespace has had its
  census walk and two more intervals have passed (a full round), or --max-seconds;
* a queue spike: after the third interval, 64 connections the listener never accepts are opened
  in the middle namespace of the farm and held for the listener interval + 2 s; the scrapes (every
  0.5 s) wait for tcpscope_listener_accept_queue_peak of that namespace to reach 64;
and prints one JSON object. `report` turns those objects into the markdown of bench/RESULTS.md.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def scrape(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
            return r.read().decode()
    except (OSError, ValueError):
        return None


def duration_s(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", text)
    v = float(m.group(1))
    return v * {"ms": 1e-3, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def arg_value(args, flag, default):
    return args[args.index(flag) + 1] if flag in args else default


AGE = re.compile(r'^tcpscope_census_age_seconds\{netns="([^"]*)"[^}]*\} (\S+)$', re.M)
EST = re.compile(r'^tcpscope_sockets\{netns="([^"]*)"[^}]*state="established"\} (\S+)$', re.M)
SKIPPED = re.compile(r"^tcpscope_agent_ticks_skipped_total (\S+)$", re.M)
WALK_CPU = re.compile(r"^tcpscope_agent_census_cpu_seconds_total (\S+)$", re.M)


def run(a):
    farm = subprocess.Popen([sys.executable, os.path.join(HERE, "netnsfarm.py"), "--count",
                             str(a.count), "--prefix", a.prefix, "--tablegen", a.tablegen,
                             "--conns", str(a.conns)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    agent = None
    try:
        t0 = time.monotonic()
        line = farm.stdout.readline().strip()
        if line != f"ready {a.count}":
            raise SystemExit(f"netnsbench: the farm said {line!r}")
        build_s = time.monotonic() - t0
        names = [f"{a.prefix}-{i}" for i in range(a.count)]
        extra = a.agent_args.split()
        interval = duration_s(arg_value(extra, "--interval", "10s"))
        listener = duration_s(arg_value(extra, "--listener-interval", str(interval)))
        port = free_port()
        cmd = [a.agent, "--netns", "all", "--statsd", "none", "--prometheus",
               f"127.0.0.1:{port}"] + extra
        agent = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=open(os.path.join(a.tmp, f"agent-{a.label}-{a.count}.err"),
                                             "w"))
        start = time.monotonic()
        t_measure = start + 2 * interval
        cpu0 = None
        first_walk = {}
        max_age = 0.0
        all_walked_at = None
        spike = {"namespace": names[len(names) // 2], "connections": 64,
                 "hold_s": listener + 2, "seen_after_s": None}
        spiked_at = None
        next_scrape = start + interval
        while True:
            now = time.monotonic()
            if agent.poll() is not None:
                raise SystemExit(f"netnsbench: the agent exited ({agent.returncode})")
            if cpu0 is None and now >= t_measure:
                cpu0, tm0 = cpu_seconds(agent.pid), now
            if spiked_at is None and now >= start + 3 * interval:
                farm.stdin.write(f"spike {len(names) // 2} {spike['connections']} "
                                 f"{spike['hold_s']}\n")
                farm.stdin.flush()
                if farm.stdout.readline().startswith("spiked"):
                    spiked_at = time.monotonic()
            if spiked_at is not None and spike["seen_after_s"] is None:
                text = scrape(port) or ""
                pat = (r'^tcpscope_listener_accept_queue_peak\{netns="' + re.escape(
                    spike["namespace"]) + r'"[^}]*\} (\S+)$')
                peaks = [float(v) for v in re.findall(pat, text, re.M)]
                if peaks and max(peaks) >= spike["connections"]:
                    spike["seen_after_s"] = round(time.monotonic() - spiked_at, 2)
                elif time.monotonic() - spiked_at > 2 * listener + interval + 5:
                    spike["seen_after_s"] = "missed"
                time.sleep(0.5)
                continue
            if now < next_scrape:
                time.sleep(min(0.5, next_scrape - now))
                continue
            next_scrape += interval
            text = scrape(port)
            if text is None:
                continue
            ages = {n: float(v) for n, v in AGE.findall(text)}
            walked = {n for n, _ in EST.findall(text)}
            t = time.monotonic() - start
            for n in names:
                if n in walked and n not in first_walk:
                    first_walk[n] = t
                if n in ages:
                    max_age = max(max_age, ages[n])
            if all_walked_at is None and len(first_walk) == len(names):
                all_walked_at = t
            done = all_walked_at is not None and t >= all_walked_at + 2 * interval and \
                spike["seen_after_s"] is not None
            if done or t >= a.max_seconds:
                break
        cpu1, tm1 = cpu_seconds(agent.pid), time.monotonic()
        text = scrape(port) or ""
        skipped = SKIPPED.findall(text)
        walk_cpu = WALK_CPU.findall(text)
        out = {
            "label": a.label, "namespaces": a.count, "conns": a.conns,
            "agent_args": " ".join(cmd[1:]), "interval_s": interval, "listener_s": listener,
            "farm_build_s": round(build_s, 1), "run_s": round(tm1 - start, 1),
            "measured_s": round(tm1 - tm0, 1),
            "cpu_per_interval_s": round((cpu1 - cpu0) / (tm1 - tm0) * interval, 4),
            "cpu_share": round((cpu1 - cpu0) / (tm1 - tm0), 4),
            "walk_cpu_s": float(walk_cpu[0]) if walk_cpu else None,
            "ticks_skipped": float(skipped[0]) if skipped else None,
            "walked": len(first_walk), "all_walked_at_s": all_walked_at,
            "max_census_age_s": round(max_age, 1), "spike": spike,
            "load": open("/proc/loadavg").read().split()[:3],
        }
        print(json.dumps(out), flush=True)
    finally:
        if agent is not None and agent.poll() is None:
            agent.send_signal(signal.SIGTERM)  # our own child, by pid
            agent.wait()
        try:
            farm.stdin.close()
        except OSError:
            pass
        farm.wait()


def report(a):
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    meta = dict(line.rstrip("\n").split("=", 1) for line in open(a.meta) if "=" in line)
    out = []
    out.append(f"\n## agent and many namespaces, {meta.get('date', '?')}\n")
    out.append(
        "`tcpscope-agent --netns all` on a container host: N namespaces made like `ip netns add` "
        "(sharing the host's established hash), each holding a listener and "
        f"{rows[0]['conns'] if rows else '?'} loopback connections (bench/netnsfarm.py), next "
        f"to the bench table of {meta.get('pairs', '?')} established pairs and "
        f"{meta.get('timewait', '?')} TIME-WAIT in another namespace; the agent with "
        "`--statsd none --prometheus` (not scraped but by the bench: one scrape per interval), "
        "default census budget (census.cpu 1.5 %, census.max_age 1 h). "
        f"{meta.get('cpu', '')}, kernel {meta.get('kernel', '')}, "
        f"{meta.get('agent', '')}.\n")
    out.append(f"Load average before/after: {meta.get('load_before', '?')} / "
               f"{meta.get('load_after', '?')} (other work shares the machine).\n")
    out.append(f"The floor: one bare dump of the table (`floor` in the bench namespace, both "
               f"families, process start included), median of the runs: {a.floor:.3f} s of CPU.\n")
    out.append("CPU per interval: user + system of the agent process over the measured window "
               "(after two intervals) scaled to one interval. Census age: the largest "
               "`tcpscope_census_age_seconds` of a farm namespace in the scrapes; the round: when "
               "the last farm namespace had its first walk. Spike: 64 connections held in one "
               "farm namespace, the time until `tcpscope_listener_accept_queue_peak` shows them.\n")
    out.append("| namespaces | agent | ticks | CPU per interval | × floor | target ≤ 2× | CPU "
               "share | walks | every namespace walked after | largest census age (bound "
               "3600 s) | spike seen after | ticks skipped |")
    out.append("|---:|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = r["cpu_per_interval_s"] / a.floor
        ticks = (f"{r['interval_s']:g}s full" if r["listener_s"] == r["interval_s"] else
                 f"{r['interval_s']:g}s full, {r['listener_s']:g}s listener")
        walked = (f"{r['all_walked_at_s']:.0f} s" if r["all_walked_at_s"] is not None else
                  f"not all ({r['walked']} of {r['namespaces']}) in {r['run_s']:.0f} s")
        out.append(
            f"| {r['namespaces']} | {r['label']} | {ticks} | {r['cpu_per_interval_s']:.3f} s | "
            f"{ratio:.2f}× | {'PASS' if ratio <= 2 else 'FAIL'} | "
            f"{r['cpu_share'] * 100:.1f} % | {r['walk_cpu_s']:.1f} s of CPU | {walked} | "
            f"{r['max_census_age_s']:.0f} s | {r['spike']['seen_after_s']} s | "
            f"{r['ticks_skipped']:.0f} |")
    out.append("\nCommand lines (the agent):\n")
    out.append("```")
    for r in rows:
        out.append(f"{r['label']} N={r['namespaces']}: tcpscope-agent {r['agent_args']}")
    out.append("```\n")
    text = "\n".join(out) + "\n"
    with open(a.out, "a" if a.append else "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--agent", required=True)
    r.add_argument("--tablegen", required=True)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--conns", type=int, default=10)
    r.add_argument("--prefix", required=True)
    r.add_argument("--label", required=True)
    r.add_argument("--agent-args", default="--interval 10s")
    r.add_argument("--max-seconds", type=float, default=4000)
    r.add_argument("--tmp", default="/tmp")
    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--floor", type=float, required=True)
    p.add_argument("--meta", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--append", action="store_true")
    a = ap.parse_args()
    if a.cmd == "run":
        run(a)
    else:
        report(a)


if __name__ == "__main__":
    main()

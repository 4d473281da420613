#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/nodeexp.py: CPU and memory of one node_exporter tcpstat scrape, for bench/run.

Run it inside the bench namespace (`ip netns exec NS python3 bench/nodeexp.py ...`): it starts
node_exporter with only the tcpstat collector (so node_exporter inherits the namespace and
dumps that namespace's sockets), waits for the port, scrapes /metrics once as a warm-up, then
SCRAPES times:

    settle; read /proc/PID/stat utime+stime; GET /metrics (whole body); settle; read again

and prints one row per measured scrape on stdout in bench/run's results format:

    LABEL  RUN  user_s  sys_s  vmhwm_kib  wall_s  status  cpu_schedstat_s

user_s / sys_s are the change of utime / stime (clock ticks of 1/CLK_TCK s, i.e. 10 ms) around
the scrape; the settle time after the response lets Go's background GC work that the scrape
caused land inside the window (an idle node_exporter uses no CPU). vmhwm_kib is VmHWM from
/proc/PID/status after the scrape (peak RSS since start, warm-up included). wall_s is the
HTTP request's wall time. status is 0 when the answer was 200 and carried
node_tcp_connection_states. cpu_schedstat_s is the change of the sum over
/proc/PID/task/*/schedstat (ns run time, finer than clock ticks; a cross-check only: a thread
that exits inside the window would be lost, Go's threads do not).
Progress and the scraped state counts go to stderr. node_exporter is stopped (SIGTERM, its pid
only) on exit.
"""
import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


def stat_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    # rest[0] is field 3 (state); utime is field 14, stime field 15.
    return int(rest[11]) / CLK_TCK, int(rest[12]) / CLK_TCK


def schedstat_cpu(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def scrape(url, timeout):
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read()
        code = r.status
    return code, body.decode("utf-8", "replace"), time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", default="/usr/bin/prometheus-node-exporter")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--scrapes", type=int, default=5)
    ap.add_argument("--settle", type=float, default=0.5, help="seconds before/after each scrape")
    ap.add_argument("--label", default="node-exporter")
    ap.add_argument("--log", default="/dev/null", help="node_exporter's stderr")
    a = ap.parse_args()

    cmd = [a.exe, "--collector.disable-defaults", "--collector.tcpstat",
           "--web.disable-exporter-metrics", f"--web.listen-address=127.0.0.1:{a.port}"]
    print("nodeexp: " + " ".join(cmd), file=sys.stderr)
    log = open(a.log, "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{a.port}/metrics"
    try:
        for _ in range(200):
            if proc.poll() is not None:
                print(f"nodeexp: node_exporter exited with {proc.returncode}", file=sys.stderr)
                return 1
            try:
                scrape(url, 60)  # the warm-up scrape
                break
            except OSError:
                time.sleep(0.05)
        else:
            print("nodeexp: node_exporter did not answer", file=sys.stderr)
            return 1
        pid = proc.pid
        print(f"nodeexp: pid {pid}, after warm-up VmHWM {status_kib(pid, 'VmHWM')} kB",
              file=sys.stderr)
        for run in range(1, a.scrapes + 1):
            time.sleep(a.settle)
            u0, s0 = stat_cpu(pid)
            c0 = schedstat_cpu(pid)
            try:
                code, body, wall = scrape(url, 60)
            except OSError as e:
                print(f"nodeexp: scrape {run}: {e}", file=sys.stderr)
                code, body, wall = 0, "", 0.0
            time.sleep(a.settle)
            u1, s1 = stat_cpu(pid)
            c1 = schedstat_cpu(pid)
            hwm = status_kib(pid, "VmHWM")
            states = [l for l in body.splitlines() if l.startswith("node_tcp_connection_states")]
            ok = code == 200 and bool(states)
            print(f"{a.label}\t{run}\t{u1 - u0:.6f}\t{s1 - s0:.6f}\t{hwm}\t{wall:.6f}\t"
                  f"{0 if ok else 1}\t{c1 - c0:.6f}", flush=True)
            short = ", ".join(l.split("{", 1)[1].replace('"}', "").replace('state="', "")
                              for l in states if "queued" not in l)
            print(f"nodeexp: scrape {run}: HTTP {code}, {wall:.3f} s, {short}", file=sys.stderr)
        print(f"nodeexp: VmRSS at the end {status_kib(pid, 'VmRSS')} kB", file=sys.stderr)
        return 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


if __name__ == "__main__":
    sys.exit(main())

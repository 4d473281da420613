#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Measures `tcpscope top`'s screen on the bench table, as a person uses it (tmux).

* idle CPU: the process's utime+stime (/proc/PID/stat) over --idle seconds with a refresh
  interval far longer than that (-d 60): what the screen costs between refreshes;
* key latency: a key is sent (tmux send-keys) and the pane polled until the screen shows its
  effect; with the collector idle, then with the collector busy (-d 0.5 on a table whose refresh
  takes most of that: keys arrive while a dump is being read);
* VmHWM of the process at the end.
Writes one JSON object to --out. Needs tmux; run inside the bench namespace's reach (root).
Usage: bench/topui.py --ns NS --tcpscope PATH --out FILE [--idle 10] [--keys 20]
"""
import argparse
import json
import os
import statistics
import subprocess
import time


def tmux(sock, *args):
    return subprocess.run(["tmux", "-L", sock, *args], check=True, capture_output=True,
                          text=True).stdout


def screen(sock):
    return tmux(sock, "capture-pane", "-p", "-t", "top")


def wait_for(sock, pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = screen(sock)
        if pred(text):
            return text
        time.sleep(0.002)
    raise SystemExit(f"topui: timed out waiting; screen:\n{screen(sock)}")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def vmhwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return None


def header_line(text):
    for line in text.splitlines():
        if line.startswith("CONNECTIONS"):
            return line
    return ""


def key_latencies(sock, n):
    """Alternates `g` (grouping) and waits for the CONNECTIONS line to change each time."""
    out = []
    for _ in range(n):
        before = header_line(screen(sock))
        t0 = time.monotonic()
        tmux(sock, "send-keys", "-t", "top", "g")
        wait_for(sock, lambda s: header_line(s) != before and header_line(s) != "", 10)
        out.append((time.monotonic() - t0) * 1000.0)
    # Back to no grouping: g cycles none, process, host, port.
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ns", required=True)
    ap.add_argument("--tcpscope", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--idle", type=float, default=10.0)
    ap.add_argument("--keys", type=int, default=20)
    a = ap.parse_args()
    sock = f"tcpscope-bench-top-{os.getpid()}"
    hz = os.sysconf("SC_CLK_TCK")
    tmux(sock, "new-session", "-d", "-s", "top", "-x", "200", "-y", "50",
         f"ip netns exec {a.ns} {a.tcpscope} top -d 60")
    try:
        pid = int(tmux(sock, "list-panes", "-t", "top", "-F", "#{pane_pid}").split()[0])
        wait_for(sock, lambda s: "refresh 1" in s and "CONNECTIONS" in s, 120)
        time.sleep(0.5)  # let the first draw settle
        c0 = cpu_ticks(pid)
        t0 = time.monotonic()
        time.sleep(a.idle)
        idle_s = (cpu_ticks(pid) - c0) / hz
        idle_window = time.monotonic() - t0
        idle_keys = key_latencies(sock, a.keys)
        # Busy: refresh every 0.5 s (the `-` key steps the interval down: 60 -> ... -> 0.5).
        for _ in range(10):
            tmux(sock, "send-keys", "-t", "top", "-")
        wait_for(sock, lambda s: "every 0.5s" in s, 30)
        wait_for(sock, lambda s: "refresh 4" in s or "refresh 5" in s, 60)
        busy_keys = key_latencies(sock, a.keys)
        hwm = vmhwm_mib(pid)
        tmux(sock, "send-keys", "-t", "top", "q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.05)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
    res = {
        "idle_cpu_s": idle_s, "idle_window_s": idle_window,
        "key_ms_idle": idle_keys, "key_ms_busy": busy_keys,
        "key_ms_idle_median": statistics.median(idle_keys),
        "key_ms_busy_median": statistics.median(busy_keys),
        "key_ms_busy_max": max(busy_keys), "vmhwm_mib": hwm,
    }
    with open(a.out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res))


if __name__ == "__main__":
    main()

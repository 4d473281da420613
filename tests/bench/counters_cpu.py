#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Whole-process CPU of `tcpscope counters -az` against `nstat -az` (bench/COUNTERS.md).

Runs the commands alternately (so both see the same background load), RUNS times each, stdout to
/dev/null, each with its own history file in a temporary directory (NSTAT_HISTORY /
TCPSCOPE_HISTORY), and reads each child's user+system CPU from wait4(). Prints min, median and
mean per command in milliseconds.

    tests/bench/counters_cpu.py --tcpscope build-release/tcpscope [--runs 200] [--netns NAME]
        [-- extra tcpscope counters args]
"""
import argparse
import ctypes
import os
import statistics
import subprocess
import tempfile


def cpu_ms(cmd, env):
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read().decode()
        p.stderr.close()
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}: {err.strip()}")
    return (ru.ru_utime + ru.ru_stime) * 1000.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpscope", required=True)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--netns", help="run both inside this namespace (ip netns exec is not timed)")
    ap.add_argument("--flags", default="-az", help="flags for both tools (default -az)")
    args = ap.parse_args()
    flags = args.flags.split()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NSTAT_HISTORY=f"{tmp}/nstat.hist",
                   TCPSCOPE_HISTORY=f"{tmp}/tcpscope.hist")
        cmds = {
            f"tcpscope counters {args.flags}": [args.tcpscope, "counters"] + flags,
            f"nstat {args.flags}": ["nstat"] + flags,
        }
        if args.netns:
            # Enter the namespace once for this process; the children inherit it.
            fd = os.open(f"/var/run/netns/{args.netns}", os.O_RDONLY)
            if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
                raise SystemExit(f"setns {args.netns}: {os.strerror(ctypes.get_errno())}")
            os.close(fd)
        times = {k: [] for k in cmds}
        for k, c in cmds.items():  # warm the page cache and the history files
            cpu_ms(c, env)
        for _ in range(args.runs):
            for k, c in cmds.items():
                times[k].append(cpu_ms(c, env))
    print(f"{'command':<28} {'runs':>5} {'min ms':>8} {'median ms':>10} {'mean ms':>8}")
    for k, t in times.items():
        print(f"{k:<28} {len(t):>5} {min(t):>8.3f} {statistics.median(t):>10.3f} "
              f"{statistics.fmean(t):>8.3f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/netnsfarm.py: many small network namespaces, as a container host has them.

Creates COUNT namespaces named PREFIX-0 .. PREFIX-(COUNT-1) the way `ip netns add` (and the CNI
plugins) do, so they share the host's established hash; in each, the integration tests'
tablegen holds one listener on 127.0.0.1:PORT and CONNS loopback connections to it (2 x CONNS
sockets and the listener). Prints `ready COUNT` once every table is built, then holds them until
stdin reaches EOF or SIGTERM arrives, and removes everything (tablegen processes by pid, the
namespaces by name).

  netnsfarm.py --count 100 --prefix tcpscope-bench-farm-123 --tablegen build/release/tests/tablegen

`spike NS N` on stdin (NS an index) opens N client connections to that namespace's listener,
which tablegen never accepts (its accept queue holds them), for SECONDS (`spike NS N SECONDS`,
default 3), then closes them; it answers `spiked NS N` when they are open.
"""
import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time

def on_term(signum, frame):
    raise KeyboardInterrupt


CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    """setns(2) into the network namespace of `fd` (os.setns needs Python 3.12)."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def netns_fd(name):
    return os.open(f"/var/run/netns/{name}", os.O_RDONLY)


def spike(name, port, n, seconds):
    """N connections inside namespace `name` to its listener, held `seconds` on a thread."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    fd = netns_fd(name)
    socks = []
    try:
        setns(fd)
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            socks.append(s)
    finally:
        setns(own)
        os.close(fd)
        os.close(own)

    def close_later():
        time.sleep(seconds)
        for s in socks:
            s.close()
    threading.Thread(target=close_later, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--tablegen", required=True)
    ap.add_argument("--conns", type=int, default=10)
    ap.add_argument("--port", type=int, default=7000)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    names = [f"{args.prefix}-{i}" for i in range(args.count)]
    procs = []
    made = []
    try:
        for name in names:
            subprocess.run(["ip", "netns", "add", name], check=True)
            made.append(name)
            subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        # Every table at once (tablegen's settle time would add up).
        for name in names:
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", name, args.tablegen, "--settle", "0",
                 "--listen", f"127.0.0.1,{args.port},backlog=4096",
                 "--connect", f"127.0.0.1,{args.port},count={args.conns}"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        for name, p in zip(names, procs):
            line = p.stdout.readline().strip()
            if line != "ready":
                raise SystemExit(f"netnsfarm: tablegen in {name}: {line!r}")
        print(f"ready {len(names)}", flush=True)
        for line in sys.stdin:
            words = line.split()
            if len(words) >= 3 and words[0] == "spike":
                i, n = int(words[1]), int(words[2])
                seconds = float(words[3]) if len(words) > 3 else 3.0
                spike(names[i], args.port, n, seconds)
                print(f"spiked {i} {n}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            try:
                p.stdin.close()
            except OSError:
                pass
        deadline = time.monotonic() + 30
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()  # our own child, by pid
                p.wait()
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope sockets -p` vs `ss -p` 6.1, through both ways of building the process map
(docs/architecture.md, "The process map"): the BPF iterator and the /proc walk, forced with
TCPSCOPE_PROCESS_MAP=bpf|proc, and the default (auto).

Table: the standard table (one tablegen process) plus a holder process that listens, forks (the
listener and an accepted pair are then held by two processes, at the same and at a dup'ed higher
fd) and runs 24 threads, one of which unshares its descriptor table and opens a socket of its
own (shown by neither ss nor /proc, so the BPF walk must skip it too).

Rows are compared whole (columns and the `users:((...))` column, which carries process names,
pids, fds and their order) as sorted multisets for -tanpH, -tuanpH and -tlnpH.

Fallback: with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN dropped (setpriv), the default still
prints ss's table (the /proc walk), a forced `bpf` exits 1 with one error line, and a bad
TCPSCOPE_PROCESS_MAP exits 2.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

FLAGS = [["-tanpH"], ["-tuanpH"], ["-tlnpH"]]
MODES = ["auto", "bpf", "proc"]
NO_BPF_CAPS = ["setpriv", "--bounding-set=-bpf,-perfmon,-sys_admin"]

# Listens on 127.0.0.1:7301, connects to it, dups the listener to fd 40, forks (both processes
# now hold all three sockets), then the parent starts 24 threads; one unshares CLONE_FILES and
# opens a UDP socket bound to 127.0.0.1:7302. Prints `ready`, holds until stdin closes.
HOLDER = r"""
import ctypes, os, socket, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
CLONE_FILES = 0x400  # os.unshare is Python 3.12+
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 7301)); l.listen(8)
c = socket.create_connection(("127.0.0.1", 7301)); a, _ = l.accept()
os.dup2(l.fileno(), 40)
child = os.fork()
if child == 0:
    os.read(0, 1); os._exit(0)
stop = threading.Event()
def idle(): stop.wait()
def own_table():
    if libc.unshare(CLONE_FILES) != 0: os._exit(3)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 7302))
    own.set(); stop.wait()
own = threading.Event()
ts = [threading.Thread(target=idle) for _ in range(23)] + [threading.Thread(target=own_table)]
for t in ts: t.start()
own.wait()
print("ready", flush=True)
sys.stdin.read()
stop.set()
for t in ts: t.join()
os.waitpid(child, 0)
"""


def start_holder(ns):
    import selectors
    import subprocess
    import time
    cmd = ["ip", "netns", "exec", ns.name, sys.executable, "-c", HOLDER]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    ns.procs.append(p)  # stdin closed, then stopped by pid, when the namespace goes
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    line = p.stdout.readline() if sel.select(timeout=20) else ""
    sel.close()
    if line.strip() != "ready":
        ns.stop(p)
        err = p.stderr.read() if p.stderr and not p.stderr.closed else ""
        raise nstest.TestFailure(f"holder did not get ready (got {line!r}): {err}")
    time.sleep(0.1)
    return p


def raw_rows(text, what):
    return sorted(r.raw for r in nstest.parse_rows(text, what))


def diff_raw(got, want):
    from collections import Counter
    g, w = Counter(got), Counter(want)
    out = [f"  only in ss:       {r}" for r in sorted((w - g).elements())]
    out += [f"  only in tcpscope: {r}" for r in sorted((g - w).elements())]
    return "\n".join(out)


def tcpscope_env(ns, args, env, flags, prefix=()):
    cmd = list(prefix) + ["env"] + env + [args.tcpscope, "sockets"] + flags
    return ns.exec(cmd, check=False)


def compare(ns, args, c, flags, env, prefix=(), what=""):
    def once():
        p = tcpscope_env(ns, args, env, flags, prefix)
        if p.returncode != 0:
            return f"  exit {p.returncode}: {p.stderr.strip()}"
        got = raw_rows(p.stdout, "tcpscope")
        want = raw_rows(nstest.ss(ns, flags), "ss")
        once.want = want
        return diff_raw(got, want)

    once.want = []
    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"{what} sockets {' '.join(flags)} differs from ss:\n{diff}")
    return once.want


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("pmap") as ns:
        _, expected = nstest.standard_table(ns, args.tablegen)
        nstest.check_expected_table(ns, expected)
        holder = start_holder(ns)
        for flags in FLAGS:
            for mode in MODES:
                want = compare(ns, args, c, flags, [f"TCPSCOPE_PROCESS_MAP={mode}"],
                               what=f"TCPSCOPE_PROCESS_MAP={mode}")
            # Table sanity: the holder's shared sockets are shown with both processes.
            if flags == ["-tlnpH"]:
                shared = [r for r in want if "127.0.0.1:7301" in r]
                c.check(len(shared) == 1 and shared[0].count("pid=") == 4,
                        f"ss should show the holder's listener at 2 fds in 2 processes: {shared}")
        u = [r for r in raw_rows(nstest.ss(ns, ["-uanpH"]), "ss") if "127.0.0.1:7302" in r]
        c.check(len(u) == 1 and "users:" not in u[0],
                f"ss should show no process for the unshared thread's socket: {u}")
        c.check(holder.poll() is None, "the holder exited early")

        # No BPF privilege: auto silently walks /proc; a forced bpf fails.
        for flags in (["-tanpH"], ["-tuanpH"]):
            compare(ns, args, c, flags, [], prefix=NO_BPF_CAPS, what="without CAP_BPF,")
        p = tcpscope_env(ns, args, ["TCPSCOPE_PROCESS_MAP=bpf"], ["-tanpH"], NO_BPF_CAPS)
        c.eq(p.returncode, 1, "forced bpf without CAP_BPF: exit status")
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        c.check(len(lines) >= 1 and lines[0].startswith("tcpscope: error: ") and "BPF" in lines[0],
                f"forced bpf without CAP_BPF: error line: {p.stderr!r}")
        c.eq(p.stdout, "", "forced bpf without CAP_BPF: stdout")
        p = tcpscope_env(ns, args, ["TCPSCOPE_PROCESS_MAP=bogus"], ["-tanpH"])
        c.eq(p.returncode, 2, "TCPSCOPE_PROCESS_MAP=bogus: exit status")
        c.check("TCPSCOPE_PROCESS_MAP" in p.stderr, f"bogus mode: stderr {p.stderr!r}")
        # Without -p the variable is not even read.
        p = tcpscope_env(ns, args, ["TCPSCOPE_PROCESS_MAP=bogus"], ["-tanH"])
        c.eq(p.returncode, 0, "TCPSCOPE_PROCESS_MAP=bogus without -p: exit status")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope sockets -K` in a fresh namespace (familygen.py kill: two TCP pairs to :7001, two to
:7002, a UDP socket):
* without a filter or a state it refuses (exit 2) and every socket lives;
* --dry-run lists the matching sockets and destroys nothing;
* as an unprivileged user (uid 65534, no capabilities) it destroys nothing and exits non-zero;
* `-K -t dport = :7001` destroys exactly the two client sockets to :7001, prints them as ss
  prints sockets, exits 0; their peers see a reset (and close); every other socket lives;
* `-K -t state listening sport = :7002` stops that listener only;
* `-K -u -a sport = :7101` destroys (aborts) the UDP socket;
* `-K -w -a` on a kernel without raw_diag: the raw socket is read from /proc and the kernel has
  no handler to destroy it with: one line naming it and why, exit 1 (with raw_diag: destroyed)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

GEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "familygen.py")


def rows(ns, flags):
    return sorted(" ".join(line.split()) for line in nstest.ss(ns, ["-H"] + flags).splitlines()
                  if line.strip())


def probe(gen):
    gen.stdin.write("check\n")
    gen.stdin.flush()
    return dict(kv.split("=") for kv in gen.stdout.readline().split())


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("kill") as ns:
        gen = ns.tablegen("python3", [GEN, "kill"])
        before = rows(ns, ["-tuan"])
        c.eq(len(before), 2 + 8 + 1, "table sanity (2 listeners, 8 connected TCP, 1 UDP)")
        c.eq(len(rows(ns, ["-wan"])), 1, "table sanity (1 raw socket)")

        p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-K"], check=False)
        c.eq(p.returncode, 2, "-K without a filter or state: usage error")
        c.check("filter" in p.stderr, f"-K refusal says why: {p.stderr!r}")
        c.eq(rows(ns, ["-tuan"]), before, "nothing destroyed by the refused -K")

        p = nstest.tcpscope(ns, args.tcpscope,
                            ["sockets", "-K", "--dry-run", "-tnH", "dport", "=", ":7001"])
        dry = sorted(" ".join(line.split()) for line in p.stdout.splitlines())
        want = rows(ns, ["-tn", "dport", "=", ":7001"])
        c.eq(dry, want, "--dry-run lists what would be destroyed")
        c.eq(rows(ns, ["-tuan"]), before, "nothing destroyed by --dry-run")

        p = nstest.run(["ip", "netns", "exec", ns.name, "setpriv", "--reuid", "65534",
                        "--regid", "65534", "--clear-groups", "--inh-caps=-all",
                        args.tcpscope, "sockets", "-K", "-t", "dport", "=", ":7001"], check=False)
        c.check(p.returncode != 0, f"-K without privilege exits non-zero (got {p.returncode})")
        c.check("CAP_NET_ADMIN" in p.stderr, f"-K without privilege says why: {p.stderr!r}")
        c.eq(rows(ns, ["-tuan"]), before, "nothing destroyed without privilege")

        p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-K", "-tnH", "dport", "=", ":7001"],
                            check=False)
        c.eq(p.returncode, 0, f"-K dport = :7001 exit status (stderr {p.stderr!r})")
        killed = sorted(" ".join(line.split()) for line in p.stdout.splitlines())
        c.eq(killed, want, "-K prints the destroyed sockets")
        after = rows(ns, ["-tuan"])
        # The destroyed clients, and their peers, which the reset closed.
        c.eq(sorted(set(before) - set(after)), sorted(
            r for r in before if r.startswith("tcp ESTAB") and "127.0.0.1:7001" in r.split()[4:6]),
            "exactly the connections to :7001 are gone")
        c.eq(sorted(set(after) - set(before)), [], "no new sockets")
        state = probe(gen)
        for i in range(2):
            c.eq(state[f"7001-{i}-client"], "aborted", f"destroyed client {i} sees ECONNABORTED")
            c.eq(state[f"7001-{i}-server"], "reset", f"its peer {i} sees a reset")
            c.eq(state[f"7002-{i}-client"], "ok", f"7002 client {i} lives")
            c.eq(state[f"7002-{i}-server"], "ok", f"7002 server {i} lives")

        p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-K", "-tnH", "state", "listening",
                                                "sport", "=", ":7002"], check=False)
        c.eq(p.returncode, 0, "-K of a listener")
        c.eq(rows(ns, ["-tln"]), [r for r in rows(ns, ["-tln"]) if ":7002" not in r],
             "the :7002 listener is gone")
        c.check(any(":7001" in r for r in rows(ns, ["-tln"])), "the :7001 listener lives")

        p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-K", "-unH", "-a", "sport", "=",
                                                ":7101"], check=False)
        # The kernel aborts it (its owner's next call fails) but keeps an explicitly bound UDP
        # socket hashed, so it is still listed afterwards, as after ss -K.
        c.eq((p.returncode, len(p.stdout.splitlines())), (0, 1), "-K of the UDP socket")

        p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-K", "-wnH", "-a"], check=False)
        raw_left = rows(ns, ["-wan"])
        if p.returncode == 0:
            c.eq(raw_left, [], "-K -w destroyed the raw socket (this kernel has raw_diag)")
        else:
            errs = p.stderr.splitlines()
            c.check(p.returncode == 1 and len(errs) == 2 and errs[0].startswith(
                "tcpscope: cannot destroy raw 0.0.0.0:1: ") and "not destroyed" in errs[1],
                f"-K -w: the refusal is said per socket with its reason: {p.stderr!r}")
            c.eq(len(raw_left), 1, "the raw socket the kernel could not destroy lives")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

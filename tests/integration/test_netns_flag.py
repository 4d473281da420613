#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope --netns` and the CLI's error paths (docs/cli.md: exit 0 ok, 1 runtime error,
2 usage error; errors are `tcpscope: error: ...` on stderr, optionally followed by one `hint:`
line, per the project style guide).

* `tcpscope --netns NAME sockets -tanH`, run from the root namespace, equals
  `ip netns exec NAME ss -tanH` (sorted, exact columns); so does `--netns` after the command name
  and `--netns /proc/PID/ns/net` with tablegen's pid; `-tuanH` and `-tlnH` too.
* A missing namespace (name or path) exits 1 with one error line, within a few seconds.
* Bad flags and `state nosuchstate` exit 2 with one error line; nothing on stdout.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

TIMEOUT = 10


def run_root(args, extra):
    """tcpscope run from the root namespace (the test's own)."""
    return nstest.run([args.tcpscope] + extra, check=False, timeout=TIMEOUT)


def compare(ns, args, c, extra, ss_flags, what):
    def once():
        p = run_root(args, extra)
        if p.returncode != 0:
            return f"  exit {p.returncode}: {p.stderr.strip()}"
        got = nstest.parse_rows(p.stdout, what)
        want = nstest.parse_rows(nstest.ss(ns, ss_flags), "ss")
        once.n = len(want)
        return nstest.diff_rows(got, want)

    once.n = 0
    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"{what} differs from ip netns exec {ns.name} ss {' '.join(ss_flags)}:\n{diff}")
    return once.n


def check_error(c, p, want_rc, what):
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    ok_lines = (1 <= len(lines) <= 2 and lines[0].startswith("tcpscope: error:")
                and (len(lines) == 1 or lines[1].startswith("hint:")))
    c.check(p.returncode == want_rc,
            f"{what}: exit {p.returncode}, want {want_rc}; stderr: {p.stderr.strip()!r}")
    c.check(ok_lines, f"{what}: stderr must be one 'tcpscope: error: ...' line (plus at most one "
            f"'hint:' line), got {p.stderr!r}")
    c.check(p.stdout == "", f"{what}: unexpected stdout {p.stdout[:200]!r}")


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("netns") as ns:
        _, expected = nstest.standard_table(ns, args.tablegen)
        nstest.check_expected_table(ns, expected)
        tg_pid = ns.procs[0].pid

        n = compare(ns, args, c, ["--netns", ns.name, "sockets", "-tanH"], ["-tanH"],
                    f"tcpscope --netns {ns.name} sockets -tanH")
        c.eq(n, sum(v for k, v in expected.items() if k[0] == "tcp"),
             "ss -tanH rows (table sanity)")
        compare(ns, args, c, ["sockets", "--netns", ns.name, "-tanH"], ["-tanH"],
                f"tcpscope sockets --netns {ns.name} -tanH")
        compare(ns, args, c, ["--netns", ns.name, "sockets", "-tuanH"], ["-tuanH"],
                f"tcpscope --netns {ns.name} sockets -tuanH")
        compare(ns, args, c, ["--netns", ns.name, "sockets", "-tlnH"], ["-tlnH"],
                f"tcpscope --netns {ns.name} sockets -tlnH")
        path = f"/proc/{tg_pid}/ns/net"
        compare(ns, args, c, ["--netns", path, "sockets", "-tanH"], ["-tanH"],
                f"tcpscope --netns {path} sockets -tanH")
        compare(ns, args, c, ["--netns", f"/var/run/netns/{ns.name}", "sockets", "-tanH"],
                ["-tanH"], f"tcpscope --netns /var/run/netns/{ns.name} sockets -tanH")

        # The root namespace must not see the table (proves --netns really switched above):
        # no row of the namespace's 4-tuples (ephemeral ports included) shows up there.
        ns_keys = {r.key() for r in nstest.parse_rows(nstest.ss(ns, ["-tanH"]), "ss")
                   if r.state not in ("LISTEN",)}
        p = run_root(args, ["sockets", "-tanH"])
        leaked = [r.raw for r in nstest.parse_rows(p.stdout, "root ns") if r.key() in ns_keys]
        c.check(p.returncode == 0 and not leaked,
                f"tcpscope sockets -tanH in the root namespace: rc {p.returncode}, shows the "
                f"namespace's rows {leaked[:3]}")

    missing = nstest.PREFIX + f"missing-{os.getpid()}"
    for extra, what in [
        (["--netns", missing, "sockets", "-tanH"], f"--netns {missing}"),
        (["sockets", "--netns", missing, "-tanH"], f"sockets --netns {missing}"),
        (["--netns", f"/var/run/netns/{missing}", "sockets"], "--netns /var/run/netns/<missing>"),
        (["--netns", "/proc/self/status", "sockets"], "--netns /proc/self/status (not a netns)"),
        (["--netns", missing, "summary", "--json"], f"--netns {missing} summary --json"),
    ]:
        try:
            p = run_root(args, extra)
        except nstest.TestFailure as e:
            c.check(False, f"{what}: {e} (must fail fast, never hang)")
            continue
        check_error(c, p, 1, what)

    for extra, what in [
        (["sockets", "--no-such-flag"], "sockets --no-such-flag"),
        (["sockets", "-tanH", "state", "nosuchstate"], "sockets state nosuchstate"),
        (["sockets", "-tanH", "exclude", "nosuchstate"], "sockets exclude nosuchstate"),
        (["sockets", "--source", "nosuchsource"], "sockets --source nosuchsource"),
        (["sockets", "--format", "xml"], "sockets --format xml"),
        (["nosuchcommand"], "nosuchcommand"),
        (["summary", "--no-such-flag"], "summary --no-such-flag"),
        (["--netns"], "--netns without a value"),
    ]:
        try:
            p = run_root(args, extra)
        except nstest.TestFailure as e:
            c.check(False, f"{what}: {e}")
            continue
        check_error(c, p, 2, what)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

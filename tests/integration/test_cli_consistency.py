#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Flags and messages mean the same in every command, and the agent ends on an output that can
never work again (docs/cli.md "Flags every command shares", docs/agent.md).

A table of cases, each run with a time limit: the exit status, and stderr holding exactly one
`tcpscope: error: ...` line, or, for the cases marked HINT, exactly that line plus one `hint:`
line (ss's and nstat's habits: `sockets -s`, `-K`, `-x`, `counters -d`). Nothing parser-raw
may show ("At Most", "Could not convert", "not expected", "required but received"), and no line
is longer than 300 characters (a 300-digit number is cut).

* --count: 0 and -1 refused by counters (2), doctor (3), the agent, top and watch (2); top's
  -d/--interval, --sort and filter, watch's --summary, state words and `sockets -E -l` refused
  with one line; --count without
  --interval refused; --interval 0 refused by all three, with one wording (a 300-digit value
  cut, the agent's 100 ms minimum named).
* --netns "": refused by sockets (2), doctor (3), the agent (2); --netns /etc/passwd: "not a
  network namespace" (1; doctor 3).
* --version of tcpscope and tcpscope-agent: the project() version of CMakeLists.txt, exit 0.
* the parser's wordings: an option given twice, a value that is not a number, a 300-digit
  number, an unexpected argument, an unknown option.
* `sockets dst nosuchhost.invalid`: a DNS failure, said as such (2).
* the agent's Prometheus bind: port 80 as an unprivileged user names CAP_NET_BIND_SERVICE; a
  port in use says so (1).
* `doctor --interval 1s --count 2 --json`: two lines, each one JSON object (JSON Lines).
* the agent: `--jsonl -` into a pipe whose reader has gone (`| head -1`): one error line and
  exit 1 within seconds, not a loop, not a silent death by SIGPIPE.
* the agent with `--statsd nosuchhost.invalid:8125`: keeps running, retries the lookup, counts
  each failure in tcpscope_agent_errors_total{kind="statsd_resolve"} (at least 2 in 8 s); and
  once the name appears in /etc/hosts (a bind-mounted copy in a mount namespace), datagrams
  arrive.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_harness as ah  # noqa: E402
import nstest  # noqa: E402

TIMEOUT = 15
RAW = ("At Most", "Could not convert", "not expected", "required but received", "not in range")
NOBODY = 65534
HINT = "hint"  # marks the cases whose stderr has two lines: the error and a hint


def project_version():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "CMakeLists.txt")) as f:
        m = re.search(r"project\(tcpscope VERSION ([0-9.]+)", f.read())
    return m.group(1)


def check_stderr(c, p, want_rc, what, hint=None, contains=None):
    lines = p.stderr.splitlines()
    c.check(p.returncode == want_rc,
            f"{what}: exit {p.returncode}, want {want_rc}; stderr: {p.stderr.strip()!r}")
    want_lines = 2 if hint else 1
    ok = (len(lines) == want_lines and lines[0].startswith("tcpscope: error: ")
          and (not hint or lines[1].startswith("hint: ")))
    c.check(ok, f"{what}: stderr must be {want_lines} line(s) (error{' + hint' if hint else ''}), "
            f"got {p.stderr!r}")
    if hint and len(lines) == 2:
        c.check(hint in lines[1], f"{what}: the hint should mention {hint!r}: {lines[1]!r}")
    for raw in RAW:
        c.check(raw not in p.stderr, f"{what}: the parser's raw wording {raw!r}: {p.stderr!r}")
    c.check(all(len(ln) <= 300 for ln in lines), f"{what}: a line over 300 characters")
    if contains:
        c.check(contains.lower() in p.stderr.lower(),
                f"{what}: stderr should say {contains!r}: {p.stderr!r}")


def run(cmd, user=None):
    def drop():
        os.setgroups([])
        os.setgid(user)
        os.setuid(user)
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                              preexec_fn=drop if user is not None else None)
    except subprocess.TimeoutExpired:
        raise nstest.TestFailure(f"timed out after {TIMEOUT}s: {' '.join(cmd)}")


def table_cases(c, tcpscope, agent):
    big = "9" * 300
    no_out = ["--statsd", "none", "--jsonl", "/dev/null"]
    # (argv, exit status, what, hint substring or None, substring the error must contain)
    cases = [
        # --count and --interval: one rule everywhere (0 refused, omit --count to run on).
        ([tcpscope, "counters", "--interval", "1s", "--count", "0"], 2, None, "--count"),
        ([tcpscope, "counters", "--interval", "1s", "--count", "-1"], 2, None, "--count"),
        ([tcpscope, "counters", "--count", "2"], 2, None, "needs --interval"),
        ([tcpscope, "counters", "--interval", "0"], 2, None, "--interval"),
        ([tcpscope, "doctor", "--interval", "1s", "--count", "0"], 3, None, "--count"),
        ([tcpscope, "doctor", "--interval", "1s", "--count", "-1"], 3, None, "--count"),
        ([tcpscope, "doctor", "--count", "2"], 3, None, "needs --interval"),
        ([tcpscope, "doctor", "--interval", "0"], 3, None, "--interval"),
        ([agent, "--count", "0"] + no_out, 2, None, "--count"),
        ([agent, "--count", "-1"] + no_out, 2, None, "--count"),
        ([agent, "--interval", "0"] + no_out, 2, None, "--interval"),
        ([tcpscope, "counters", "--interval", "1s", "--count", big], 2, None, "--count"),
        ([tcpscope, "doctor", "--interval", big], 3, None, "not a duration from 1ms to 24h"),
        ([agent, "--interval", "50ms"] + no_out, 2, None, "not a duration from 100ms to 24h"),
        ([tcpscope, "top", "-b", "--count", "0"], 2, None, "--count"),
        ([tcpscope, "top", "-b", "-n", "-1"], 2, None, "--count"),
        ([tcpscope, "top", "-b", "--interval", "0"], 2, None, "not a delay"),
        ([tcpscope, "top", "-b", "-d", big], 2, None, "-d"),
        ([tcpscope, "top", "-b", "--sort", "nosuch"], 2, None, "not a column"),
        ([tcpscope, "top", "-b", "dport", "=", ":x"], 2, None, "port"),
        ([tcpscope, "watch", "--count", "0"], 2, None, "--count"),
        ([tcpscope, "watch", "--summary", "0"], 2, None, "--summary"),
        ([tcpscope, "watch", "state", "established"], 2, None, "state words"),
        ([tcpscope, "sockets", "-E", "-l"], 2, None, "-E"),
        # --netns: an empty value; a file that is not a network namespace.
        ([tcpscope, "--netns", "", "sockets"], 2, None, "empty"),
        ([tcpscope, "sockets", "--netns="], 2, None, "--netns"),
        ([tcpscope, "--netns", "", "doctor"], 3, None, "empty"),
        ([agent, "--netns", ""] + no_out, 2, None, "empty"),
        ([tcpscope, "--netns", "/etc/passwd", "sockets"], 1, None, "not a network namespace"),
        ([tcpscope, "--netns", "/etc/passwd", "doctor"], 3, None, "not a network namespace"),
        ([tcpscope, "--netns", "/proc/self/ns/uts", "summary"], 1, None, "not a network"),
        # The parser's wordings, rewritten.
        ([tcpscope, "sockets", "--format", "json", "--format", "csv"], 2, None, "more than once"),
        ([tcpscope, "doctor", "--window", "1s", "--window", "2s"], 3, None, "more than once"),
        ([agent, "--max-listeners", "abc"] + no_out, 2, None, "not a whole number"),
        ([tcpscope, "sockets", "--format", "xml"], 2, None, "not one of"),
        ([agent, "--statsd-mtu", big] + no_out, 2, None, "out of range"),
        ([agent, "--max-listeners", "12x"] + no_out, 2, None, "not a whole number"),
        ([agent, "unexpected-word"] + no_out, 2, None, "unexpected argument"),
        ([tcpscope, "sysctl", "--no-such-flag"], 2, None, "unknown option"),
        ([tcpscope, "counters", "--json", "extra", "--no-such"], 2, None, "unknown option"),
        # Habits: HINT cases (two lines).
        ([tcpscope, "sockets", "-s"], 2, "tcpscope summary", "unknown option"),
        ([tcpscope, "summary", "-K"], 2, "sockets -K", "unknown option"),
        ([tcpscope, "sockets", "-d"], 2, "DCCP", "unknown option"),
        ([tcpscope, "summary", "--unix"], 2, "sockets -x", "unknown option"),
        # -K with neither a filter nor a state would destroy every socket: refused.
        ([tcpscope, "sockets", "-K"], 2, None, "filter"),
        ([tcpscope, "counters", "-d"], 2, "--interval", "unknown option"),
        # A DNS failure.
        ([tcpscope, "sockets", "dst", "nosuchhost.invalid"], 2, None, "resolve"),
    ]
    for argv, rc, hint, contains in cases:
        what = " ".join(os.path.basename(a) if i == 0 else (a[:20] + "..." if len(a) > 20 else a)
                        for i, a in enumerate(argv)) + (f" [{HINT}]" if hint else "")
        try:
            p = run(argv)
        except nstest.TestFailure as e:
            c.check(False, f"{what}: {e}")
            continue
        check_stderr(c, p, rc, what, hint=hint, contains=contains)


def version_cases(c, tcpscope, agent):
    v = project_version()
    for argv, want in [([tcpscope, "--version"], f"tcpscope {v}\n"),
                       ([agent, "--version"], f"tcpscope-agent {v}\n"),
                       ([tcpscope, "agent", "--version"], f"tcpscope-agent {v}\n")]:
        p = run(argv)
        c.check(p.returncode == 0 and p.stdout == want and p.stderr == "",
                f"{' '.join(argv)}: rc {p.returncode}, stdout {p.stdout!r}, want {want!r}; "
                f"stderr {p.stderr!r}")


def bind_cases(c, agent):
    # Port 80 as nobody: the privilege is named.
    p = run([agent, "--prometheus", "80", "--statsd", "none", "--once"], user=NOBODY)
    check_stderr(c, p, 1, "agent --prometheus 80 as nobody", contains="CAP_NET_BIND_SERVICE")
    # A port in use.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        p = run([agent, "--prometheus", str(port), "--statsd", "none", "--once"])
        check_stderr(c, p, 1, f"agent --prometheus {port} (in use)", contains="in use")
    finally:
        s.close()


def doctor_json_lines(c, tcpscope):
    p = run([tcpscope, "doctor", "--interval", "1s", "--count", "2", "--json"])
    c.check(p.returncode in (0, 1, 2), f"doctor --interval --json: exit {p.returncode}: "
            f"{p.stderr!r}")
    lines = p.stdout.splitlines()
    c.eq(len(lines), 2, "doctor --interval 1s --count 2 --json: lines (one object per report)")
    for ln in lines:
        try:
            obj = json.loads(ln)
            c.check(isinstance(obj, dict) and "findings" in obj,
                    f"doctor JSON line is not a report: {ln[:200]!r}")
        except ValueError as e:
            c.check(False, f"doctor JSON line does not parse ({e}): {ln[:200]!r}")


def agent_closed_pipe(c, agent):
    # `tcpscope-agent --jsonl - ... | head -1`: the reader takes one line and goes away.
    proc = subprocess.Popen([agent, "--jsonl", "-", "--statsd", "none", "--interval", "100ms",
                             "--log-level", "warn"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        c.check(first.startswith("{"), f"agent --jsonl -: first line {first[:100]!r}")
        proc.stdout.close()
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            c.check(False, "agent --jsonl - into a closed pipe: still running after 10 s "
                    "(it must end with an error)")
            return
        err = proc.stderr.read()
        c.check(rc == 1, f"agent --jsonl - into a closed pipe: exit {rc} (want 1; a negative "
                f"status is a death by signal); stderr {err!r}")
        check_stderr(c, subprocess.CompletedProcess([], rc, "", err), 1,
                     "agent --jsonl - | head -1", contains="broken pipe")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def agent_statsd_unresolvable(c, agent):
    port = ah.free_port()
    proc = subprocess.Popen([agent, "--statsd", "nosuchhost.invalid:8125", "--prometheus",
                             str(port), "--interval", "200ms", "--log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 8
        value = None
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if proc.poll() is not None:
                break
            try:
                text = ah.metrics_text(port)
            except Exception:  # noqa: BLE001 (not serving yet)
                continue
            m = re.search(r'^tcpscope_agent_errors_total\{kind="statsd_resolve"\} (\S+)$', text,
                          re.M)
            value = float(m.group(1)) if m else None
            if value is not None and value >= 2:
                break
        c.check(proc.poll() is None, "agent with an unresolvable statsd host exited "
                f"({proc.returncode})")
        c.check(value is not None and value >= 2,
                f"statsd lookups retried and counted: statsd_resolve errors {value}, want >= 2 "
                "within 8 s (retried with a 1 s, 2 s backoff)")
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        c.check(proc.returncode == 0, f"agent stops on SIGTERM: exit {proc.returncode}, {err!r}")


def agent_statsd_resolves_later(c, agent):
    """A name that appears in /etc/hosts after the start is picked up: the agent runs in a mount
    namespace whose /etc/hosts is a file of ours (bind-mounted), edited in place while it runs."""
    name = f"tcpscope-statsd-{os.getpid()}.test"
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(0.5)
    port = rx.getsockname()[1]
    hosts = f"/tmp/tcpscope-hosts-{os.getpid()}"
    with open("/etc/hosts") as src, open(hosts, "w") as dst:
        dst.write(src.read())
    script = f'mount --bind {hosts} /etc/hosts && exec "$0" "$@"'
    proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                             agent, "--statsd", f"{name}:{port}", "--jsonl", "/dev/null",
                             "--interval", "200ms", "--log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # a few ticks with the name unknown
        c.check(proc.poll() is None, f"agent with an unknown statsd name exited ({proc.poll()})")
        with open(hosts, "a") as f:  # in place: the bind mount keeps the inode
            f.write(f"127.0.0.1 {name}\n")
        got = b""
        deadline = time.monotonic() + 8  # the backoff is at most 4 s by then
        while time.monotonic() < deadline and not got:
            try:
                got = rx.recv(65536)
            except socket.timeout:
                pass
        c.check(b"|g" in got, f"statsd datagrams once {name} resolves: got {got[:100]!r} within "
                "8 s (the lookup must be retried, not fixed to unreachable)")
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        rx.close()
        os.unlink(hosts)


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    agent = ah.agent_path(args)
    table_cases(c, args.tcpscope, agent)
    version_cases(c, args.tcpscope, agent)
    bind_cases(c, agent)
    doctor_json_lines(c, args.tcpscope)
    agent_closed_pipe(c, agent)
    agent_statsd_unresolvable(c, agent)
    agent_statsd_resolves_later(c, agent)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

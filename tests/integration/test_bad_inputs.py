#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bad inputs, table-driven: every file tcpscope reads is bounded and every failure is one line.

Each case runs tcpscope (or tcpscope-agent) as a child with a time bound and a memory bound
(ru_maxrss of the child from wait4), and asserts the exit status, exactly one error line on stderr
(a `hint:` line may follow it; never raw bytes of the input), and that the stored files (the counters history) are unchanged
byte for byte. Inputs: /dev/zero, a 1 GiB sparse file, NUL bytes, binary garbage, a file over the
size limit, nonexistent paths, for the filter file (-F FILE and -F -), doctor --config,
tcpscope-agent --config, the counters history and --replay; --record to a nonexistent directory
and to /dev/full; counters with a proc root that has no counters. No network namespace is
needed: every case fails before (or instead of) reading sockets, except the --record ones,
which run in a fresh namespace. A valid 74 MiB record must replay within the memory bound.
"""
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

TIME_LIMIT_S = 10.0
RSS_LIMIT_KIB = 64 * 1024


GNU_TIME = "/usr/bin/time"


def run_bounded(argv, env=None, stdin_path=None, timeout=TIME_LIMIT_S):
    """Runs argv; returns (status, stdout, stderr, seconds, maxrss_kib). Kills it at timeout.

    The peak RSS a parent sees from wait4 includes what the child inherited at fork (a forked
    python is ~24 MiB before the exec), so when GNU time is there it runs the command: its own
    child starts from a small process and `%M` is the command's own peak. Without it, wait4's
    figure is used, an upper bound.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(prefix="rss-") as rss_file:
        use_time = os.access(GNU_TIME, os.X_OK)
        full = [GNU_TIME, "-f", "%M", "-o", rss_file.name] + argv if use_time else argv
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            t0 = time.monotonic()
            p = subprocess.Popen(full, stdin=stdin, stdout=out, stderr=err,
                                 env=dict(os.environ, **(env or {})), start_new_session=True)
            killed = False
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid != 0:
                    break
                if time.monotonic() - t0 > timeout:
                    os.killpg(p.pid, signal.SIGKILL)  # the session holds time and the command
                    killed = True
                    pid, status, ru = os.wait4(p.pid, 0)
                    break
                time.sleep(0.005)
            p.returncode = 0  # reaped here; keep Popen from waiting again
            elapsed = time.monotonic() - t0
        finally:
            if stdin_path:
                stdin.close()
        out.seek(0)
        err.seek(0)
        code = -1 if killed else os.waitstatus_to_exitcode(status)
        maxrss = ru.ru_maxrss
        if use_time and not killed:
            words = open(rss_file.name, "rb").read().split()
            if words and words[-1].isdigit():
                maxrss = int(words[-1])
        return code, out.read(), err.read(), elapsed, maxrss


def one_error_line(err):
    """One `tcpscope: error:` line; a `hint:` line may follow it (docs: the project's error
    style gives a hint where there is a useful next step, e.g. "remove it, or run with -r")."""
    lines = err.splitlines()
    if not err.endswith(b"\n") or not lines or not lines[0].startswith(b"tcpscope: error: "):
        return False
    return len(lines) == 1 or (len(lines) == 2 and lines[1].startswith(b"hint: "))


def fingerprint(path):
    """Size, mtime and a hash of the content (its first 4 MiB for a huge sparse file)."""
    if not os.path.exists(path):
        return None
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(4 << 20))
    return (st.st_size, st.st_mtime_ns, st.st_ino, h.hexdigest())


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def sparse(path, size=1 << 30):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def main():
    args = nstest.parse_args(__doc__)
    agent = os.path.join(os.path.dirname(args.tcpscope), "tcpscope-agent")
    c = nstest.Checker()
    c.check(os.access(agent, os.X_OK), f"{agent}: not found next to tcpscope")
    with tempfile.TemporaryDirectory(prefix="tcpscope-bad-") as tmp:
        def p(name):
            return os.path.join(tmp, name)

        garbage = bytes(range(256)) * 64
        write(p("nul.txt"), b"dport = :80\n# a comment\nor sport\x00\x00 = :22\n")
        write(p("garbage.bin"), garbage)
        write(p("big.txt"), b"# " + b"x" * (2 << 20) + b"\n")
        sparse(p("sparse.bin"))
        write(p("nul.toml"), b"interval = \"10s\"\n\x00\x01\x02\n")
        write(p("nul.conf"), b"accept-queue-fill = 80\n\x00\x01\x02\n")
        write(p("truncated.nl"), b"TSNL\x01\x02\x06\x00\xff\xff\xff\xff\x00\x10\x00\x00" + b"\x00" * 64)
        write(p("huge-frame.nl"), b"TSNL\x01\x02\x06\x00\xff\xff\xff\xff\xff\xff\xff\x7f")
        proc_empty = p("proc-empty")
        os.mkdir(proc_empty)

        # A valid history to protect: made by a real run against the live counters.
        hist = p("history")
        env_hist = {"TCPSCOPE_HISTORY": hist}
        code, _, err, _, _ = run_bounded([args.tcpscope, "counters", "-n"], env=env_hist)
        c.check(code == 0 and os.path.getsize(hist) > 0,
                f"counters -n could not make a history: {code} {err!r}")
        hist_nul = write(p("history-nul"), b"#kernel\nTcpInSegs  1 0.0\n\x00\x00\x00garbage\n")
        hist_big = sparse(p("history-big"))
        os.chmod(hist_big, 0o600)
        hist_garbage = write(p("history-garbage"), garbage)
        for h in (hist_nul, hist_garbage):
            os.chmod(h, 0o600)

        T = args.tcpscope
        A = agent
        # (name, argv, expected exit, env, stdin, files that must stay unchanged)
        cases = [
            ("filter /dev/zero", [T, "sockets", "-F", "/dev/zero"], 1, None, None, []),
            ("filter sparse 1GiB", [T, "sockets", "-F", p("sparse.bin")], 1, None, None, []),
            ("filter over the limit", [T, "sockets", "-F", p("big.txt")], 1, None, None, []),
            ("filter NUL bytes", [T, "sockets", "-F", p("nul.txt")], 1, None, None, []),
            ("filter garbage", [T, "sockets", "-F", p("garbage.bin")], 1, None, None, []),
            ("filter nonexistent", [T, "sockets", "-F", p("none")], 1, None, None, []),
            ("filter stdin /dev/zero", [T, "sockets", "-F", "-"], 1, None, "/dev/zero", []),
            ("filter stdin NUL", [T, "sockets", "-F", "-"], 1, None, p("nul.txt"), []),
            ("summary filter /dev/zero", [T, "summary", "-F", "/dev/zero"], 1, None, None, []),
            ("summary filter garbage", [T, "summary", "-F", p("garbage.bin")], 1, None, None,
             []),
            ("doctor config /dev/zero", [T, "doctor", "--config", "/dev/zero"], 3, None, None,
             []),
            ("doctor config sparse", [T, "doctor", "--config", p("sparse.bin")], 3, None, None,
             []),
            ("doctor config NUL", [T, "doctor", "--config", p("nul.conf")], 3, None, None, []),
            ("doctor config garbage", [T, "doctor", "--config", p("garbage.bin")], 3, None, None,
             []),
            ("doctor config nonexistent", [T, "doctor", "--config", p("none")], 3, None, None,
             []),
            ("agent config /dev/zero", [A, "--config", "/dev/zero"], 2, None, None, []),
            ("agent config sparse", [A, "--config", p("sparse.bin")], 2, None, None, []),
            ("agent config NUL", [A, "--config", p("nul.toml")], 2, None, None, []),
            ("agent config garbage", [A, "--config", p("garbage.bin")], 2, None, None, []),
            ("agent config nonexistent", [A, "--config", p("none")], 2, None, None, []),
            ("replay /dev/zero", [T, "sockets", "--replay", "/dev/zero"], 1, None, None, []),
            ("replay sparse 1GiB", [T, "sockets", "--replay", p("sparse.bin")], 1, None, None,
             []),
            ("replay garbage", [T, "sockets", "--replay", p("garbage.bin")], 1, None, None, []),
            ("replay truncated frame", [T, "sockets", "--replay", p("truncated.nl")], 1, None,
             None, []),
            ("replay 2 GiB frame", [T, "sockets", "--replay", p("huge-frame.nl")], 1, None, None,
             []),
            ("replay nonexistent", [T, "summary", "--replay", p("none")], 1, None, None, []),
            ("counters proc root without counters",
             [T, "counters", "--proc-root", proc_empty], 1, env_hist, None, [hist]),
            ("counters proc root nonexistent",
             [T, "counters", "--proc-root", p("none")], 1, env_hist, None, [hist]),
            ("counters -r, proc root nonexistent",
             [T, "counters", "-r", "--proc-root", p("none")], 1, env_hist, None, [hist]),
            ("counters history NUL", [T, "counters"], 1, {"TCPSCOPE_HISTORY": hist_nul}, None,
             [hist_nul]),
            ("counters history garbage", [T, "counters"], 1,
             {"TCPSCOPE_HISTORY": hist_garbage}, None, [hist_garbage]),
            ("counters history sparse 1GiB", [T, "counters"], 1,
             {"TCPSCOPE_HISTORY": hist_big}, None, [hist_big]),
            ("counters history /dev/zero", [T, "counters"], 1,
             {"TCPSCOPE_HISTORY": "/dev/zero"}, None, []),
            ("counters history in a nonexistent dir", [T, "counters"], 1,
             {"TCPSCOPE_HISTORY": p("none/history")}, None, []),
        ]
        results = []
        for name, argv, want, env, stdin, keep in cases:
            before = [fingerprint(f) for f in keep]
            code, out, err, secs, rss = run_bounded(argv, env=env, stdin_path=stdin)
            results.append((name, code, secs, rss))
            nstest.log(f"  {name}: exit {code}, {secs * 1000:.0f} ms, maxrss {rss} KiB")
            c.eq(code, want, f"{name}: exit status (stderr {err[:300]!r})")
            c.check(secs < TIME_LIMIT_S, f"{name}: took {secs:.1f}s")
            c.check(rss < RSS_LIMIT_KIB, f"{name}: maxrss {rss} KiB")
            c.check(one_error_line(err), f"{name}: want one line on stderr, got {err[:300]!r}")
            c.check(all(0x20 <= b < 0x7f or b in (0x09, 0x0a) for b in err),
                    f"{name}: raw bytes on stderr: {err[:300]!r}")
            c.check(b"\x00" not in out, f"{name}: NUL bytes on stdout")
            for f, fp in zip(keep, before):
                c.eq(fingerprint(f), fp, f"{name}: {f} changed")

        # --record: the output file is the user's problem, never a reason to switch sources.
        with nstest.netns("badinputs") as ns:
            for name, target in [("record to a nonexistent directory", p("none/x.nl")),
                                 ("record to /dev/full", "/dev/full")]:
                argv = ["ip", "netns", "exec", ns.name, T, "sockets", "-tan", "--record", target]
                code, out, err, secs, rss = run_bounded(argv)
                results.append((name, code, secs, rss))
                c.eq(code, 1, f"{name}: exit status (stderr {err[:300]!r})")
                c.check(one_error_line(err), f"{name}: want one line, got {err!r}")
                c.check(b"record file" in err, f"{name}: the error must name the record file: "
                        f"{err!r}")
            # A good record replays, and its host data comes with it.
            rec = p("good.nl")
            code, _, err, _, _ = run_bounded(["ip", "netns", "exec", ns.name, T, "sockets",
                                              "-tan", "--record", rec])
            c.eq(code, 0, f"record to a file: exit status ({err!r})")
            code, out, err, _, _ = run_bounded([T, "summary", "--json", "--replay", rec])
            c.eq(code, 0, f"summary --replay of a new record ({err!r})")
            c.check(b'"host_data": "record"' in out, f"summary --replay: host data {out[:400]!r}")
            # The first half of a good record: a frame cut short.
            with open(rec, "rb") as f:
                data = f.read()
            write(p("half.nl"), data[: len(data) // 2 + 3])
            code, _, err, _, _ = run_bounded([T, "sockets", "--replay", p("half.nl")])
            c.eq(code, 1, f"replay of half a record ({err!r})")
            c.check(one_error_line(err), f"replay of half a record: {err!r}")
        # A large valid record (a fixture's frames repeated to ~74 MiB) replays in constant
        # memory: it is streamed, never held whole.
        fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                               "nl", "listeners.nl")
        with open(fixture, "rb") as f:
            frames = f.read()
        big = p("big.nl")
        with open(big, "wb") as f:
            for _ in range((74 << 20) // len(frames)):
                f.write(frames)
        # Every datagram is read and decoded; no socket matches (the file holds listeners only),
        # so what is measured is the reader, not a census of 480k listeners.
        code, out, err, secs, rss = run_bounded(
            [T, "sockets", "-tnH", "state", "established", "--replay", big], timeout=60)
        what = "sockets --replay of a 74 MiB record"
        results.append((what, code, secs, rss))
        c.eq(code, 0, f"{what} ({err[:300]!r})")
        c.eq(out, b"", f"{what}: output")
        c.check(rss < RSS_LIMIT_KIB, f"{what}: maxrss {rss} KiB")
        os.unlink(big)
        for name, code, secs, rss in results:
            print(f"  {name:<45} exit {code:>2} {secs * 1000:7.1f} ms {rss:>7} KiB")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

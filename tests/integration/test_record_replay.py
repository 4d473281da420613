#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`--record FILE` and `--source replay --replay FILE` round trip, byte for byte.

On the standard table: `tcpscope sockets FLAGS --record F` prints the live table and writes the
raw dump to F; `tcpscope sockets FLAGS --source replay --replay F` must print exactly the same
bytes (the replay decodes the same messages, timers included). Done for plain, -tuan and
detail (-eimo) listings inside the namespace, and the plain one is replayed again from the root
namespace (a replay needs no live sockets). The recorded table must be the namespace's (its rows
equal ss's). A missing replay file exits 1 with one error line.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

FLAG_SETS = [
    ["-tanH"],
    ["-tuanH"],
    ["-tlnH"],
    ["-tanH", "state", "syn-recv"],
    ["-tanH", "-eimo"],
    ["-tanH", "-i", "-m"],
    ["-tan"],  # with the header line
]


def first_diff(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else "<missing>"
        y = bl[i] if i < len(bl) else "<missing>"
        if x != y:
            return f"line {i + 1}:\n    recorded: {x!r}\n    replayed: {y!r}"
    return "trailing bytes differ" if a != b else ""


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with tempfile.TemporaryDirectory(prefix="tcpscope-it-") as tmp, \
            nstest.netns("replay") as ns:
        _, expected = nstest.standard_table(ns, args.tablegen)
        nstest.check_expected_table(ns, expected)
        for i, flags in enumerate(FLAG_SETS):
            f = os.path.join(tmp, f"dump{i}.nl")
            what = " ".join(flags)
            rec = nstest.tcpscope(ns, args.tcpscope, ["sockets"] + flags + ["--record", f],
                                  check=False)
            if not c.check(rec.returncode == 0, f"sockets {what} --record exited "
                           f"{rec.returncode}: {rec.stderr.strip()}"):
                continue
            if not c.check(os.path.exists(f) and os.path.getsize(f) > 0,
                           f"sockets {what} --record {f}: no file or empty"):
                continue
            rep = nstest.tcpscope(ns, args.tcpscope,
                                  ["sockets"] + flags + ["--source", "replay", "--replay", f],
                                  check=False)
            if not c.check(rep.returncode == 0, f"sockets {what} --source replay exited "
                           f"{rep.returncode}: {rep.stderr.strip()}"):
                continue
            c.check(rec.stdout == rep.stdout,
                    f"sockets {what}: replay output differs from the recorded run: "
                    f"{first_diff(rec.stdout, rep.stdout)}")
            c.check(rec.stdout.strip() != "", f"sockets {what} --record printed nothing")
            if flags == ["-tanH"]:
                # The recording is of this namespace's table: same rows as ss.
                d = nstest.diff_rows(nstest.parse_rows(rec.stdout, "recorded"),
                                     nstest.parse_rows(nstest.ss(ns, flags), "ss"))
                c.check(not d, f"sockets -tanH --record output differs from ss -tanH:\n{d}")
                # Replay from the root namespace: no live access needed, same bytes.
                root = nstest.run([args.tcpscope, "sockets"] + flags +
                                  ["--source", "replay", "--replay", f], check=False)
                c.check(root.returncode == 0 and root.stdout == rec.stdout,
                        f"replay of {f} from the root namespace: rc {root.returncode}, "
                        f"{first_diff(rec.stdout, root.stdout) or root.stderr.strip()}")

        missing = os.path.join(tmp, "no-such-dump.nl")
        p = nstest.run([args.tcpscope, "sockets", "-tanH", "--source", "replay", "--replay",
                        missing], check=False, timeout=10)
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        c.check(p.returncode == 1 and 1 <= len(lines) <= 2
                and lines[0].startswith("tcpscope: error:"),
                f"replay of a missing file: want exit 1 and one 'tcpscope: error:' line, got "
                f"rc {p.returncode}, stderr {p.stderr!r}")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope sockets` vs `ss` 6.1 on the standard table (nstest.standard_table), run inside the
namespace. Columns Netid, State, Recv-Q, Send-Q, Local, Peer are compared exactly as sorted
multisets for each flag set; -e/-o/-m/-i details are compared token by token on matching rows.

Documented differences normalised (docs/ss-differences.md): ss 6.1 right-pads rows (stripped),
prints a `Process` header without -p (tests use -H), prints timer expiries `9.373ms` where
tcpscope prints `9.373sec` (expiries are parsed, not compared as text), and tcpscope may print
the ≥6.6 tcp_info fields `rcv_wnd`/`rehash` that ss 6.1 lacks.

Layout: for a few flag sets the rows (trailing spaces stripped, timer text masked, the 6.1
`Process` header word dropped) must equal ss's byte for byte, so column widths and alignment
follow ; and no tcpscope line may end in spaces (its documented difference).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

TABLE_FLAGS = [
    ["-tuanH"],
    ["-tanH"],
    ["-uanH"],
    ["-tnH"],            # default states: no LISTEN, TIME-WAIT, SYN-RECV
    ["-tunH"],
    ["-tlnH"],
    ["-ulnH"],
    ["-4", "-tanH"],
    ["-6", "-tanH"],
    ["-4", "-uanH"],
    ["-6", "-uanH"],
    ["-tanH", "state", "established"],
    ["-tanH", "state", "listening"],
    ["-tanH", "state", "time-wait"],
    ["-tanH", "state", "syn-recv"],
    ["-tanH", "state", "syn-sent"],
    ["-tanH", "exclude", "established"],
    ["-tanH", "state", "connected"],
    ["-tanH", "state", "bucket"],
    ["-tanH", "state", "fin-wait-2", "state", "close-wait"],
    ["-tanH", "state", "synchronized"],
    ["-uanH", "state", "established"],
]

# Exact row counts ss must show for some of the flag sets (the table is known), so a tcpscope
# that agrees with a broken table cannot pass silently.
EXPECTED_ROWS = {
    ("-tanH",): 4 + 3 + 27 + 10 + 3 + 3 + 1 + 1 + 1,
    ("-tlnH",): 7,
    ("-ulnH",): 4,
    ("-tanH", "state", "syn-recv"): 3,
    ("-tanH", "state", "time-wait"): 3,
    ("-tanH", "state", "bucket"): 6,
}

# tcp_info keys a newer tcpscope may print that ss 6.1 never does.
INFO_EXTRA_OK = {"rcv_wnd", "rehash", "usec_ts"}
INFO_STABLE = ["wscale", "mss", "pmtu", "rcvmss", "advmss", "cwnd"]
FLAG_WORDS = {"ts", "sack", "ecn", "ecnseen", "fastopen", "usec_ts", "app_limited"}


def compare_table(ns, args, c, flags):
    def once():
        want = nstest.parse_rows(nstest.ss(ns, flags), f"ss {' '.join(flags)}")
        got = nstest.parse_rows(
            nstest.tcpscope(ns, args.tcpscope, ["sockets"] + flags).stdout,
            f"tcpscope sockets {' '.join(flags)}")
        once.want = want
        return nstest.diff_rows(got, want)

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"sockets {' '.join(flags)} differs from ss:\n{diff}")
    n = EXPECTED_ROWS.get(tuple(flags))
    if n is not None:
        c.eq(len(once.want), n, f"ss {' '.join(flags)} row count (table sanity)")


def paired(ns, args, flags):
    """Runs both tools; returns (pairs [(key, ss_row, tcpscope_row)], problems text)."""
    want = nstest.parse_rows(nstest.ss(ns, flags), f"ss {' '.join(flags)}")
    got = nstest.parse_rows(nstest.tcpscope(ns, args.tcpscope, ["sockets"] + flags).stdout,
                            f"tcpscope sockets {' '.join(flags)}")
    problems = nstest.diff_rows(got, want)
    wi = nstest.index_rows(want, "ss")
    gi = nstest.index_rows(got, "tcpscope")
    pairs = [(k, wi[k], gi[k]) for k in sorted(wi, key=str) if k in gi]
    return pairs, problems


def row_name(k):
    return " ".join(str(x) for x in k if x is not None)


def check_e(ns, args, c):
    flags = ["-tanH", "-e"]

    def once():
        pairs, problems = paired(ns, args, flags)
        out = [problems] if problems else []
        for k, w, g in pairs:
            wkv, _ = nstest.detail_items(w.details)
            gkv, _ = nstest.detail_items(g.details)
            for key in ("uid", "ino", "sk", "v6only", "cgroup", "fwmark"):
                if wkv.get(key) != gkv.get(key):
                    out.append(f"  {row_name(k)}: {key}: ss {wkv.get(key)!r}, "
                               f"tcpscope {gkv.get(key)!r}")
            for key in ("timer",):
                wt = nstest.parse_timer(wkv[key]) if key in wkv else None
                gt = nstest.parse_timer(gkv[key]) if key in gkv else None
                if (wt and wt[0], wt and wt[2]) != (gt and gt[0], gt and gt[2]):
                    out.append(f"  {row_name(k)}: timer: ss {wkv.get(key)!r}, "
                               f"tcpscope {gkv.get(key)!r}")
            if nstest.shutdown_mark(w.details) != nstest.shutdown_mark(g.details):
                out.append(f"  {row_name(k)}: shutdown mark: ss {nstest.shutdown_mark(w.details)!r}, "
                           f"tcpscope {nstest.shutdown_mark(g.details)!r}")
        once.pairs = pairs
        return "\n".join(out)

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"sockets -tanH -e details differ:\n{diff}")
    # The table has these, so the comparison above really covered them.
    toks = [t for _, w, _ in once.pairs for t in w.details]
    c.check(any(t == "fwmark:0x42" for t in toks), "ss -e shows no fwmark:0x42 (table sanity)")
    c.check(any(t == "uid:1234" for t in toks), "ss -e shows no uid:1234 (table sanity)")
    c.check(any(t == "<--" for t in toks), "ss -e shows no <-- shutdown mark (table sanity)")


def check_o(ns, args, c):
    flags = ["-tanH", "-o"]

    def once():
        pairs, problems = paired(ns, args, flags)
        out = [problems] if problems else []
        names = {}
        for k, w, g in pairs:
            wkv, _ = nstest.detail_items(w.details)
            gkv, _ = nstest.detail_items(g.details)
            if ("timer" in wkv) != ("timer" in gkv):
                out.append(f"  {row_name(k)}: timer: ss {wkv.get('timer')!r}, "
                           f"tcpscope {gkv.get('timer')!r}")
                continue
            if "timer" not in wkv:
                continue
            wt, gt = nstest.parse_timer(wkv["timer"]), nstest.parse_timer(gkv["timer"])
            if gt is None:
                out.append(f"  {row_name(k)}: tcpscope timer does not parse: {gkv['timer']!r}")
                continue
            if (wt[0], wt[2]) != (gt[0], gt[2]):
                out.append(f"  {row_name(k)}: timer name/count: ss {wkv['timer']}, "
                           f"tcpscope {gkv['timer']}")
            we, ge = nstest.parse_expiry(wt[1]), nstest.parse_expiry(gt[1])
            if ge is None:
                out.append(f"  {row_name(k)}: tcpscope expiry does not parse: {gt[1]!r}")
            elif gt[1].endswith("ms") and "." in gt[1]:
                out.append(f"  {row_name(k)}: tcpscope expiry uses the ss 6.1 `ms` quirk: {gt[1]!r}")
            elif we is not None and abs(we[0] - ge[0]) > we[1] + ge[1] + 1500:
                out.append(f"  {row_name(k)}: expiry far apart: ss {wt[1]!r}, tcpscope {gt[1]!r}")
            names[wt[0]] = names.get(wt[0], 0) + 1
        once.names = names
        return "\n".join(out)

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"sockets -tanH -o timers differ:\n{diff}")
    # timewait x3, keepalive x1, on: 3 SYN-RECV + 1 SYN-SENT.
    c.eq(once.names, {"timewait": 3, "keepalive": 1, "on": 4}, "ss -o timer counts (table sanity)")


def check_m(ns, args, c):
    flags = ["-tanH", "-m"]

    def once():
        pairs, problems = paired(ns, args, flags)
        out = [problems] if problems else []
        for k, w, g in pairs:
            wkv, _ = nstest.detail_items(w.details)
            gkv, _ = nstest.detail_items(g.details)
            ws = nstest.parse_skmem(wkv["skmem"]) if "skmem" in wkv else None
            gs = nstest.parse_skmem(gkv["skmem"]) if "skmem" in gkv else None
            if ws is None and gs is None:
                continue
            if ws is None or gs is None or list(ws) != list(gs):
                out.append(f"  {row_name(k)}: skmem keys: ss {wkv.get('skmem')!r}, "
                           f"tcpscope {gkv.get('skmem')!r}")
            elif ws != gs:
                out.append(f"  {row_name(k)}: skmem values: ss {wkv['skmem']}, "
                           f"tcpscope {gkv['skmem']}")
        once.count = sum(1 for _, w, _ in pairs if any(t.startswith("skmem:") for t in w.details))
        return "\n".join(out)

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"sockets -tanH -m differs:\n{diff}")
    # Full sockets only: TIME-WAIT and SYN-RECV have no meminfo.
    c.eq(once.count, 7 + 37 + 1 + 1 + 1, "ss -m rows with skmem (table sanity)")


def check_i(ns, args, c, flags):
    """-i alone, and -i with -o, where ss adds the ts/sack words."""

    def once():
        pairs, problems = paired(ns, args, flags)
        out = [problems] if problems else []
        for k, w, g in pairs:
            wkv, wbare = nstest.detail_items(w.details)
            gkv, gbare = nstest.detail_items(g.details)
            missing = set(wkv) - set(gkv)
            extra = set(gkv) - set(wkv) - INFO_EXTRA_OK
            if missing or extra:
                out.append(f"  {row_name(k)}: -i keys: missing {sorted(missing)}, "
                           f"unexpected {sorted(extra)}\n    ss:       {w.raw}\n"
                           f"    tcpscope: {g.raw}")
            for key in INFO_STABLE:
                if key in wkv and wkv.get(key) != gkv.get(key):
                    out.append(f"  {row_name(k)}: {key}: ss {wkv[key]!r}, tcpscope {gkv.get(key)!r}")
            if w.state == "LISTEN":
                if wkv.get("unacked") != gkv.get("unacked"):
                    out.append(f"  {row_name(k)}: unacked: ss {wkv.get('unacked')!r}, "
                               f"tcpscope {gkv.get('unacked')!r}")
            # congestion algorithm name (and app_limited etc.): the bare words
            wset = sorted(set(wbare) - {"app_limited"})
            gset = sorted(set(gbare) - {"app_limited"})
            if wset != gset:
                out.append(f"  {row_name(k)}: bare words: ss {wset}, tcpscope {gset}")
        once.pairs = pairs
        return "\n".join(out)

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"sockets {' '.join(flags)} differs:\n{diff}")
    # The 7006 listener: 5 in the accept queue -> unacked:5; the 7001 pair rows carry wscale.
    l7006 = [w for k, w, _ in once.pairs if w.local == "127.0.0.1:7006" and w.state == "LISTEN"]
    c.check(len(l7006) == 1 and "unacked:5" in l7006[0].details,
            f"ss -i 127.0.0.1:7006 listener lacks unacked:5 (table sanity): {l7006}")
    if "-o" in flags:
        c.check(any("ts" in w.details and "sack" in w.details for _, w, _ in once.pairs),
                f"ss {' '.join(flags)} shows no ts/sack words (table sanity)")


LAYOUT_FLAGS = [
    ["-tan"],
    ["-tuan"],
    ["-tanH"],
    ["-tuanH"],
    ["-tlnH"],
    ["-ulnH"],
    ["-tanH", "state", "established"],
    ["-tanH", "-e"],
]
TIMER_TOKEN = re.compile(r"timer:\([^)]*\)")


def records(text, is_ss):
    """Sorted records of rstripped lines; a -i/-m continuation stays with its row; timer
    contents are masked (they tick between the two runs); the 6.1 `Process` header is removed."""
    recs = []
    for i, line in enumerate(text.splitlines()):
        line = TIMER_TOKEN.sub("timer:(X)", line.rstrip())
        if is_ss and i == 0 and line.startswith(("State", "Netid", "Recv-Q")):
            line = re.sub(r" ?Process$", "", line)
        if line.startswith("\t") or (not line and recs):
            recs[-1] += "\n" + line
        else:
            recs.append(line)
    return sorted(recs)


def check_no_trailing(ns, args, c, flags):
    """tcpscope documents one difference from ss 6.1 here: no trailing spaces on any line."""
    out = nstest.tcpscope(ns, args.tcpscope, ["sockets"] + flags).stdout
    bad = [ln for ln in out.splitlines() if ln != ln.rstrip(" ")]
    c.check(not bad, f"sockets {' '.join(flags)}: {len(bad)} line(s) end in spaces, e.g. "
            f"{bad[:2]!r}")


def check_layout(ns, args, c, flags):
    """Byte layout after stripping trailing spaces: column widths, alignment and padding follow
    ss 6.1, so tcpscope output can replace ss output in scripts."""
    def once():
        want = records(nstest.ss(ns, flags), True)
        out = nstest.tcpscope(ns, args.tcpscope, ["sockets"] + flags).stdout
        got = records(out, False)
        problems = []
        if got != want:
            from collections import Counter
            g, w = Counter(got), Counter(want)
            for x in sorted((w - g).elements())[:4]:
                problems.append(f"  ss:       {x!r}")
            for x in sorted((g - w).elements())[:4]:
                problems.append(f"  tcpscope: {x!r}")
        return "\n".join(problems)

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"sockets {' '.join(flags)} layout differs from ss 6.1 "
            f"(trailing spaces stripped):\n{diff}")


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("table") as ns:
        _, expected = nstest.standard_table(ns, args.tablegen)
        nstest.check_expected_table(ns, expected)
        for flags in TABLE_FLAGS:
            compare_table(ns, args, c, flags)
        for flags in LAYOUT_FLAGS:
            check_layout(ns, args, c, flags)
        for flags in LAYOUT_FLAGS + [["-tanH", "-i"], ["-tanH", "-m"], ["-tanH", "-o"]]:
            check_no_trailing(ns, args, c, flags)
        check_e(ns, args, c)
        check_o(ns, args, c)
        check_m(ns, args, c)
        check_i(ns, args, c, ["-tanH", "-i"])
        check_i(ns, args, c, ["-tanH", "-i", "-o"])
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

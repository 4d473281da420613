#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope sockets --source proc` lists the same sockets as the netlink source (and as ss).

On the standard table, for each flag set, rows of `--source proc` and of the default netlink
source are compared on Netid, State, Recv-Q, Local, Peer, and Send-Q except for LISTEN rows
(/proc/net/tcp has no backlog, so a listener's Send-Q is 0 there). What /proc cannot know is
normalised on both sides: the `%IFNAME` suffix of SO_BINDTODEVICE sockets, and v6only, which
decides between `*` and `[::]` for an IPv6 wildcard address. The netlink side is also checked
against ss, so a shared bug in both sources cannot pass.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

FLAG_SETS = [
    ["-tuanH"],
    ["-tanH"],
    ["-uanH"],
    ["-tnH"],
    ["-tlnH"],
    ["-ulnH"],
    ["-4", "-tanH"],
    ["-6", "-tanH"],
    ["-tanH", "state", "syn-recv"],
    ["-tanH", "state", "time-wait"],
    ["-tanH", "state", "established"],
    ["-tanH", "exclude", "established"],
]


def norm_addr(tok):
    host, _dev, port = nstest.split_addr(tok)
    if host == "*":
        host = "::"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def norm(rows):
    out = []
    for r in rows:
        listen = r.state == "LISTEN"
        out.append((r.netid, r.state, r.recvq, None if listen else r.sendq,
                    norm_addr(r.local), norm_addr(r.peer)))
    return sorted(out)


def listen_only(flags):
    return "-tlnH" in flags or "listening" in flags


def multiset_diff(got, want, got_name, want_name):
    from collections import Counter
    g, w = Counter(got), Counter(want)
    lines = [f"  only in {want_name}: {nstest.fmt_cols(x)}" for x in sorted((w - g).elements())]
    lines += [f"  only in {got_name}: {nstest.fmt_cols(x)}" for x in sorted((g - w).elements())]
    return "\n".join(lines)


def check(ns, args, c, flags):
    def once():
        nl_text = nstest.tcpscope(ns, args.tcpscope, ["sockets"] + flags).stdout
        pr = nstest.tcpscope(ns, args.tcpscope, ["sockets", "--source", "proc"] + flags,
                             check=False)
        if pr.returncode != 0:
            return f"  --source proc exited {pr.returncode}: {pr.stderr.strip()}"
        nl = nstest.parse_rows(nl_text, "netlink source")
        proc = nstest.parse_rows(pr.stdout, "proc source")
        out = multiset_diff(norm(proc), norm(nl), "proc source", "netlink source")
        # A state-filtered listing of a single state hides the State column in both; with -l
        # the proc source must still print the backlog-less Send-Q as 0.
        if listen_only(flags):
            bad = [r.raw for r in proc if r.sendq != 0]
            if bad:
                out = "\n".join(x for x in (out, "  proc source LISTEN rows with Send-Q != 0 "
                                 "(ss's /proc fallback prints 0): " + "; ".join(bad)) if x)
        once.n = len(nl)
        return out

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"sockets --source proc {' '.join(flags)} differs from netlink:\n{diff}")


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("proc") as ns:
        _, expected = nstest.standard_table(ns, args.tablegen)
        nstest.check_expected_table(ns, expected)
        # The netlink source must itself match ss, or agreeing with it proves nothing.
        want = nstest.parse_rows(nstest.ss(ns, ["-tuanH"]), "ss -tuanH")
        got = nstest.parse_rows(nstest.tcpscope(ns, args.tcpscope, ["sockets", "-tuanH"]).stdout,
                                "tcpscope -tuanH")
        d = nstest.diff_rows(got, want)
        c.check(not d, f"netlink source differs from ss -tuanH (see test_sockets_table):\n{d}")
        c.eq(len(want), sum(expected.values()), "ss -tuanH rows (table sanity)")
        for flags in FLAG_SETS:
            check(ns, args, c, flags)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

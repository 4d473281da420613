#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope sockets` for raw (-w), packet (-0) and MPTCP (-M) sockets against ss 6.1 in a fresh
namespace (familygen.py), and the one-line message for tables whose diag handler the kernel
lacks (SCTP, vsock, TIPC, XDP here).

Raw sockets come from /proc/net/raw{,6} on kernels without raw_diag, as in ss. MPTCP is skipped,
saying so, when net.mptcp.enabled is not 1. ss 6.1 prints MPTCP's write_seq/snd_una/rcv_nxt in
hex and none of the fields added in 6.5+; tcpscope prints decimal (as ss >= 6.5) and every field
(docs/ss-differences.md): the -i items ss shows are compared as numbers. `-K -M` resets the connections' TCP subflows."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

GEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "familygen.py")
HEX_IN_61 = {"write_seq", "snd_una", "rcv_nxt"}


def lines(text):
    return sorted(line.rstrip(" ") for line in text.splitlines() if line.strip())


def same(ns, args, c, flags):
    want = lines(nstest.ss(ns, ["-H"] + flags))
    got = lines(nstest.tcpscope(ns, args.tcpscope, ["sockets", "-H"] + flags).stdout)
    c.check(got == want and want, f"sockets {' '.join(flags)} differs from ss:\n  ss:       "
            f"{want}\n  tcpscope: {got}")


def mptcp(ns, args, c):
    if nstest.run(["sysctl", "-n", "net.mptcp.enabled"], check=False).stdout.strip() != "1":
        print("SKIP MPTCP: net.mptcp.enabled is not 1 on this kernel", flush=True)
        return
    ns.tablegen("python3", [GEN, "mptcp"])
    for flags in (["-Man"], ["-Manm"], ["-Mane"], ["-Mlan"], ["-M"]):
        same(ns, args, c, flags)
    want = nstest.parse_rows(nstest.ss(ns, ["-ManiH"]), "ss -Mani")
    got = nstest.parse_rows(nstest.tcpscope(ns, args.tcpscope, ["sockets", "-ManiH"]).stdout,
                            "tcpscope -Mani")
    c.eq(len(got), len(want), "-Mani rows")
    wi, gi = nstest.index_rows(want, "ss"), nstest.index_rows(got, "tcpscope")
    c.eq(sorted(gi, key=str), sorted(wi, key=str), "-Mani row keys")
    for k in wi:
        if k not in gi:
            continue
        wkv, wbare = nstest.detail_items(wi[k].details)
        gkv, gbare = nstest.detail_items(gi[k].details)
        c.eq(gbare, wbare, f"-Mani {k}: flags")
        for key, v in wkv.items():
            want_v = int(v, 16) if key in HEX_IN_61 or key == "token" else v
            got_v = gkv.get(key)
            if key == "token":
                got_v = int(got_v, 16) if got_v else None
            elif key in HEX_IN_61:
                got_v = int(got_v) if got_v else None
            c.eq(got_v, want_v, f"-Mani {k}: {key}")
        if wi[k].state == "ESTAB":
            c.check("bytes_sent" in gkv or "bytes_received" in gkv,
                    f"-Mani {k}: the 6.5+ byte counters are printed: {gi[k].details}")
    js = nstest.read_json(nstest.tcpscope(ns, args.tcpscope, ["sockets", "-Mani", "--json"]).stdout,
                          "json")
    c.eq(sorted(o["protocol"] for o in js), ["mptcp"] * len(want), "JSON protocol")
    c.check(all("mptcp_info" in o for o in js if o["state"] == "established"),
            "JSON mptcp_info on every connection")
    # -K on MPTCP connections resets their TCP subflows (the kernel finds a subflow by its
    # 4-tuple; the MPTCP socket's cookie is not the subflow's).
    subflows = [r for r in nstest.ss(ns, ["-tanH"]).splitlines() if ":7300" in r and "ESTAB" in r]
    c.eq(len(subflows), 4, "TCP subflows of the MPTCP connections before -K")
    p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-K", "-MnH", "dport", "=", ":7300"],
                        check=False)
    c.eq(p.returncode, 0, f"-K -M exit status ({p.stderr!r})")
    c.eq(len(p.stdout.splitlines()), 2, "-K -M prints the two client connections")
    left = [r for r in nstest.ss(ns, ["-tanH"]).splitlines() if ":7300" in r and "ESTAB" in r]
    c.eq(left, [], "no TCP subflow to :7300 left after -K -M")


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("fam") as ns:
        ns.tablegen("python3", [GEN, "rawpacket"])
        for flags in (["-wan"], ["-wa"], ["-w"], ["-wanp"], ["-4", "-wan"], ["-6", "-wan"],
                      ["-0an"], ["-0a"], ["-0ane"], ["-0anm"], ["-0anep"], ["-0aneO"],
                      ["-f", "link", "-n"], ["-A", "raw,packet", "-an"],
                      ["-wan", "sport", "=", ":1"], ["-0an", "autobound"]):
            same(ns, args, c, flags)
        # ss's netlink path shows both packet types for -A p_raw or p_dgr (it checks the type
        # only when reading /proc); tcpscope shows the one asked for.
        for table, netid in (("p_raw", "p_raw"), ("packet_dgram", "p_dgr")):
            # Column widths differ with the rows ss adds: compare words.
            want = [" ".join(r.split()) for r in
                    lines(nstest.ss(ns, ["-H", "-A", table + ",udp", "-an"])) if r.startswith(netid)]
            got = [" ".join(r.split()) for r in lines(nstest.tcpscope(
                ns, args.tcpscope, ["sockets", "-H", "-A", table + ",udp", "-an"]).stdout)]
            c.check(got == want and want, f"-A {table}: ss {want}, tcpscope {got}")
        # -e on raw rows read from /proc: the inode (ss 6.1 prints nothing there).
        ext = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-wanHe"]).stdout
        c.check(all(" ino:" in line for line in ext.splitlines()), f"-wane: inodes: {ext!r}")
        js = nstest.read_json(nstest.tcpscope(ns, args.tcpscope, ["sockets", "-0wa", "--json"])
                              .stdout, "json")
        c.eq(sorted((o["family"], o["protocol"]) for o in js),
             sorted([("ipv4", "raw")] * 2 + [("ipv6", "raw")] + [("packet", "raw")] * 2
                    + [("packet", "dgram")]), "JSON families and protocols")
        csv_out = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-0wa", "--format", "csv"]).stdout
        c.eq(sorted(line.split(",")[0] for line in csv_out.splitlines()[1:]),
             sorted(["raw"] * 3 + ["p_raw"] * 2 + ["p_dgr"]), "CSV netids")
        mptcp(ns, args, c)
        # Tables without a diag handler here: one line each on stderr, exit 0.
        for flags, name in ((["-S"], "sctp"), (["--vsock"], "vsock"), (["--tipc"], "tipc"),
                            (["--xdp"], "xdp")):
            p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-a"] + flags, check=False)
            errs = [line for line in p.stderr.splitlines() if line]
            if len(errs) == 1 and re.match(rf"tcpscope: {name}: ", errs[0]):
                c.eq(p.returncode, 0, f"sockets {flags[0]} exit status")
            else:
                c.check(p.returncode == 0 and not errs,
                        f"sockets {flags[0]}: one line on stderr or none: {p.stderr!r}")
        p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-A", "bogus"], check=False)
        c.eq(p.returncode, 2, "-A with an unknown table")
        p = nstest.tcpscope(ns, args.tcpscope, ["sockets", "-f", "bogus"], check=False)
        c.eq(p.returncode, 2, "-f with an unknown family")
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

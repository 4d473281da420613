#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope sockets -x` against ss 6.1 on every unix shape (familygen.py unix), in a fresh
namespace: rows compared line by line (trailing spaces stripped: ss 6.1 pads), for the table,
-p (two processes; the BPF iterator and the /proc walk), -e (shutdown arrows, bound file, pending connections), -m, -l, state words,
name filters (shell patterns, case-insensitive, unix: prefix), autobound and inode "ports";
JSON and CSV rows checked against the same sockets."""
import csv
import io
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402

GEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "familygen.py")


def lines(text):
    return sorted(line.rstrip(" ") for line in text.splitlines() if line.strip())


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    d = tempfile.mkdtemp(prefix="tcpscope-unix-")
    try:
        with nstest.netns("unix") as ns:
            ns.tablegen("python3", [GEN, "unix", d])
            cases = [
                ["-xan"], ["-xa"], ["-x"], ["-xl"], ["-xlnp"], ["-xanp"], ["-xane"], ["-xanm"],
                ["-xanmep"], ["-xan", "state", "listening"], ["-xan", "state", "connected"],
                ["-xan", "exclude", "established"],
                ["-xan", "src", os.path.join(d, "*")],
                ["-xan", "src", os.path.join(d, "s*").upper()],      # FNM_CASEFOLD
                ["-xan", "src", "unix:@tcpscope*"],
                ["-an", "src", "unix:" + os.path.join(d, "dgram.sock")],  # unix: picks the table
                ["-xan", "autobound"], ["-xan", "not", "autobound"],
                ["-A", "u_dgr"], ["-A", "unix_stream,u_seq", "-a"], ["-a", "-A", "unix,!u_str"],
                ["-f", "unix", "-a"], ["-xanO", "-e"],
            ]
            for flags in cases:
                want = lines(nstest.ss(ns, ["-H"] + flags))
                got = lines(nstest.tcpscope(ns, args.tcpscope, ["sockets", "-H"] + flags).stdout)
                c.check(got == want and want,
                        f"sockets {' '.join(flags)} differs from ss:\n  ss:       {want}\n"
                        f"  tcpscope: {got}")
            # -p both ways the process map is built (BPF iterator, /proc walk).
            want = lines(nstest.ss(ns, ["-xanpH"]))
            for way in ("bpf", "proc"):
                p = ns.exec(["env", f"TCPSCOPE_PROCESS_MAP={way}", args.tcpscope, "sockets",
                             "-xanpH"], check=False)
                if way == "bpf" and p.returncode != 0:
                    print(f"SKIP -p with the BPF iterator: {p.stderr.strip()}", flush=True)
                    continue
                c.check(lines(p.stdout) == want,
                        f"sockets -xanp (process map: {way}) differs from ss:\n  ss: {want}\n"
                        f"  tcpscope: {lines(p.stdout)}")
            # Inode "ports" (without -x: with it ss reads ":N" as a name pattern, see
            # docs/ss-differences.md): the listener's inode selects it and only it.
            rows = nstest.ss(ns, ["-xlnH"]).splitlines()
            lst = next(r for r in rows if "srv.sock" in r).split()
            inode = lst[-3]
            for flags in (["-A", "unix", "-a", "sport", "=", ":" + inode],
                          ["-A", "unix", "-a", "dport", "=", ":" + inode],
                          ["-A", "unix", "-a", "sport", ">=", ":" + inode]):
                want = lines(nstest.ss(ns, ["-H"] + flags))
                got = lines(nstest.tcpscope(ns, args.tcpscope, ["sockets", "-H"] + flags).stdout)
                c.check(got == want, f"sockets {' '.join(flags)} differs from ss:\n  ss: {want}\n"
                        f"  tcpscope: {got}")
            # JSON and CSV: one object/row per socket of the table, with the same names/inodes.
            table = lines(nstest.ss(ns, ["-xanH"]))
            js = nstest.read_json(
                nstest.tcpscope(ns, args.tcpscope, ["sockets", "-xan", "--json"]).stdout, "json")
            c.eq(len(js), len(table), "JSON objects")
            names = sorted(o.get("name", "*") for o in js)
            c.eq(names, sorted(r.split()[4] for r in table), "JSON names")
            lst_js = next(o for o in js
                          if o.get("name", "").endswith("srv.sock") and o["state"] == "listen")
            c.eq((lst_js["protocol"], lst_js["state"], lst_js["recv_q"], lst_js["send_q"]),
                 ("stream", "listen", 2, 5), "JSON listener queue and backlog")
            ext = nstest.read_json(
                nstest.tcpscope(ns, args.tcpscope, ["sockets", "-xlane", "--json"]).stdout, "json")
            lst_e = next(o for o in ext
                         if o.get("name", "").endswith("srv.sock") and o["state"] == "listen")
            c.eq(len(lst_e.get("pending", [])), 2, "JSON pending connections of the listener")
            rows = list(csv.DictReader(io.StringIO(
                nstest.tcpscope(ns, args.tcpscope, ["sockets", "-xan", "--format", "csv"]).stdout)))
            c.eq(len(rows), len(table), "CSV rows")
            c.eq(sorted(r["netid"] for r in rows), sorted(r.split()[0] for r in table), "CSV netids")
            c.eq(sorted(int(r["peer_inode"] or 0) for r in rows),
                 sorted(int(r.split()[7]) for r in table), "CSV peer inodes")
            # summary counts the unix tables from the dump, as many as ss lists.
            summ = nstest.read_json(
                nstest.tcpscope(ns, args.tcpscope, ["summary", "--json"]).stdout, "summary")
            for netid in ("u_str", "u_dgr", "u_seq"):
                c.eq(summ["other_sockets"][netid]["total"],
                     sum(1 for r in table if r.split()[0] == netid), f"summary {netid} total")
            c.eq(summ["other_sockets"]["u_str"]["listen"], 2, "summary u_str listeners")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

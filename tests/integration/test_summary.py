#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope summary --json` on the standard table vs what ss and /proc show in the namespace.

Checks (docs/cli.md schema):
* tcp.states / udp.states per family equal the row counts of `ss -4|-6 -tan|-uan`; totals are
  their sums; duplicates_dropped is 0.
* listeners: one entry per `ss -tlnH` row with the same family, address, port; accept_queue and
  accept_queue_limit equal Recv-Q/Send-Q; fill percent = 100*queue/limit; syn_recv equals the
  SYN-RECV rows for that listener; v6only and inode equal ss -e; drops equals the listener's
  skmem `d` (ss -m).
* time_wait.count equals ss's TIME-WAIT rows; time_wait.max_tw_buckets equals
  `sysctl -n net.ipv4.tcp_max_tw_buckets` in the namespace (set to an odd value first so a
  root-namespace read is caught).
* sockstat fields equal /proc/net/sockstat{,6} read in the namespace; orphans/memory/tunables
  that a child namespace cannot read are null.
* ss_summary equals the numbers `ss -s` prints in the namespace.
Host-wide numbers (TCP alloc, memory pages) may move between two reads, so each group is
retried a few times before it is reported.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402

STATE_NAMES = {
    "ESTAB": "established", "SYN-SENT": "syn-sent", "SYN-RECV": "syn-recv",
    "FIN-WAIT-1": "fin-wait-1", "FIN-WAIT-2": "fin-wait-2", "TIME-WAIT": "time-wait",
    "UNCONN": "close", "CLOSE-WAIT": "close-wait", "LAST-ACK": "last-ack", "LISTEN": "listen",
    "CLOSING": "closing",
}
TCP_STATES = ["established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait",
              "close", "close-wait", "last-ack", "listen", "closing"]
UDP_STATES = ["established", "close"]
TW_BUCKETS = 54321


def summary(ns, args):
    p = nstest.tcpscope(ns, args.tcpscope, ["summary", "--json"])
    return nstest.read_json(p.stdout, "tcpscope summary --json")


def get(d, path):
    cur = d
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise KeyError(path)
        cur = cur[part]
    return cur


def check_states(ns, args, c):
    def once():
        out = []
        js = summary(ns, args)
        counts = nstest.count_by_family_state(ns, "tcp")
        counts.update(nstest.count_by_family_state(ns, "udp"))
        for proto, names in (("tcp", TCP_STATES), ("udp", UDP_STATES)):
            try:
                states = get(js, f"{proto}.states")
                total = get(js, f"{proto}.total")
            except KeyError as e:
                return f"  summary JSON lacks {e}"
            if sorted(states) != sorted(names):
                out.append(f"  {proto}.states keys: got {sorted(states)}, want {sorted(names)}")
            for fam in ("ipv4", "ipv6"):
                want_total = 0
                for ss_name, name in STATE_NAMES.items():
                    want = counts.get((proto, fam, ss_name), 0)
                    want_total += want
                    if name not in names:
                        if want:
                            out.append(f"  {proto} {fam} {ss_name}: ss shows {want}, "
                                       f"no such state in the schema")
                        continue
                    got = states.get(name, {}).get(fam)
                    if got != want:
                        out.append(f"  {proto}.states.{name}.{fam}: got {got!r}, ss shows {want}")
                if total.get(fam) != want_total:
                    out.append(f"  {proto}.total.{fam}: got {total.get(fam)!r}, ss shows {want_total}")
        if js.get("tcp", {}).get("duplicates_dropped") != 0:
            out.append(f"  tcp.duplicates_dropped: got {js.get('tcp', {}).get('duplicates_dropped')!r}, want 0")
        if js.get("source") != "netlink":
            out.append(f"  source: got {js.get('source')!r}, want 'netlink'")
        if "netns" not in js or js["netns"] is not None:
            out.append(f"  netns: got {js.get('netns', '<missing>')!r}, want null (no --netns)")
        return "\n".join(out)

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"summary state counts differ from ss:\n{diff}")


def ss_listeners(ns):
    """[(family, address, port, rq, sq, ino, v6only, drops, row)] from ss -tlnH -e -m."""
    rows = nstest.parse_rows(nstest.ss(ns, ["-tlnHem"]), "ss -tlnHem")
    out = []
    for r in rows:
        host, _dev, port = nstest.split_addr(r.local)
        fam = nstest.family_of(r.local)
        kv, _ = nstest.detail_items(r.details)
        v6only = None
        if fam == "ipv6":
            v6only = kv.get("v6only") == "1"
        if host == "*":
            host = "::"
        skmem = nstest.parse_skmem(kv.get("skmem", "")) or {}
        out.append((fam, host, int(port), r.recvq, r.sendq, int(kv["ino"]), v6only,
                    skmem.get("d"), r))
    return out


def syn_recv_for(rows, host, port):
    """SYN-RECV rows on the listener's port whose local address equals the listener's, or any
    address when the listener is bound to the wildcard (docs/cli.md)."""
    n = 0
    for r in rows:
        if r.state != "SYN-RECV":
            continue
        h, _, p = nstest.split_addr(r.local)
        if int(p) == port and (host in ("0.0.0.0", "::") or h == host):
            n += 1
    return n


def check_listeners(ns, args, c):
    def once():
        out = []
        js = summary(ns, args)
        want = ss_listeners(ns)
        tan = nstest.parse_rows(nstest.ss(ns, ["-tanH"]), "ss -tanH")
        got = js.get("listeners")
        if not isinstance(got, list):
            return f"  listeners: not a list: {got!r}"
        if len(got) != len(want):
            out.append(f"  listeners: {len(got)} entries, ss -tln shows {len(want)}")
        by_key = {}
        for e in got:
            k = (e.get("family"), e.get("local_address"), e.get("local_port"))
            if k in by_key:
                out.append(f"  listeners: duplicate entry {k}")
            by_key[k] = e
        for fam, host, port, rq, sq, ino, v6only, drops, row in want:
            e = by_key.get((fam, host, port))
            if e is None:
                out.append(f"  listeners: no entry for {fam} {host} {port} (ss: {row.raw})")
                continue
            exp = {"accept_queue": rq, "accept_queue_limit": sq, "inode": ino,
                   "v6only": v6only, "syn_recv": syn_recv_for(tan, host, port),
                   "drops": drops}
            for key, val in exp.items():
                if e.get(key, "<missing>") != val:
                    out.append(f"  listener {host}:{port} {key}: got {e.get(key, '<missing>')!r}, "
                               f"want {val!r}")
            pct = e.get("accept_queue_fill_percent")
            want_pct = 100.0 * rq / sq if sq else None
            if want_pct is None:
                if pct not in (None, 0, 0.0):
                    out.append(f"  listener {host}:{port} fill percent: got {pct!r} with limit 0")
            elif not isinstance(pct, (int, float)) or abs(pct - want_pct) > 0.051:
                out.append(f"  listener {host}:{port} accept_queue_fill_percent: got {pct!r}, "
                           f"want {want_pct:.1f}")
        once.want = want
        once.tan = tan
        return "\n".join(out)

    diff = nstest.compare_with_retry(once)
    c.check(not diff, f"summary listeners differ from ss:\n{diff}")
    # table sanity: the full queue and the SYN-RECV listener are really there
    w = {(h, p): (rq, sq) for _, h, p, rq, sq, *_ in once.want}
    c.eq(w.get(("127.0.0.1", 7006)), (5, 4), "ss: 127.0.0.1:7006 queue (table sanity)")
    c.eq(syn_recv_for(once.tan, "127.0.0.1", 7005), 3,
         "ss: SYN-RECV rows for 7005 (table sanity)")


def read_sockstat(ns):
    """{'tcp_inuse': n, ...} named like the schema, from /proc/net/sockstat{,6} in the ns."""
    text = ns.exec(["cat", "/proc/net/sockstat", "/proc/net/sockstat6"]).stdout
    vals = {}
    for line in text.splitlines():
        proto, _, rest = line.partition(":")
        toks = rest.split()
        for k, v in zip(toks[::2], toks[1::2]):
            vals[f"{proto}.{k}"] = int(v)
    return {
        "sockets_used": vals["sockets.used"], "tcp_inuse": vals["TCP.inuse"],
        "tcp_orphan": vals["TCP.orphan"], "tcp_tw": vals["TCP.tw"], "tcp_alloc": vals["TCP.alloc"],
        "tcp_mem": vals["TCP.mem"], "udp_inuse": vals["UDP.inuse"], "udp_mem": vals["UDP.mem"],
        "raw_inuse": vals["RAW.inuse"], "frag_inuse": vals["FRAG.inuse"],
        "tcp6_inuse": vals["TCP6.inuse"], "udp6_inuse": vals["UDP6.inuse"],
        "raw6_inuse": vals["RAW6.inuse"], "frag6_inuse": vals["FRAG6.inuse"],
    }


def read_sysctl_file(ns, path):
    p = ns.exec(["cat", path], check=False)
    if p.returncode != 0:
        return None
    nums = [int(x) for x in p.stdout.split()]
    return nums


def parse_ss_s(text):
    m1 = re.search(r"^Total: (\d+)", text, re.M)
    m2 = re.search(r"^TCP:\s+(\d+) \(estab (\d+), closed (\d+), orphaned (\d+), timewait (\d+)\)",
                   text, re.M)
    if not m1 or not m2:
        raise TestFailure(f"cannot parse ss -s output:\n{text}")
    return {"total": int(m1.group(1)), "tcp_total": int(m2.group(1)), "estab": int(m2.group(2)),
            "closed": int(m2.group(3)), "orphaned": int(m2.group(4)),
            "timewait": int(m2.group(5))}


# Numbers the kernel keeps for the whole machine (docs/cli.md): other processes on the host move
# them between two reads, so tcpscope's value must lie between a read just before and one just
# after it instead of equalling either.
HOST_WIDE = {"ss_summary.tcp_total", "ss_summary.closed", "ss_summary.orphaned",
             "sockstat.tcp_alloc", "sockstat.tcp_mem", "sockstat.tcp_orphan", "sockstat.udp_mem",
             "memory.pages", "orphans.count"}


def expected_counts(ns):
    # "sockets: used" counts every socket in the namespace, the observers' own netlink sockets
    # too, and they leave it an RCU grace period after close: let it settle.
    time.sleep(0.2)
    ss_s = parse_ss_s(nstest.ss(ns, ["-s"]))
    sockstat = read_sockstat(ns)
    tw_rows = len(nstest.parse_rows(nstest.ss(ns, ["-tanH", "state", "time-wait"]), "ss"))
    tw_limit = int(ns.sysctl("net.ipv4.tcp_max_tw_buckets"))
    max_orphans = read_sysctl_file(ns, "/proc/sys/net/ipv4/tcp_max_orphans")
    tcp_mem = read_sysctl_file(ns, "/proc/sys/net/ipv4/tcp_mem")
    exp = {
        "time_wait.count": tw_rows,
        "time_wait.max_tw_buckets": tw_limit,
        "orphans.count": sockstat["tcp_orphan"],
        "orphans.in_this_netns": 0,
        "orphans.max_orphans": max_orphans[0] if max_orphans else None,
        "memory.pages": sockstat["tcp_mem"],
        "memory.tcp_mem": tcp_mem,
    }
    for k, v in ss_s.items():
        exp[f"ss_summary.{k}"] = v
    for k, v in sockstat.items():
        exp[f"sockstat.{k}"] = v
    return exp


def check_counts(ns, args, c):
    def once():
        out = []
        before = expected_counts(ns)
        time.sleep(0.2)
        js = summary(ns, args)
        after = expected_counts(ns)
        for path, want in before.items():
            try:
                got = get(js, path)
            except KeyError:
                out.append(f"  {path}: missing, want {want!r}")
                continue
            if path in HOST_WIDE:
                lo, hi = min(want, after[path]), max(want, after[path])
                if not (isinstance(got, int) and lo <= got <= hi):
                    out.append(f"  {path} (host-wide): got {got!r}, want within [{lo}, {hi}]")
            elif got != want or got != after[path]:
                out.append(f"  {path}: got {got!r}, want {want!r}"
                           + (f" (then {after[path]!r})" if after[path] != want else ""))
        once.tw_rows = before["time_wait.count"]
        return "\n".join(out)

    diff = nstest.compare_with_retry(once, attempts=5)
    c.check(not diff, f"summary counts differ from ss -s / sockstat / sysctl:\n{diff}")
    c.eq(once.tw_rows, 3, "ss TIME-WAIT rows (table sanity)")


def check_netns_flag(ns, args, c):
    """The same summary through --netns from the root namespace names the namespace."""
    p = nstest.run([args.tcpscope, "--netns", ns.name, "summary", "--json"], check=False)
    if not c.check(p.returncode == 0, f"tcpscope --netns {ns.name} summary --json exited "
                   f"{p.returncode}: {p.stderr.strip()}"):
        return
    js = nstest.read_json(p.stdout, "summary --json via --netns")
    c.check(isinstance(js.get("netns"), str) and ns.name in js["netns"],
            f"summary via --netns: netns field {js.get('netns')!r} does not name {ns.name}")
    c.eq(js.get("time_wait", {}).get("max_tw_buckets"), TW_BUCKETS,
         "summary via --netns: time_wait.max_tw_buckets (must be the namespace's sysctl)")


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("summary") as ns:
        ns.sysctl("net.ipv4.tcp_max_tw_buckets", TW_BUCKETS)
        _, expected = nstest.standard_table(ns, args.tablegen)
        nstest.check_expected_table(ns, expected)
        check_states(ns, args, c)
        check_listeners(ns, args, c)
        check_counts(ns, args, c)
        check_netns_flag(ns, args, c)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

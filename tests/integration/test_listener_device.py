#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Listeners on one port bound to different devices (SO_BINDTODEVICE) keep distinct names.

In a fresh namespace with a veth pair (ld0, ld1; veth rather than dummy, which some kernels
lack as a module), tablegen holds:
  0.0.0.0%lo:8080 (never accepting; final ACKs dropped: 2 SYN-RECV request sockets from
  127.0.0.1 on lo), 0.0.0.0%ld0:8080 (the same wildcard address and port on another device),
  [::]%ld0:8443 and [::]%ld1:8443 (v6only), 0.0.0.0:9090 (no device), and an SO_REUSEPORT group of two on 0.0.0.0%ld1:9091 beside one on 0.0.0.0%ld0:9091.
Checks, each against `ss -ltnH` (and the SYN-RECV rows of `ss -tanH`) in the same namespace:
* `summary` text: the listener names are ss's local addresses, one line per socket;
* `summary --json`: each listener's (local_address, interface, local_port) is ss's (address,
  device, port); `interface` is absent for a listener on no device; the SYN-RECV requests are
  attributed to 0.0.0.0%lo:8080 only (not to the other wildcard on 8080);
* `doctor --json`: its top-level `listeners` carry the same names as `address` and `interface`;
* the agent (`--once --jsonl -`, and `--prometheus` scraped): one `listener` series per
  (address, port, device), named as ss names it; the SO_REUSEPORT group on ld1 is one series
  with the two sockets' limits summed (limit 2 * 16), the one on ld0 another.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402
import agent_harness as ah  # noqa: E402

SYN_PORT = 8080
TABLE = [
    "--listen", "0.0.0.0,8080,dev=lo,noaccept",
    "--listen", "0.0.0.0,8080,dev=ld0",
    "--listen", "::,8443,v6only=1,dev=ld0",
    "--listen", "::,8443,v6only=1,dev=ld1",
    "--listen", "0.0.0.0,9090",
    "--listen", "0.0.0.0,9091,dev=ld1,reuseport,backlog=16",
    "--listen", "0.0.0.0,9091,dev=ld1,reuseport,backlog=16",
    "--listen", "0.0.0.0,9091,dev=ld0,reuseport,backlog=16",
    "--connect", "127.0.0.1,8080,count=2,mode=pending,dev=lo",
]
WANT_NAMES = sorted([
    "0.0.0.0%lo:8080", "0.0.0.0%ld0:8080", "[::]%ld0:8443", "[::]%ld1:8443",
    "0.0.0.0:9090", "0.0.0.0%ld1:9091", "0.0.0.0%ld1:9091", "0.0.0.0%ld0:9091",
])


def setup_devices(ns):
    ns.exec(["ip", "link", "add", "ld0", "type", "veth", "peer", "name", "ld1"])
    for dev, net4 in (("ld0", "10.77.0.1/24"), ("ld1", "10.77.1.1/24")):
        ns.exec(["ip", "link", "set", dev, "up"])
        ns.exec(["ip", "addr", "add", net4, "dev", dev])


def ss_listener_names(ns):
    rows = nstest.parse_rows(nstest.ss(ns, ["-ltnH"]), "ss -ltnH")
    return sorted(r.local for r in rows)


def name_of(address, interface, port, family):
    host = f"[{address}]" if family == "ipv6" else address
    return f"{host}%{interface}:{port}" if interface is not None else f"{host}:{port}"


def check_summary_text(ns, args, c, want):
    p = nstest.tcpscope(ns, args.tcpscope, ["summary"])
    lines = p.stdout.split("\n")
    try:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("Listeners:"))
    except StopIteration:
        raise TestFailure(f"summary text has no Listeners: line:\n{p.stdout}")
    names = []
    for ln in lines[start + 2:]:  # after the header line
        if not ln.strip():
            break
        names.append(ln.split()[0])
    c.eq(sorted(names), want, "summary text: listener names (ss -ltnH's local addresses)")


def check_summary_json(ns, args, c, want):
    js = nstest.read_json(nstest.tcpscope(ns, args.tcpscope, ["summary", "--json"]).stdout,
                          "summary --json")
    names = []
    for e in js.get("listeners", []):
        iface = e.get("interface")
        if iface is None:
            c.check("interface" not in e,
                    f"summary --json: a listener on no device has an interface key: {e}")
        else:
            c.check(isinstance(e.get("ifindex"), int) and e["ifindex"] > 0,
                    f"summary --json: a bound listener lacks its ifindex: {e}")
        names.append(name_of(e.get("local_address"), iface, e.get("local_port"),
                             e.get("family")))
        if e.get("local_port") == SYN_PORT:
            want_syn = 2 if iface == "lo" else 0
            c.eq(e.get("syn_recv"), want_syn, f"summary --json: syn_recv of {names[-1]}")
    c.eq(sorted(names), want, "summary --json: listener names")
    c.eq(js.get("tcp", {}).get("syn_recv_unattributed"), 0,
         "summary --json: tcp.syn_recv_unattributed")


def check_doctor_json(ns, args, c, want):
    p = nstest.tcpscope(ns, args.tcpscope, ["doctor", "--json", "--window", "0.2s"], check=False)
    if not c.check(p.returncode in (0, 1, 2), f"doctor --json exited {p.returncode}: "
                   f"{p.stderr.strip()}"):
        return
    js = nstest.read_json(p.stdout, "doctor --json")
    names = []
    for e in js.get("listeners", []):
        addr = e.get("address", "")
        names.append(addr)
        iface = e.get("interface")
        if "%" in addr:
            c.eq(iface, addr.rpartition(":")[0].partition("%")[2],
                 f"doctor --json: interface of {addr}")
        else:
            c.check("interface" not in e, f"doctor --json: {addr} has an interface key: {e}")
    c.eq(js.get("listeners_total"), len(want), "doctor --json: listeners_total")
    c.eq(sorted(names), want, "doctor --json: listeners[].address")


def group(names):
    """ss's names, one per (address, port, device): the agent's series."""
    out = {}
    for n in names:
        out[n] = out.get(n, 0) + 1
    return out


def check_agent_jsonl(ns, args, c, want):
    binary = ah.agent_path(args)
    cmd = [binary, "--once", "--jsonl", "-", "--statsd", "none", "--netns", ns.name,
           "--interval", "1s"]
    p = nstest.run(cmd, timeout=30, check=False)
    if not c.check(p.returncode == 0, f"agent --once exited {p.returncode}: "
                   f"{p.stderr.strip()[-300:]}"):
        return
    ticks = ah.parse_ticks(p.stdout)
    if not c.check(len(ticks) == 1, f"agent --once: {len(ticks)} ticks"):
        return
    got = ah.samples(ticks[0], "tcpscope_listener_accept_queue_limit", netns=ns.name)
    limits = {sl.get("listener"): v for sl, v in got}
    c.eq(sorted(limits), sorted(group(want)), "agent jsonl: listener label values")
    c.eq(limits.get("0.0.0.0%ld1:9091"), 32, "agent jsonl: the SO_REUSEPORT group on ld1, "
         "summed limit")
    c.eq(limits.get("0.0.0.0%ld0:9091"), 16, "agent jsonl: the listener on ld0:9091, limit")
    syn = {sl.get("listener"): v for sl, v in
           ah.samples(ticks[0], "tcpscope_listener_syn_recv", netns=ns.name)}
    c.eq(syn.get("0.0.0.0%lo:8080"), 2, "agent jsonl: syn_recv of 0.0.0.0%lo:8080")
    c.eq(syn.get("0.0.0.0%ld0:8080"), 0, "agent jsonl: syn_recv of 0.0.0.0%ld0:8080")


def check_agent_prometheus(ns, args, c, want):
    binary = ah.agent_path(args)
    with ah.Harness() as h:
        port = ah.free_port()
        agent = h.agent(binary, ["--netns", ns.name, "--prometheus", f"127.0.0.1:{port}",
                                 "--statsd", "none", "--interval", "1s"], tag="device")

        def listeners(f):
            vals = ah.prom_values(f, "tcpscope_listener_accept_queue_limit", netns=ns.name)
            return {sl.get("listener"): v for sl, v in vals} or None
        limits, _ = ah.scrape_until(port, agent, listeners, 15, "listener series")
        c.eq(sorted(limits), sorted(group(want)), "prometheus: listener label values")
        c.eq(limits.get("0.0.0.0%ld1:9091"), 32, "prometheus: the SO_REUSEPORT group on ld1")
        agent.stop()


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    with nstest.netns("ldev") as ns:
        setup_devices(ns)
        ns.drop_final_ack(SYN_PORT)
        ns.tablegen(args.tablegen, TABLE)
        ss_names = ss_listener_names(ns)
        if ss_names != WANT_NAMES:
            raise TestFailure(f"ss -ltnH does not show the table meant (environment): "
                              f"{ss_names} != {WANT_NAMES}")
        syn = [r.local for r in nstest.parse_rows(nstest.ss(ns, ["-tanH"]), "ss -tanH")
               if r.state == "SYN-RECV"]
        if sorted(syn) != ["127.0.0.1%lo:8080"] * 2:
            raise TestFailure(f"ss shows other SYN-RECV rows than meant: {syn}")
        check_summary_text(ns, args, c, ss_names)
        check_summary_json(ns, args, c, ss_names)
        check_doctor_json(ns, args, c, ss_names)
        check_agent_jsonl(ns, args, c, ss_names)
        check_agent_prometheus(ns, args, c, ss_names)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

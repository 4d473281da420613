#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope agent --prometheus`: the /metrics endpoint and a real Prometheus scraping it.

The namespace holds std_agent_table (agent_harness), quiet once built; the agent runs with
`--netns NS --prometheus 127.0.0.1:PORT --statsd none --interval 1s`.

Checks:
* GET /metrics: 200, Content-Type `text/plain; version=0.0.4; charset=utf-8`, `promtool check
  metrics` exits 0 with empty output; our own parse: HELP and TYPE for every family, contiguous
  families, unique series, label escapes valid; counters (and only counters) end in `_total`;
* values equal ss/nstat/sysctl: sockets per protocol and state, listeners, per listener accept
  queue (= Recv-Q), limit (= Send-Q), fill ratio, peak, syn_recv; listeners_dropped 0; the
  namespace's tunables (ip_local_port_range as _first/_last); every default counter as
  `tcpscope_<group>_<counter>_total` = nstat's absolute value; doctor findings (the full
  listener: accept-queue-saturated = 1, accept-queue-overflow = 0); agent self-metrics;
* `/` serves the same families; HEAD 200 without body; POST 405; another path 404;
* scrapes do not trigger collections (20 quick GETs see at most two renderings);
* a real Prometheus scrapes it (target up, no scrape error); PromQL
  `tcpscope_sockets{state="established",netns=NS}` = ss's count, the full listener's
  `tcpscope_listener_accept_queue` = 5, limit 4, ListenOverflows `_total` = nstat, and after N
  SYNs to the full listener the `_total` rises by exactly N, and so does the listener's own
  tcpscope_listener_drops_total;
* `--prometheus PORT` binds 127.0.0.1, `--prometheus [::1]:PORT` binds IPv6 loopback;
* the listen backlog (ss Send-Q of the listener) is net.core.somaxconn (set to 1234 in a
  namespace of its own); before the first rendering (`--once --interval 90s`, whose baseline
  is not rendered) GET and HEAD /metrics answer 503 with `Retry-After: 90`; a second agent on
  the same port exits 1 (`cannot listen`);
* SIGTERM: exit 0.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_harness as ah  # noqa: E402
import nstest  # noqa: E402
from nstest import TestFailure  # noqa: E402

N_SYN = 6


def check_body(c, body, what):
    rc, out = ah.promtool_check(body)
    c.check(rc == 0 and out == "", f"{what}: promtool check metrics: exit {rc}, output:\n"
                                   f"{out[:2000]}")
    try:
        fams = ah.parse_prom(body)
    except TestFailure as e:
        c.check(False, f"{what}: exposition structure: {e}")
        return {}
    for name, f in fams.items():
        c.check(name.startswith("tcpscope_"), f"{what}: family {name} without tcpscope_")
        if f["type"] == "counter":
            c.check(name.endswith("_total"), f"{what}: counter {name} without _total")
        else:
            c.check(not name.endswith("_total"), f"{what}: {f['type']} {name} ends in _total")
    return fams


def main():
    args = nstest.parse_args(__doc__)
    binary = ah.agent_path(args)
    c = nstest.Checker()
    with nstest.netns("ag-prom") as ns, ah.Harness() as h:
        ns.sysctl("net.ipv4.tcp_max_tw_buckets", 54321)
        ns.sysctl("net.ipv4.ip_local_port_range", "20000 30000")
        ah.std_agent_table(ns, args.tablegen)
        counts, ls = ah.check_std_table(ns)
        port = ah.free_port()
        url = f"http://127.0.0.1:{port}"
        N = ns.name
        agent = h.agent(binary, ["--netns", ns.name, "--prometheus", f"127.0.0.1:{port}",
                                 "--statsd", "none", "--interval", "1s"])

        def served():
            if not agent.alive():
                agent.fail(f"agent exited {agent.proc.returncode}")
            try:
                st, _, body = ah.http_request(url + "/metrics", timeout=2)
            except OSError:
                return None
            return body.decode() if st == 200 and f'netns="{ns.name}"' in body.decode() else None
        if not ah.wait_until(served, 15, 0.1, "/metrics with the namespace"):
            agent.fail("/metrics never served the namespace's metrics")
        # A tick after our first 200: the http request counter is rendered.
        ah.scrape_until(port, agent, ah.metric_at_least(
            "tcpscope_agent_http_requests_total", 1, code="200"), 15, "http requests rendered")
        nst = ah.quiet_nstat(ns, h.tmp)
        # A collection that began after the quiet read: two more than were done at its end.
        col = ah.prom_value(ah.scrape(port, agent), "tcpscope_agent_collections_total", netns=N,
                            kind="full")
        ah.scrape_until(port, agent, ah.metric_at_least(
            "tcpscope_agent_collections_total", (col or 0) + 2, netns=N, kind="full"), 15,
            "two collections after the quiet read")

        status, hdrs, raw = ah.http_request(url + "/metrics")
        body = raw.decode()
        c.eq(status, 200, "GET /metrics status")
        c.eq(hdrs.get("content-type"), "text/plain; version=0.0.4; charset=utf-8",
             "Content-Type")
        fams = check_body(c, body, "/metrics")
        v = lambda metric, /, **l: ah.prom_value(fams, metric, **l)  # noqa: E731

        for (proto, st), nsock in sorted(counts.items()):
            c.eq(v("tcpscope_sockets", netns=N, protocol=proto, state=st), nsock,
                 f"tcpscope_sockets{{protocol={proto},state={st}}} vs ss")
        for sl, val in ah.prom_values(fams, "tcpscope_sockets", netns=N):
            if (sl.get("protocol"), sl.get("state")) not in counts:
                c.eq(val, 0, f"tcpscope_sockets{sl} (none in ss)")
            if sl.get("protocol") == "tcp":
                c.check(sl.get("state") in ah.TCP_STATE_KEYS, f"unknown TCP state label {sl}")
        c.eq(v("tcpscope_listeners", netns=N), len(ls), "tcpscope_listeners vs ss")
        c.eq(v("tcpscope_listeners_dropped", netns=N), 0, "tcpscope_listeners_dropped")
        for lab, ssaddr in ah.STD_LISTENERS.items():
            q, lim = ls[ssaddr]
            c.eq(v("tcpscope_listener_accept_queue", netns=N, listener=lab), q,
                 f"accept queue of {lab} vs ss Recv-Q")
            c.eq(v("tcpscope_listener_accept_queue_limit", netns=N, listener=lab), lim,
                 f"accept queue limit of {lab} vs ss Send-Q")
            c.eq(v("tcpscope_listener_accept_queue_fill_ratio", netns=N, listener=lab), q / lim,
                 f"fill ratio of {lab}")
            c.eq(v("tcpscope_listener_accept_queue_peak", netns=N, listener=lab), q,
                 f"peak of {lab} (static table)")
            c.eq(v("tcpscope_listener_syn_recv", netns=N, listener=lab), 0, f"syn_recv of {lab}")
            c.check(v("tcpscope_listener_drops_total", netns=N, listener=lab) is not None,
                    f"tcpscope_listener_drops_total of {lab} missing")
        exported = {sl.get("listener") for sl, _ in
                    ah.prom_values(fams, "tcpscope_listener_accept_queue", netns=N)}
        c.eq(exported, set(ah.STD_LISTENERS), "listener label values")
        for name, want in (("net.ipv4.tcp_max_tw_buckets", 54321),
                           ("net.ipv4.ip_local_port_range_first", 20000),
                           ("net.ipv4.ip_local_port_range_last", 30000),
                           ("net.core.somaxconn", int(ns.sysctl("net.core.somaxconn")))):
            c.eq(v("tcpscope_sysctl", netns=N, name=name), want, f"tcpscope_sysctl {name}")
        for ctr in ah.DEFAULT_COUNTERS:
            names = [f"tcpscope_{b}_total" for b in ah.counter_base_variants(ctr)]
            got = [v(n, netns=N) for n in names if v(n, netns=N) is not None]
            if c.check(len(got) == 1, f"default counter {ctr} not exported as {names}"):
                c.eq(got[0], nst.get(ctr, 0), f"{names[0]} vs nstat -a")
            for n in names:
                if n in fams:
                    c.eq(fams[n]["type"], "counter", f"TYPE of {n}")
        c.eq(v("tcpscope_doctor_finding", netns=N, check="accept-queue-saturated"), 1,
             "doctor accept-queue-saturated (full listener, no overflow in the window)")
        c.eq(v("tcpscope_doctor_finding", netns=N, check="accept-queue-overflow"), 0,
             "doctor accept-queue-overflow (no overflow in the window)")
        for sl, val in ah.prom_values(fams, "tcpscope_doctor_finding"):
            c.check(val in (0, 1, 2), f"doctor finding {sl} = {val}")
        c.eq(v("tcpscope_agent_namespaces"), 1, "tcpscope_agent_namespaces (no netns label)")
        # tcpscope_build_info: one sample of 1 whose version is what --version prints.
        build = ah.prom_values(fams, "tcpscope_build_info")
        version = nstest.run([binary, "--version"]).stdout.split()[-1]
        c.eq([(sl.get("version"), val) for sl, val in build], [(version, 1)],
             "tcpscope_build_info{version} = 1, the version --version prints")
        c.check(all(set(sl) == {"version", "compiler"} for sl, _ in build),
                f"tcpscope_build_info's labels: {[sl for sl, _ in build]}")
        c.check((v("tcpscope_agent_collections_total", netns=N, kind="full") or 0) >= 2,
                "tcpscope_agent_collections_total{kind=full} >= 2")
        c.check((v("tcpscope_agent_http_requests_total", code="200") or 0) >= 1,
                "tcpscope_agent_http_requests_total{code=200} counts our GETs")
        c.check((v("tcpscope_agent_resident_memory_bytes") or 0) > 1 << 20,
                "tcpscope_agent_resident_memory_bytes > 1 MiB")
        c.check(v("tcpscope_agent_ticks_skipped_total") == 0, "ticks skipped")
        c.check(v("tcpscope_tcp_memory_bytes", netns=N) is not None, "tcpscope_tcp_memory_bytes")
        for sl, _ in ah.prom_values(fams, "tcpscope_agent_statsd_packets_total"):
            c.check("netns" not in sl, f"statsd packets with a netns label: {sl}")

        # Other paths and methods.
        st, _, rootbody = ah.http_request(url + "/")
        c.eq(st, 200, "GET / status")
        if st == 200:
            c.eq(set(ah.parse_prom(rootbody.decode())), set(fams), "GET / families")
        st, hh, hb = ah.http_request(url + "/metrics", method="HEAD")
        c.eq((st, hb), (200, b""), "HEAD /metrics")
        st, _, _ = ah.http_request(url + "/metrics", method="POST", data=b"")
        c.eq(st, 405, "POST /metrics status")
        st, _, _ = ah.http_request(url + "/nope")
        c.eq(st, 404, "GET /nope status")

        # A scrape never triggers a collection: 20 quick scrapes see only the ticks of the time
        # they took (at 1 s a tick; one more for a tick under way at the start), far below the
        # 19 that collecting per scrape would give. Bounded by the time measured rather than by
        # "at most 2 renderings", which a loaded machine can stretch past 1 s.
        seen = []
        t0 = time.monotonic()
        for _ in range(20):
            f = ah.parse_prom(ah.metrics_text(port))
            seen.append(ah.prom_value(f, "tcpscope_agent_collections_total", netns=N,
                                      kind="full"))
            time.sleep(0.01)
        took = time.monotonic() - t0
        rise = max(seen) - min(seen)
        c.check(rise <= int(took) + 1 and rise < 10,
                f"20 quick scrapes in {took:.2f} s saw collections_total {seen}")

        # A real Prometheus.
        prom = h.prometheus([f"127.0.0.1:{port}"])
        up = prom.wait_value('up{job="tcpscope-agent"}', 1, timeout=20)
        c.check(len(up) == 1 and up[0][1] == 1, f"Prometheus target up: {up}")
        tg = prom.targets()
        c.check(len(tg) == 1 and tg[0]["health"] == "up" and tg[0]["lastError"] == "",
                f"Prometheus target state: {tg}")
        est = counts[("tcp", "established")]
        q = f'tcpscope_sockets{{state="established",netns="{N}",protocol="tcp"}}'
        r = prom.wait_value(q, est)
        c.check([x[1] for x in r] == [est], f"PromQL {q}: {r}, want {est}")
        q = f'tcpscope_sockets{{state="established",netns="{N}"}}'
        r = prom.query(q)
        c.check([x[1] for x in r] == [est], f"PromQL {q}: {r}, want one series {est}")
        for name, want in (("tcpscope_listener_accept_queue", 5),
                           ("tcpscope_listener_accept_queue_limit", 4)):
            q = f'{name}{{netns="{N}",listener="127.0.0.1:7402"}}'
            r = prom.wait_value(q, want)
            c.check([x[1] for x in r] == [want], f"PromQL {q}: {r}, want {want}")
        ovf = f'tcpscope_tcpext_listen_overflows_total{{netns="{N}"}}'
        base = nst["TcpExtListenOverflows"]
        r = prom.wait_value(ovf, base)
        c.check([x[1] for x in r] == [base], f"PromQL {ovf}: {r}, want nstat's {base}")
        drops0 = ah.prom_value(ah.scrape(port, agent), "tcpscope_listener_drops_total", netns=N,
                               listener="127.0.0.1:7402")
        ah.traffic(ns, syn_port=7402, n_syn=N_SYN)
        want = None if drops0 is None else drops0 + N_SYN
        got = ah.wait_until(lambda: (lambda v: v if v == want else None)(ah.prom_value(
            ah.scrape(port, agent) or {}, "tcpscope_listener_drops_total", netns=N,
            listener="127.0.0.1:7402")), 15, 0.2)
        c.check(want is not None and got == want,
                f"tcpscope_listener_drops_total of the full listener after {N_SYN} SYNs: "
                f"{drops0} -> {got}, want +{N_SYN}")
        after = ah.quiet_nstat(ns, h.tmp)["TcpExtListenOverflows"]
        c.eq(after - base, N_SYN, "nstat's ListenOverflows delta after the SYNs")
        r = prom.wait_value(ovf, after)
        c.check([x[1] for x in r] == [after], f"PromQL {ovf} after {N_SYN} SYNs: {r}, "
                                              f"want {after}")
        r = prom.query(f"max_over_time({ovf}[1m]) - min_over_time({ovf}[1m])")
        c.check([x[1] for x in r] == [N_SYN], f"PromQL rise of {ovf} over 1m: {r}")
        c.eq(agent.stop(), 0, "exit status after SIGTERM")

        # A port alone binds 127.0.0.1; [::1]:PORT binds the IPv6 loopback.
        p2 = ah.free_port()
        a2 = h.agent(binary, ["--netns", ns.name, "--prometheus", str(p2), "--statsd", "none",
                              "--interval", "1s"], tag="port-only")
        ok = ah.wait_until(lambda: _status(f"http://127.0.0.1:{p2}/metrics") == 200, 10)
        c.check(ok, f"--prometheus {p2}: GET 127.0.0.1:{p2}/metrics never gave 200")
        c.eq(a2.stop(), 0, "exit status after SIGTERM (port only)")
        p3 = ah.free_port(family=socket.AF_INET6, host="::1")
        a3 = h.agent(binary, ["--netns", ns.name, "--prometheus", f"[::1]:{p3}", "--statsd",
                              "none", "--interval", "1s"], tag="ipv6")
        ok = ah.wait_until(lambda: _status(f"http://[::1]:{p3}/metrics") == 200, 10)
        c.check(ok, f"--prometheus [::1]:{p3}: GET never gave 200 ({a3.stderr()[-300:]})")
        c.eq(a3.stop(), 0, "exit status after SIGTERM (IPv6)")

    with nstest.netns("ag-prom-start") as ns2, ah.Harness() as h:
        check_before_first_tick(c, binary, ns2, h)
    c.finish()


def check_before_first_tick(c, binary, ns, h):
    """In a namespace of its own with somaxconn 1234: the listen backlog is somaxconn, and
    before the first rendering /metrics answers 503 with Retry-After (the interval)."""
    ns.sysctl("net.core.somaxconn", 1234)
    port = 9473
    # --once: its first collection is only the counters' baseline and is not rendered, so
    # nothing is served for a whole interval (90 s): no race with the first tick.
    agent = h.agent("ip", ["netns", "exec", ns.name, binary, "--once", "--interval", "90s",
                           "--prometheus", f"127.0.0.1:{port}", "--statsd", "none"],
                    tag="before-first")
    url = f"http://127.0.0.1:{port}/metrics"

    def listening():
        if not agent.alive():
            agent.fail(f"the agent exited ({agent.proc.returncode})")
        rows = nstest.parse_rows(nstest.ss(ns, ["-ltnH"]), "ss -ltnH")
        return [r for r in rows if r.local == f"127.0.0.1:{port}"]
    rows = ah.wait_for(listening, 15, f"a listener on 127.0.0.1:{port} in {ns.name}")
    # ss shows a listener's backlog as its Send-Q.
    c.eq(rows[0].sendq, 1234, "the endpoint's listen backlog (ss Send-Q) = net.core.somaxconn")

    st, hdrs, body = ns_http(ns, url)
    c.eq(st, 503, f"GET /metrics before the first rendering: status (body {body[:100]!r})")
    c.eq(hdrs.get("retry-after"), "90", "Retry-After before the first rendering (the interval)")
    st, hdrs, _ = ns_http(ns, url, method="HEAD")
    c.eq((st, hdrs.get("retry-after")), (503, "90"), "HEAD /metrics before the first rendering")
    c.check(agent.alive(), "the agent exited while serving 503")

    # The port is taken: a second agent on it is an error at start, not a silent co-listener.
    p = ns.exec([binary, "--once", "--interval", "1s", "--prometheus", f"127.0.0.1:{port}",
                 "--statsd", "none"], check=False, timeout=30)
    c.eq(p.returncode, 1, f"a second agent on a taken port: exit status ({p.stderr.strip()!r})")
    c.check("cannot listen" in p.stderr, f"a second agent on a taken port: {p.stderr!r}")
    c.eq(agent.stop(), 0, "exit status after SIGTERM (before the first rendering)")


NS_HTTP = r"""
import json, sys, urllib.error, urllib.request
req = urllib.request.Request(sys.argv[1], method=sys.argv[2])
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        st, hdrs, body = r.status, dict(r.headers.items()), r.read()
except urllib.error.HTTPError as e:
    st, hdrs, body = e.code, dict(e.headers.items()), e.read()
print(json.dumps([st, {k.lower(): v for k, v in hdrs.items()}, body.decode("latin1")]))
"""


def ns_http(ns, url, method="GET"):
    """(status, headers with lower-case keys, body) of one request made inside `ns`."""
    p = ns.exec(["python3", "-c", NS_HTTP, url, method], timeout=30)
    st, hdrs, body = nstest.read_json(p.stdout, "http request in the namespace")
    return st, hdrs, body.encode("latin1")


def _status(url):
    try:
        return ah.http_request(url, timeout=2)[0]
    except OSError:
        return None


if __name__ == "__main__":
    nstest.run_main(main)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Prometheus rules and the Grafana dashboard of monitoring/ (docs/monitoring.md) against a
real agent and a real Prometheus.

Two namespaces: the founding incident (scripts/incident-load: listen(fd, 8) on 127.0.0.1:8080,
accepting one connection every 200 ms, clients in bursts of 40; SYN cookies on) and a healthy
one (a listener that answers at once, 20 clients a second). The agent follows both (full ticks
every second, listener ticks every 250 ms); Prometheus scrapes it and evaluates
monitoring/prometheus/alerts.yml every second. Checks:

* TcpscopeAcceptQueueOverflow and TcpscopeSynCookiesWithOverflows become pending (or firing)
  for 127.0.0.1:8080 in the incident's namespace, with its numbers in the summary;
* no alert at all concerns the healthy namespace or the agent, at any evaluation (Prometheus'
  own ALERTS series over the whole run), once the healthy namespace's traffic is in Prometheus;
* every query of monitoring/grafana/tcpscope.json evaluates without error, with its variables
  filled in twice (one namespace and listener; "All"), the variables' label_values() too, and the
  listener panels show the incident's listener.
"""

import datetime
import json
import os
import re
import time

import agent_harness as ah
import nstest
from nstest import log

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RULES = os.path.join(ROOT, "monitoring", "prometheus", "alerts.yml")
DASHBOARD = os.path.join(ROOT, "monitoring", "grafana", "tcpscope.json")
INCIDENT_LOAD = os.path.join(ROOT, "scripts", "incident-load")
LISTENER = "127.0.0.1:8080"

# The healthy namespace's load: a listener on 127.0.0.1:PORT that answers each connection at
# once, and a client that opens 20 connections a second, each a request and an answer.
BENIGN = r"""
import socket, sys, threading, time
port = int(sys.argv[1])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(128)
def serve():
    while True:
        s, _ = ls.accept()
        s.recv(100)
        s.sendall(b"ok\n")
        s.close()
threading.Thread(target=serve, daemon=True).start()
while True:
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"ping\n")
    c.recv(100)
    c.close()
    time.sleep(0.05)
"""

_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def regex_value(value):
    """A label value as Grafana puts a selected value into `=~"..."`: regex-escaped, inside a
    PromQL string (so every backslash doubled)."""
    return _RE2_SPECIAL.sub(r"\\\1", value).replace("\\", "\\\\")


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def fill(expr, values):
    """The expression with Grafana's variables replaced by `values`; an unknown variable fails the
    test (a new variable must be given a value here)."""
    def one(m):
        name = m.group(1) or m.group(2)
        if name not in values:
            raise nstest.TestFailure(f"dashboard variable ${name} has no test value: {expr}")
        return values[name]
    return _VARIABLE.sub(one, expr)


def dashboard_queries():
    """[(where, expr)] of every panel target, and [(name, label, selector)] of the query
    variables (label_values(SELECTOR, LABEL))."""
    with open(DASHBOARD) as f:
        dash = json.load(f)

    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))
    targets = [(f"panel {p['title']!r} {t['refId']}", t["expr"])
               for p in walk(dash["panels"]) for t in p.get("targets", [])]
    variables = []
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        q = v["query"] if isinstance(v["query"], str) else v["query"]["query"]
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q.strip())
        if not m:
            raise nstest.TestFailure(f"variable {v['name']}: not label_values(...): {q}")
        variables.append((v["name"], m.group(2), m.group(1)))
    return targets, variables


def main():
    args = nstest.parse_args(__doc__)
    binary = ah.agent_path(args)
    c = nstest.Checker()
    t_start = time.monotonic()
    with nstest.netns("mon-bad") as bad, nstest.netns("mon-good") as good, \
            ah.Harness() as h:
        bad.sysctl("net.ipv4.tcp_syncookies", 1)
        h.process(["ip", "netns", "exec", good.name, "python3", "-c", BENIGN, "9000"],
                  "benign-load")
        port = ah.free_port()
        agent = h.agent(binary, ["--netns", bad.name, "--netns", good.name,
                                 "--prometheus", f"127.0.0.1:{port}", "--statsd", "none",
                                 "--interval", "1s", "--listener-interval", "250ms"])
        ah.scrape_until(port, agent, lambda f: all(
            ah.prom_value(f, "tcpscope_listeners", netns=n) is not None
            for n in (bad.name, good.name)), 20, "/metrics with both namespaces")
        prom = h.prometheus([f"127.0.0.1:{port}"], rule_files=[RULES])
        ah.wait_for(lambda: prom.query('up{job="tcpscope-agent"} == 1'), 30,
                    "Prometheus scraping the agent")
        load = h.process(["ip", "netns", "exec", bad.name, INCIDENT_LOAD, "120"],
                         "incident-load")
        t_load = time.monotonic()

        # Poll the alerts until both incident alerts are there and the healthy namespace's
        # traffic has been scraped; remember every alert that should never be.
        stray = {}
        seen = {}

        def alerts_so_far():
            if not agent.alive():
                agent.fail(f"the agent exited ({agent.proc.returncode})")
            if not load.alive():
                raise nstest.TestFailure(f"the incident load exited: {load.stderr()[-500:]}")
            for a in prom.alerts():
                lab = a["labels"]
                if lab.get("netns") != bad.name:
                    stray.setdefault((lab["alertname"], lab.get("netns")), a)
                elif lab.get("listener") == LISTENER:
                    seen.setdefault(lab["alertname"], a)
            benign = prom.query(f'increase(tcpscope_tcp_passive_opens_total'
                                f'{{netns="{good.name}"}}[30s]) > 10')
            return (benign and "TcpscopeAcceptQueueOverflow" in seen
                    and "TcpscopeSynCookiesWithOverflows" in seen)
        ah.wait_until(alerts_so_far, 60, 0.5, "the incident's alerts")
        log(f"  incident alerts after {time.monotonic() - t_load:.1f}s of load: {sorted(seen)}")

        for name, want in (("TcpscopeAcceptQueueOverflow", "accept-queue-overflow"),
                           ("TcpscopeSynCookiesWithOverflows", "syn-cookies")):
            a = seen.get(name)
            if not c.check(a is not None, f"{name} for {LISTENER} in {bad.name}: never pending "
                                          f"or firing (alerts seen: {sorted(seen)})"):
                continue
            lab = a["labels"]
            c.eq((a["state"] in ("pending", "firing"), lab.get("severity"), lab.get("check")),
                 (True, "critical", want), f"{name}: state, severity, check")
            summary = a["annotations"].get("summary", "")
            c.check(LISTENER in summary and bad.name in summary,
                    f"{name}: the summary names the listener and the namespace: {summary!r}")
            if name == "TcpscopeAcceptQueueOverflow":
                c.check(re.search(r"queue peaked at (9|\d\d+), limit 8\)", summary),
                        f"{name}: the summary gives the queue over its limit 8: {summary!r}")
                c.check(a["annotations"].get("runbook_url", "").endswith(
                    "doctor.md#accept-queue-overflow"), f"{name}: runbook_url {a['annotations']}")

        # Once more after the next evaluation of every group, then the whole history: no alert
        # ever concerned the healthy namespace or the agent (ALERTS holds every pending and
        # firing state Prometheus evaluated).
        t_check = time.time()
        ah.wait_for(lambda: all(
            g.get("lastEvaluation", "") and _rfc3339(g["lastEvaluation"]) > t_check + 1
            for g in prom.api("rules")["groups"]), 20, "two more rule evaluations")
        alerts_so_far()
        c.check(not stray, "alerts outside the incident's namespace: " + "; ".join(
            f"{k[0]} netns={k[1]} {v['state']} {v['annotations'].get('summary', '')}"
            for k, v in stray.items()))
        window = max(10, int(time.monotonic() - t_start) + 10)
        history = prom.query(f'count_over_time(ALERTS{{netns!="{bad.name}"}}[{window}s])')
        c.check(history == [], f"ALERTS outside the incident's namespace during the run: {history}")
        c.check(prom.query(f'tcpscope_listener_accept_queue{{netns="{good.name}"}}') != [],
                "the healthy namespace's listeners are in Prometheus")

        check_dashboard(c, prom, port, bad.name, good.name)
    log(f"  {time.monotonic() - t_start:.1f}s in all")
    c.finish()


def _rfc3339(text):
    """'2026-12-04T22:23:31.123456789Z' (or with an offset) -> seconds since the epoch."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        raise nstest.TestFailure(f"not an RFC 3339 time: {text!r}")
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    t = datetime.datetime.fromisoformat(m.group(1) + tz).timestamp()
    return t + (float("0." + m.group(2)) if m.group(2) else 0.0)


def check_dashboard(c, prom, port, bad, good):
    targets, variables = dashboard_queries()
    one = {"instance": regex_value(f"127.0.0.1:{port}"), "netns": regex_value(bad),
           "listener": regex_value(LISTENER)}
    every = {"instance": ".*", "netns": ".*", "listener": ".*"}
    common = {"datasource": "", "__rate_interval": "30s", "__interval": "5s", "__range": "5m"}

    # The variables, as Grafana asks for them: /api/v1/label/LABEL/values?match[]=SELECTOR.
    got = {}
    for name, label, selector in variables:
        for values in (one, every):
            try:
                got[name, values is one] = prom.label_values(label, fill(selector,
                                                                         {**common, **values}))
            except nstest.TestFailure as e:
                c.check(False, f"variable {name}: {e}")
    c.check({bad, good} <= set(got.get(("netns", False), [])),
            f"variable netns (All) lists both namespaces: {got.get(('netns', False))}")
    c.check(LISTENER in got.get(("listener", True), []),
            f"variable listener (netns {bad}) lists {LISTENER}: {got.get(('listener', True))}")

    with_data = 0
    for where, expr in targets:
        for values in (one, every):
            q = fill(expr, {**common, **values})
            try:
                r = prom.query(q)
            except nstest.TestFailure as e:
                c.check(False, f"{where}: {e}")
                continue
            with_data += bool(r)
            if values is one and "$listener" in expr:
                c.check(any(s.get("listener") == LISTENER for s, _ in r),
                        f"{where}: no series for {LISTENER}: {q} -> {r}")
    log(f"  dashboard: {len(targets)} queries x 2 evaluated, {with_data} with data")
    c.check(with_data > len(targets), f"dashboard: only {with_data} of {2 * len(targets)} "
                                      f"evaluations returned data")


if __name__ == "__main__":
    nstest.run_main(main)

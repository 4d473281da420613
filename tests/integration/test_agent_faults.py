#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`tcpscope agent` under faults: bad start-up input, statsd down then up, SIGHUP reloads.

Checks:
* a bad flag or config (unknown flag, intervals out of 100ms..24h or not dividing, mtu out of
  64..65507, bad ports, bad log level, unknown threshold, missing config file, unknown key,
  wrong type, out-of-range value, TOML syntax error): exit 2 within 5 s, exactly one stderr line
  `tcpscope: error: ...` (naming the key and its line for config errors), nothing on stdout,
  nothing started (no JSON-lines file created, no datagram sent); `tcpscope agent` runs
  tcpscope-agent with the same arguments (exit 2 on a bad flag, a --once collection works);
* statsd down: the agent keeps ticking, tcpscope_agent_statsd_packets_total{result="dropped"}
  rises; once a real statsd server starts on the port, the values arrive (sockets = ss) and
  `sent` rises;
* SIGHUP: `--config FILE --max-listeners 3`; a bad file (unknown key, plus changes) is rejected
  as a whole: the running configuration stays, the agent keeps running and counts a config
  error; a good file's change (a doctor threshold) takes effect while the flag still wins over
  the file's max_listeners; SIGTERM exits 0.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_harness as ah  # noqa: E402
import nstest  # noqa: E402


def check_bad_start(c, binary, tcpscope, h, cap, ns):
    cfgdir = os.path.join(h.tmp, "cfg")
    os.makedirs(cfgdir)

    def cfg(name, text):
        p = os.path.join(cfgdir, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    # (args, words the message must contain)
    cases = [
        (["--bogus"], ["bogus"]),
        (["--interval", "0s"], ["interval"]),
        (["--interval", "50ms"], ["interval"]),
        (["--interval", "25h"], ["interval"]),
        (["--interval", "ten"], ["interval"]),
        (["--interval", "10s", "--listener-interval", "3s"], ["listener"]),
        (["--statsd-mtu", "63"], ["mtu"]),
        (["--statsd-mtu", "65508"], ["mtu"]),
        (["--statsd", "127.0.0.1:70000"], ["statsd"]),
        (["--prometheus", "70000"], ["prometheus"]),
        (["--max-listeners", "many"], ["max-listeners"]),
        (["--log-level", "chatty"], ["log"]),
        (["--threshold", "no-such-threshold=5"], ["no-such-threshold"]),
        (["--config", os.path.join(cfgdir, "missing.toml")], ["missing.toml"]),
        (["--config", cfg("unknown.toml", 'interval = "2s"\nmax_listeners = 5\n'
                                          'bogus_key = 1\n')], ["bogus_key", "3"]),
        (["--config", cfg("type.toml", 'interval = "2s"\nmax_listeners = "many"\n')],
         ["max_listeners", "2"]),
        (["--config", cfg("range.toml", '[statsd]\nmtu = 10\n')], ["mtu", "2"]),
        (["--config", cfg("interval.toml", '\n\ninterval = "25h"\n')], ["interval", "3"]),
        (["--config", cfg("syntax.toml", 'interval = "2s"\n[statsd\naddress = 1\n')], []),
        (["--config", cfg("nested.toml", '[statsd]\nprefix = "x"\nbogus = true\n')],
         ["bogus", "3"]),
    ]
    for i, (bad, words) in enumerate(cases):
        jl = os.path.join(h.tmp, f"bad{i}.jsonl")
        cmd = [binary, "--netns", ns.name, "--statsd", f"127.0.0.1:{cap.port}", "--jsonl",
               jl] + bad
        what = " ".join(bad).replace(cfgdir + "/", "")
        nstest.log("+ " + " ".join(cmd))
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:  # subprocess.run killed it (our own child)
            c.check(False, f"{what}: still running after 5 s (should exit 2)")
            continue
        c.eq(p.returncode, 2, f"{what}: exit status (stderr {p.stderr.strip()!r})")
        lines = p.stderr.splitlines()
        c.check(len(lines) == 1 and lines[0].startswith("tcpscope: error: "),
                f"{what}: stderr should be one line 'tcpscope: error: ...', got {p.stderr!r}")
        msg = lines[0] if lines else ""
        for w in words:
            c.check(w in msg, f"{what}: message should name {w!r}: {msg!r}")
        c.eq(p.stdout, "", f"{what}: stdout")
        c.check(not os.path.exists(jl), f"{what}: the JSON-lines file was created")
    # Every run has exited: whatever it sent is queued before our marker.
    c.eq(len(cap.barrier()), 0, "bad start-up input: datagrams were sent")

    # `tcpscope agent` is the same program.
    p = nstest.run([tcpscope, "agent", "--bogus"], check=False, timeout=10)
    c.eq(p.returncode, 2, "tcpscope agent --bogus: exit status")
    c.check(len(p.stderr.splitlines()) == 1 and p.stderr.startswith("tcpscope: error: "),
            f"tcpscope agent --bogus: stderr {p.stderr!r}")
    p = nstest.run([tcpscope, "agent", "--once", "--jsonl", "-", "--statsd", "none", "--netns",
                    ns.name], check=False, timeout=30)
    c.eq(p.returncode, 0, f"tcpscope agent --once: exit status ({p.stderr.strip()[-200:]})")
    ticks = ah.parse_ticks(p.stdout) if p.returncode == 0 else []
    c.check(len(ticks) == 1 and ah.sample(ticks[0], "tcpscope_listeners", netns=ns.name) == 5,
            f"tcpscope agent --once: {p.stdout[:300]!r}")


def check_statsd_down_up(c, binary, h, ns, counts):
    sport = ah.free_port_both()
    hport = ah.free_port()
    agent = h.agent(binary, ["--netns", ns.name, "--statsd", f"127.0.0.1:{sport}",
                             "--statsd-mtu", "512", "--prometheus", f"127.0.0.1:{hport}",
                             "--interval", "1s"], tag="statsd-down")

    def scrape():
        return ah.scrape(hport, agent)

    def val(f, name, **l):
        return ah.prom_value(f, name, **l) if f else None

    f0 = ah.wait_until(lambda: (lambda f: f if val(f, "tcpscope_agent_collections_total",
                                                   netns=ns.name, kind="full") else None)(scrape()),
                       10, 0.2, "first scrape")
    if not f0:
        agent.fail("no /metrics with statsd down")
    # Keeps ticking (two more collections) and counts the drops, with nobody on the port.
    col0 = val(f0, "tcpscope_agent_collections_total", netns=ns.name, kind="full")
    _, f1 = ah.scrape_until(hport, agent, lambda f: (
        val(f, "tcpscope_agent_collections_total", netns=ns.name, kind="full") or 0) >= col0 + 2
        and (val(f, "tcpscope_agent_statsd_packets_total", result="dropped") or 0) > 0, 15,
        "statsd down: collections_total +2 and statsd packets dropped > 0")
    col1 = val(f1, "tcpscope_agent_collections_total", netns=ns.name, kind="full")
    c.check(col1 - col0 >= 2, f"statsd down: collections_total went {col0} -> {col1}")
    d1 = val(f1, "tcpscope_agent_statsd_packets_total", result="dropped")
    c.check(d1 is not None and d1 > 0, f"statsd down: packets dropped = {d1}, want > 0")

    sd = h.statsd(port=sport)
    t_up = time.time()
    est = ah.graphite("tcpscope", ns.name, "sockets", "tcp", "established")

    def arrived():
        got = sd.received()[0].get(est)
        return got[0] if got and got[1] == "g" else None
    got = ah.wait_until(arrived, 15, 0.2, "values at statsd")
    c.eq(got, counts[("tcp", "established")], f"statsd up: {est} arrived (ss's count)")
    s1 = val(f1, "tcpscope_agent_statsd_packets_total", result="sent") or 0
    _, f2 = ah.scrape_until(hport, agent, lambda f: (
        val(f, "tcpscope_agent_statsd_packets_total", result="sent") or 0) > s1, 15,
        "statsd up: tcpscope_agent_statsd_packets_total{result=sent} rises")
    s2 = val(f2, "tcpscope_agent_statsd_packets_total", result="sent")
    c.check(s2 is not None and s2 > s1, f"statsd up: packets sent {s1} -> {s2}")
    n_after = len(ah.wait_until(lambda: (lambda p: p if len(p) >= 2 else None)(
        [1 for t, _ in sd.packets() if t >= t_up]), 15, 0.2, "2 datagrams at statsd") or [])
    c.check(n_after >= 2, f"statsd up: only {n_after} datagrams arrived")
    c.eq(agent.stop(), 0, "statsd down/up: exit status after SIGTERM")


def check_sighup(c, binary, h, ns):
    port = ah.free_port()
    path = os.path.join(h.tmp, "agent.toml")

    def write(text):
        with open(path + ".new", "w") as f:
            f.write(text)
        os.replace(path + ".new", path)

    base = (f'interval = "1s"\nnetns = ["{ns.name}"]\nmax_listeners = 50\nlog_level = "info"\n'
            f'[statsd]\naddress = ""\n[prometheus]\nlisten = "127.0.0.1:{port}"\n')
    write(base)
    agent = h.agent(binary, ["--config", path, "--max-listeners", "3"], tag="sighup")

    def scrape():
        return ah.scrape(port, agent)

    def state(f):
        if not f:
            return None
        return (ah.prom_value(f, "tcpscope_listeners_dropped", netns=ns.name),
                ah.prom_value(f, "tcpscope_doctor_finding", netns=ns.name,
                              check="accept-queue-saturated"),
                ah.prom_value(f, "tcpscope_agent_errors_total", kind="config") or 0)

    f = ah.wait_until(lambda: (lambda f: f if state(f) and state(f)[0] is not None else None)(
        scrape()), 10, 0.2, "first scrape")
    if not f:
        agent.fail("no /metrics from the config file's prometheus.listen")
    c.eq(state(f)[:2], (2, 1), "start: listeners_dropped (flag 3 wins over the file's 50), "
                               "accept-queue-saturated")
    errors0 = state(f)[2]

    # A bad file: nothing of it applies.
    write(base.replace("max_listeners = 50", "max_listeners = 1")
          + '[doctor]\naccept-queue-fill = 200\n' + "[jsonl]\nno_such_key = 1\n")
    agent.signal(signal.SIGHUP)
    # The rejected reload shows as a config error in the first tick after it; that tick also
    # shows the configuration that stayed.
    f = ah.wait_until(lambda: (lambda f: f if state(f) and state(f)[2] > errors0 else None)(
        scrape()), 15, 0.2, "config error after the bad file") or scrape()
    c.check(agent.alive(), "the agent died on SIGHUP with a bad file")
    st = state(f)
    c.eq(st[:2] if st else None, (2, 1), "after a bad file: the old configuration stays")
    c.check(st is not None and st[2] > errors0,
            f"after a bad file: tcpscope_agent_errors_total{{kind=config}} {errors0} -> "
            f"{st and st[2]}")
    c.check("no_such_key" in agent.stderr(), "the bad file's error is not logged on stderr")

    # A good file: its change applies; the flag still wins.
    write(base.replace("max_listeners = 50", "max_listeners = 1")
          + '[doctor]\naccept-queue-fill = 200\n')
    agent.signal(signal.SIGHUP)
    st = ah.wait_until(lambda: (lambda s: s if s and s[1] == 0 else None)(state(scrape())), 15,
                       0.2, "reload")
    st = st or state(scrape())
    c.eq(st[:2] if st else None, (2, 0), "after a good file: listeners_dropped (flag wins), "
                                         "accept-queue-saturated (threshold 200 from the file)")
    c.eq(agent.stop(), 0, "SIGHUP: exit status after SIGTERM")


def main():
    args = nstest.parse_args(__doc__)
    binary = ah.agent_path(args)
    c = nstest.Checker()
    with nstest.netns("ag-fault") as ns, ah.Harness() as h:
        ah.std_agent_table(ns, args.tablegen)
        counts, _ = ah.check_std_table(ns)
        cap = h.udp_capture()
        check_bad_start(c, binary, args.tcpscope, h, cap, ns)
        check_statsd_down_up(c, binary, h, ns, counts)
        check_sighup(c, binary, h, ns)
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

# SPDX-License-Identifier: MIT
"""Helpers for the `tcpscope agent` integration tests (stdlib only).

What they start, always inside `with Harness() as h:` so that every process is stopped (SIGTERM,
then SIGKILL, by pid) and every temporary file removed even when a check fails:

* the agent: `h.agent([...])` runs `tcpscope-agent` (next to `tcpscope`) as a subprocess with
  stdout and stderr going to files; `Agent.ticks()` parses its `--jsonl` output;
* a real statsd server: `h.statsd()` runs the npm `statsd` (scripts/setup installs it into
  /opt/tcpscope-test/statsd, TCPSCOPE_STATSD_DIR overrides) under node on a free 127.0.0.1 port
  with the console backend, `dumpMessages`, a short flush interval and a small recorder backend
  that appends every datagram it receives and every flush (the server's own parsed counters,
  gauges and timer counts) to a JSON-lines file;
* a UDP capture socket: `h.udp_capture()` gets the agent's raw datagrams;
* a real Prometheus: `h.prometheus(target)` scrapes `target` every second on a free port with its
  own TSDB directory, evaluating the rule files it is given every second; `Prometheus.query()`
  runs PromQL through /api/v1/query, `Prometheus.alerts()` lists the pending and firing alerts;
* any other background process (a load generator): `h.process(argv, tag)`.

Plus parsers for statsd lines and the Prometheus text format, ss/nstat readers and the naming
rules of docs/agent.md (statsd paths, counter names).
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import nstest
from nstest import TestFailure, log

STATSD_DIR = os.environ.get("TCPSCOPE_STATSD_DIR", "/opt/tcpscope-test/statsd")

# The default counters of docs/agent.md, as nstat names.
DEFAULT_COUNTERS = [
    "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtSyncookiesSent", "TcpExtSyncookiesRecv",
    "TcpExtSyncookiesFailed", "TcpExtTCPSynRetrans", "TcpExtTCPTimeouts", "TcpExtPruneCalled",
    "TcpExtTW", "TcpExtTCPTimeWaitOverflow", "TcpExtTCPReqQFullDrop", "TcpExtTCPReqQFullDoCookies",
    "TcpExtTCPAbortOnMemory", "TcpExtTCPAbortOnTimeout", "TcpExtTCPBacklogDrop",
    "TcpExtTCPMemoryPressures",
    "TcpRetransSegs", "TcpOutSegs", "TcpAttemptFails", "TcpEstabResets", "TcpActiveOpens",
    "TcpPassiveOpens", "TcpInErrs", "TcpOutRsts",
]

# ss state names -> the agent's `state` label values (the project's state keys).
SS_STATE_KEYS = {
    "ESTAB": "established", "SYN-SENT": "syn-sent", "SYN-RECV": "syn-recv",
    "FIN-WAIT-1": "fin-wait-1", "FIN-WAIT-2": "fin-wait-2", "TIME-WAIT": "time-wait",
    "UNCONN": "close", "CLOSE-WAIT": "close-wait", "LAST-ACK": "last-ack", "LISTEN": "listen",
    "CLOSING": "closing",
}
TCP_STATE_KEYS = ["established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait",
                  "close", "close-wait", "last-ack", "listen", "closing"]


# ---------------------------------------------------------------------------------------------
# Small utilities


def agent_path(args):
    """tcpscope-agent next to the tcpscope binary given by --tcpscope."""
    p = os.path.join(os.path.dirname(args.tcpscope), "tcpscope-agent")
    if not os.access(p, os.X_OK):
        raise TestFailure(f"{p} is not an executable (the agent is built next to tcpscope)")
    return p


def free_port(kind=socket.SOCK_STREAM, family=socket.AF_INET, host="127.0.0.1"):
    """A port that was free a moment ago (bind to port 0, read it back, close)."""
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_port_both(host="127.0.0.1"):
    """A port free for both TCP and UDP."""
    for _ in range(50):
        p = free_port(socket.SOCK_STREAM, host=host)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind((host, p))
            return p
        except OSError:
            continue
    raise TestFailure("no port free for both TCP and UDP")


# Waiting: the agent tests wait for a condition (a value in /metrics, n ticks in the JSON lines,
# n ticks at the statsd socket) with a deadline, never for a fixed time, so that they hold on a
# loaded machine and under sanitizers. Deadlines are generous: they cost nothing when the
# condition comes quickly. Scale them with TCPSCOPE_TEST_TIME_SCALE (e.g. 3 under valgrind).
TIME_SCALE = float(os.environ.get("TCPSCOPE_TEST_TIME_SCALE", "1"))


def wait_until(fn, timeout, interval=0.1, what="condition"):
    """Calls fn() until it returns a truthy value; returns it, or the last value on timeout."""
    deadline = time.monotonic() + timeout * TIME_SCALE
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= deadline:
            log(f"  wait_until: {what} not reached in {timeout * TIME_SCALE:g}s")
            return last
        time.sleep(interval)


def wait_for(fn, timeout, what, interval=0.1):
    """wait_until that fails the test (naming `what` and the last value) on timeout."""
    seen = []

    def probe():
        v = fn()
        seen[:] = [v]
        return v
    v = wait_until(probe, timeout, interval, what)
    if not v:
        raise TestFailure(f"{what}: not reached in {timeout * TIME_SCALE:g} s "
                          f"(last: {seen[0] if seen else None!r:.300})")
    return v


def http_request(url, method="GET", timeout=5, data=None, headers=None):
    """(status, headers dict with lower-case keys, body bytes); HTTP errors are returned too."""
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        body = e.read() if e.fp else b""
        return e.code, {k.lower(): v for k, v in e.headers.items()}, body


def metrics_text(port, host="127.0.0.1", timeout=5):
    status, hdrs, body = http_request(f"http://{host}:{port}/metrics", timeout=timeout)
    if status != 200:
        raise TestFailure(f"GET /metrics: status {status}")
    return body.decode()


def scrape_until(port, agent, fn, timeout, what):
    """Scrapes /metrics until fn(parsed) is truthy; returns (fn's value, parsed). Fails the test
    (with the agent's stderr) on timeout."""
    box = {}

    def probe():
        f = scrape(port, agent)
        v = fn(f) if f else None
        if v:
            box["f"] = f
        return v
    v = wait_until(probe, timeout, 0.1, what)
    if not v:
        agent.fail(f"{what}: not reached in {timeout * TIME_SCALE:g} s")
    return v, box["f"]


def metric_at_least(name, want, **labels):
    """A predicate for scrape_until: the value of `name` once it is >= want."""
    def pred(f):
        v = prom_value(f, name, **labels)
        return v if v is not None and v >= want else None
    return pred


def scrape(port, agent=None, timeout=3):
    """Parsed /metrics (parse_prom), or None when it does not answer or is still empty (before
    the first tick). Fails when `agent` has exited."""
    if agent is not None and not agent.alive():
        agent.fail(f"the agent exited ({agent.proc.returncode})")
    try:
        text = metrics_text(port, timeout=timeout)
    except (OSError, TestFailure):
        return None
    return parse_prom(text) if text else None


# ---------------------------------------------------------------------------------------------
# Naming rules (docs/agent.md)

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def counter_base(nstat_name):
    """TcpExtListenOverflows -> 'tcpext_listen_overflows'; TcpRetransSegs -> 'tcp_retrans_segs'."""
    for group in ("TcpExt", "Tcp", "IpExt", "Ip", "Udp", "Icmp", "MPTcpExt"):
        if nstat_name.startswith(group):
            rest = nstat_name[len(group):]
            return group.lower() + "_" + "_".join(w.lower() for w in _WORD.findall(rest))
    raise ValueError(nstat_name)


def counter_base_variants(nstat_name):
    """The names a reasonable conversion could give (TCPReqQFullDrop: `req_q` or `reqq`)."""
    v = [counter_base(nstat_name)]
    if "ReqQ" in nstat_name:
        v.append(v[0].replace("req_q_", "reqq_"))
    return v


_STATSD_BAD = re.compile(r"[.:/\[\]*% ]")


def statsd_value_part(v):
    return _STATSD_BAD.sub("_", str(v))


def graphite(prefix, netns, name, *labels):
    """PREFIX.NETNS.NAME[.LABEL...] (netns None: the agent's own metrics without netns)."""
    parts = [prefix] + ([statsd_value_part(netns)] if netns is not None else []) + [name]
    parts += [statsd_value_part(v) for v in labels]
    return ".".join(parts)


# statsd line: NAME:VALUE|TYPE[|@RATE][|#TAGS]; the agent sends c and g, and ms (the RTTs of
# closed connections, with a rate when sampled).
STATSD_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]+):(?P<value>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"\|(?P<type>c|g|ms)(?:\|@(?P<rate>(?:0?\.\d+|1)(?:[eE][-+]?\d+)?))?"
    r"(?:\|#(?P<tags>[^|\n]*))?$")


def statsd_rate(line):
    """The sample rate of a statsd line (1.0 without |@), None when not valid statsd syntax."""
    m = STATSD_LINE.match(line)
    if not m:
        return None
    return float(m.group("rate")) if m.group("rate") else 1.0


def parse_statsd_line(line):
    """-> (name, value float, type, tags dict or None), or None when not valid statsd syntax."""
    m = STATSD_LINE.match(line)
    if not m:
        return None
    tags = None
    if m.group("tags") is not None:
        tags = {}
        for t in m.group("tags").split(","):
            k, sep, v = t.partition(":")
            if not k or not sep:
                return None
            tags[k] = v
    return m.group("name"), float(m.group("value")), m.group("type"), tags


def datagram_lines(data):
    """A datagram's lines: separated by \\n, one trailing \\n allowed."""
    text = data.decode("utf-8", errors="replace")
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


# ---------------------------------------------------------------------------------------------
# Prometheus text format 0.0.4

_PROM_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_PROM_SAMPLE = re.compile(rf"^({_PROM_NAME})(\{{.*\}})?\s+(\S+)(\s+-?\d+)?$")


def _parse_labels(text, line):
    """'{a="x",b="y\\"z"}' -> dict; strict about escapes (only \\\\, \\" and \\n)."""
    labels = {}
    i, n = 1, len(text) - 1
    while i < n:
        m = re.compile(r"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*\"").match(text, i)
        if not m:
            raise TestFailure(f"bad label list in {line!r}")
        key = m.group(1)
        i = m.end()
        val = []
        while True:
            if i >= n:
                raise TestFailure(f"unterminated label value in {line!r}")
            ch = text[i]
            if ch == "\\":
                nxt = text[i + 1] if i + 1 < n else ""
                if nxt not in ('\\', '"', 'n'):
                    raise TestFailure(f"bad escape \\{nxt} in {line!r}")
                val.append("\n" if nxt == "n" else nxt)
                i += 2
                continue
            if ch == '"':
                i += 1
                break
            val.append(ch)
            i += 1
        if key in labels:
            raise TestFailure(f"label {key} twice in {line!r}")
        labels[key] = "".join(val)
        m = re.compile(r"\s*,?\s*").match(text, i)
        i = m.end()
    return labels


def parse_prom(text):
    """Parses the exposition and checks what promtool 2.42 does not: every family has HELP and
    TYPE before its samples, its lines are contiguous, every series is unique.
    Returns {family: {"type", "help", "samples": [(name, labels, value)]}}; raises TestFailure."""
    if not text.endswith("\n"):
        raise TestFailure("exposition does not end with a newline")
    fams = {}
    order = []
    current = None
    seen_series = set()
    for line in text.split("\n")[:-1]:
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
                if name != current and name in order:
                    raise TestFailure(f"family {name} is not contiguous (again at {line!r})")
                if name not in order:
                    order.append(name)
                current = name
                key = parts[1].lower()
                if f[key] is not None:
                    raise TestFailure(f"second {parts[1]} for {name}")
                if key == "type" and f["samples"]:
                    raise TestFailure(f"TYPE of {name} after its samples")
                f[key] = parts[3] if len(parts) > 3 else ""
            continue
        m = _PROM_SAMPLE.match(line)
        if not m:
            raise TestFailure(f"cannot parse sample line {line!r}")
        sname, ltext, vtext = m.group(1), m.group(2), m.group(3)
        labels = _parse_labels(ltext, line) if ltext else {}
        try:
            value = float(vtext)
        except ValueError:
            raise TestFailure(f"bad value in {line!r}")
        fam = sname
        for suffix in ("_bucket", "_sum", "_count"):
            if sname not in fams and sname.endswith(suffix) and sname[:-len(suffix)] in fams:
                fam = sname[:-len(suffix)]
        if fam not in fams:
            raise TestFailure(f"sample {sname} without HELP/TYPE")
        if fam != current:
            raise TestFailure(f"sample of {fam} outside its family's block: {line!r}")
        key = (sname, tuple(sorted(labels.items())))
        if key in seen_series:
            raise TestFailure(f"series twice: {line!r}")
        seen_series.add(key)
        fams[fam]["samples"].append((sname, labels, value))
    for name, f in fams.items():
        if f["type"] is None or f["help"] is None:
            raise TestFailure(f"family {name} lacks {'TYPE' if f['type'] is None else 'HELP'}")
    return fams


def prom_values(fams, name, /, **labels):
    """Values of the samples of `name` whose labels include `labels` (a histogram's parts by
    their own names: NAME_bucket, NAME_sum, NAME_count)."""
    out = []
    f = fams.get(name)
    for suffix in ("_bucket", "_sum", "_count"):
        if f is None and name.endswith(suffix):
            f = fams.get(name[:-len(suffix)])
    if not f:
        return out
    for sname, sl, v in f["samples"]:
        if sname == name and all(sl.get(k, "") == str(val) for k, val in labels.items()):
            out.append((sl, v))
    return out


def nonempty(labels):
    """The labels with a value: an empty label value is no label (Prometheus's rule). The agent
    gives every sample of a namespace `container`, `pod` and `k8s_namespace`, empty when the
    namespace has none."""
    return {k: str(v) for k, v in labels.items() if str(v) != ""}


def prom_value(fams, name, /, **labels):
    """The one value of `name` with exactly these labels (empty ones ignored); None if absent."""
    for sl, v in prom_values(fams, name, **labels):
        if nonempty(sl) == nonempty(labels):
            return v
    return None


def promtool_check(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    return p.returncode, (p.stdout + p.stderr).strip()


# ---------------------------------------------------------------------------------------------
# ss / nstat in a namespace


def ss_state_counts(ns):
    """{(protocol, state key): n} from ss -tanH / -uanH (both families)."""
    out = {}
    for proto, flag in (("tcp", "-tanH"), ("udp", "-uanH")):
        for r in nstest.parse_rows(nstest.ss(ns, [flag]), f"ss {flag}"):
            st = SS_STATE_KEYS.get(r.state, r.state)
            if proto == "udp":
                st = {"close": "unconn", "established": "estab"}.get(st, st)
            out[(proto, st)] = out.get((proto, st), 0) + 1
    return out


def ss_listeners(ns):
    """{local address as ss prints it: (Recv-Q, Send-Q)} of the TCP listeners."""
    rows = nstest.parse_rows(nstest.ss(ns, ["-ltnH"]), "ss -ltnH")
    return {r.local: (r.recvq, r.sendq) for r in rows}


def nstat_abs(ns, tmp):
    """Absolute counter values in the namespace (nstat -asz --json; history untouched)."""
    env = ["env", f"NSTAT_HISTORY={tmp}/nstat.hist"]
    p = ns.exec(env + ["nstat", "-asz", "--json"])
    return nstest.read_json(p.stdout, "nstat -asz --json")["kernel"]


def quiet_nstat(ns, tmp, attempts=10):
    """nstat twice until both reads agree (nothing moved in between); returns the values."""
    a = nstat_abs(ns, tmp)
    for _ in range(attempts):
        time.sleep(0.2)
        b = nstat_abs(ns, tmp)
        if a == b:
            return a
        a = b
    raise TestFailure("the namespace's counters keep moving; the test needs a quiet namespace")


# Traffic made inside a namespace (python3 is there anyway): N SYNs to a port whose accept queue
# is full (each connect is closed right away, so each SYN is dropped once and never retransmitted)
# and M complete connections to a listener of its own that accepts and closes them.
TRAFFIC = r"""
import socket, sys, time
syn_port, n_syn, conn_port, n_conn = map(int, sys.argv[1:5])
for _ in range(n_syn):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", syn_port))
    except BlockingIOError:
        pass
    s.close()
if n_conn:
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", conn_port))
    ls.listen(128)
    for _ in range(n_conn):
        c = socket.create_connection(("127.0.0.1", conn_port))
        a, _ = ls.accept()
        c.close()
        a.close()
    ls.close()
time.sleep(0.3)
"""


def traffic(ns, syn_port=0, n_syn=0, conn_port=0, n_conn=0):
    ns.exec(["python3", "-c", TRAFFIC, str(syn_port), str(n_syn), str(conn_port), str(n_conn)],
            timeout=30)


# ---------------------------------------------------------------------------------------------
# Processes


def _stop_popen(p, sig=signal.SIGTERM, grace=10):
    """Stops our own child by pid: sig, then SIGKILL after `grace` seconds. Returns its status."""
    if p.poll() is None:
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log(f"  pid {p.pid} ignored signal {sig}; SIGKILL")
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
    return p.returncode


class Agent:
    def __init__(self, harness, binary, args, tag):
        self.h = harness
        self.args = list(args)
        self.stdout_path = os.path.join(harness.tmp, f"agent-{tag}.out")
        self.stderr_path = os.path.join(harness.tmp, f"agent-{tag}.err")
        cmd = [binary] + self.args
        log("+ " + " ".join(cmd))
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err)
        self.pid = self.proc.pid
        self.started = time.monotonic()
        self.stopped_rc = None

    def alive(self):
        return self.proc.poll() is None

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, grace=10):
        """SIGTERM by pid; returns the exit status (SIGKILL after `grace` s: negative)."""
        if self.stopped_rc is None:
            self.stopped_rc = _stop_popen(self.proc, signal.SIGTERM, grace)
            self._out.close()
            self._err.close()
        return self.stopped_rc

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.stopped_rc = rc
        self._out.close()
        self._err.close()
        return rc

    def fail(self, msg):
        raise TestFailure(f"{msg}\nagent args: {' '.join(self.args)}\n"
                          f"agent stderr (tail): {self.stderr()[-1500:]}")


def parse_ticks(text, what="jsonl"):
    """JSON lines -> list of tick objects; a partial last line (being written) is ignored."""
    ticks = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            ticks.append(json.loads(line))
        except json.JSONDecodeError as e:
            if i == len(lines) - 1:
                break  # not terminated yet
            raise TestFailure(f"{what}: line {i + 1} is not JSON ({e}): {line[:200]!r}")
    return ticks


def tick_time(tick):
    """'2026-11-29T12:00:00.123Z' -> seconds since the epoch (float)."""
    t = tick["time"]
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z", t)
    if not m:
        raise TestFailure(f"tick time {t!r} is not RFC 3339 UTC")
    import calendar
    secs = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    return secs + (float(m.group(7)) if m.group(7) else 0.0)


def samples(tick, name, /, **labels):
    """[(labels, value)] of one tick's samples of `name` whose labels include `labels`."""
    out = []
    for s in tick.get("samples", []):
        if s.get("metric") != name:
            continue
        sl = {k: v for k, v in s.items() if k not in ("metric", "value") and v != ""}
        if all(sl.get(k, "") == v for k, v in labels.items()):
            out.append((sl, s.get("value")))
    return out


def sample(tick, name, /, **labels):
    """The value of the sample with exactly these labels (empty ones ignored), None if absent."""
    for sl, v in samples(tick, name, **labels):
        if sl == nonempty(labels):
            return v
    return None


class StatsdServer:
    """The npm statsd (etsy) server under node, on 127.0.0.1:port (UDP), mgmt on mgmt_port."""

    RECORDER = r"""
const fs = require('fs');
exports.init = function (startupTime, config, events) {
  const out = config.tcpscopeRecorder.path;
  const put = (o) => fs.appendFileSync(out, JSON.stringify(o) + '\n');
  events.on('packet', function (msg, rinfo) {
    put({kind: 'packet', t: Date.now() / 1000, len: msg.length, data: msg.toString('latin1')});
  });
  events.on('flush', function (ts, m) {
    put({kind: 'flush', t: Date.now() / 1000, counters: m.counters, gauges: m.gauges,
         timer_counters: m.timer_counters});
  });
  return true;
};
"""

    def __init__(self, harness, port=None, flush_ms=500):
        self.h = harness
        stats_js = os.path.join(STATSD_DIR, "node_modules", "statsd", "stats.js")
        if not os.path.exists(stats_js):
            raise TestFailure(f"statsd is not installed ({stats_js} missing): run scripts/setup")
        node = shutil.which("node") or shutil.which("nodejs")
        if not node:
            raise TestFailure("node is not installed: run scripts/setup")
        self.port = port or free_port_both()
        self.mgmt_port = free_port()
        d = tempfile.mkdtemp(prefix="statsd-", dir=harness.tmp)
        self.record_path = os.path.join(d, "record.jsonl")
        recorder = os.path.join(d, "recorder.js")
        with open(recorder, "w") as f:
            f.write(self.RECORDER)
        cfg = {
            "port": self.port, "address": "127.0.0.1",
            "mgmt_address": "127.0.0.1", "mgmt_port": self.mgmt_port,
            "backends": ["./backends/console", recorder],
            "flushInterval": flush_ms, "dumpMessages": True, "debug": False,
            "console": {"prettyprint": False}, "automaticConfigReload": False,
            "deleteIdleStats": False,
            "tcpscopeRecorder": {"path": self.record_path},
        }
        cfg_path = os.path.join(d, "config.js")
        with open(cfg_path, "w") as f:
            f.write(json.dumps(cfg))
        self.log_path = os.path.join(d, "statsd.log")
        self._log = open(self.log_path, "wb")
        cmd = [node, stats_js, cfg_path]
        log("+ " + " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=d)
        if not wait_until(self._up, 15, 0.1, "statsd up"):
            raise TestFailure(f"statsd did not start: {self.log()[-1000:]}")

    def _up(self):
        if self.proc.poll() is not None:
            raise TestFailure(f"statsd exited {self.proc.returncode}: {self.log()[-1000:]}")
        try:
            return "health: up" in self.mgmt("health", timeout=1)
        except OSError:
            return False

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def mgmt(self, cmd, timeout=3):
        """One command on the management port; the reply text (up to END or the health line)."""
        with socket.create_connection(("127.0.0.1", self.mgmt_port), timeout=timeout) as s:
            s.sendall((cmd + "\n").encode())
            buf = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if b"END" in buf or (cmd.startswith("health") and b"\n" in buf):
                    break
            return buf.decode(errors="replace")

    def records(self):
        if not os.path.exists(self.record_path):
            return []
        return parse_ticks(open(self.record_path, "rb").read().decode("latin1"), "recorder")

    def packets(self):
        """[(arrival time, raw bytes)] of every datagram received (barrier markers left out)."""
        return [(r["t"], r["data"].encode("latin1")) for r in self.records()
                if r["kind"] == "packet" and not r["data"].startswith(BARRIER.decode())]

    def sync(self, timeout=15):
        """Returns once every datagram sent to the server before this call has been received
        and flushed: sends a counter of our own and waits for the flush that carries it."""
        marker = _next_barrier()
        key = marker.split(b":")[0].decode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(marker, ("127.0.0.1", self.port))
        wait_for(lambda: any(f["counters"].get(key) for f in self.flushes()), timeout,
                 f"the statsd server's flush of our marker {key}")

    def flushes(self):
        return [r for r in self.records() if r["kind"] == "flush"]

    def received(self):
        """What arrived, parsed: {name: (last value, type, tags)} and {counter name: sum of its
        values}. Lines that are not statsd syntax are collected under None."""
        last, sums, bad = {}, {}, []
        for _, data in self.packets():
            for line in datagram_lines(data):
                p = parse_statsd_line(line)
                if p is None:
                    bad.append(line)
                    continue
                name, value, typ, tags = p
                key = name if not tags else (name, tuple(sorted(tags.items())))
                last[key] = (value, typ, tags)
                if typ == "c":
                    sums[key] = sums.get(key, 0) + value
        if bad:
            last[None] = bad
        return last, sums

    def stop(self):
        rc = _stop_popen(self.proc, signal.SIGTERM, 5)
        self._log.close()
        return rc


def _global_line(line, prefix):
    """True for a line of the agent's own metrics (no namespace): Graphite
    `PREFIX.agent_...`, or a DogStatsD line without a netns tag."""
    p = parse_statsd_line(line)
    if p is None:
        return False
    name, _, _, tags = p
    if tags is not None:
        return "netns" not in tags
    return name.startswith(prefix + ".agent_")


def group_by_tick(packets, prefix="tcpscope"):
    """Splits [(t, data)] into one group per tick by content, whatever the arrival times: the
    agent emits a tick's namespace lines first and its own metrics last (agent.cpp, run_tick),
    and flushes the last datagram at the end of the tick, so a datagram never mixes two ticks.
    A tick thus starts at a datagram that opens with a namespace line after one that ended with
    an agent line. (Needs a namespace in every tick and an mtu the agent's lines fit in.)"""
    groups = []
    prev_global = True
    for t, d in packets:
        lines = [x for x in datagram_lines(d) if x]
        if not lines:
            continue
        if not groups or (prev_global and not _global_line(lines[0], prefix)):
            groups.append([])
        groups[-1].append((t, d))
        prev_global = _global_line(lines[-1], prefix)
    return groups


# A statsd counter line of our own, sent after the agent's datagrams to know they have all been
# read (and, by the statsd server, flushed).
BARRIER = b"tcpscope_test_barrier"
_barriers = [0]


def _next_barrier():
    _barriers[0] += 1
    return BARRIER + f"_{os.getpid()}_{_barriers[0]}:1|c".encode()


def group_by_gap(packets, gap=0.3):
    """Splits [(t, data)] into bursts separated by at least `gap` seconds (one burst a tick).
    Depends on arrival times: prefer group_by_tick."""
    groups = []
    last = None
    for t, d in packets:
        if last is None or t - last > gap:
            groups.append([])
        groups[-1].append((t, d))
        last = t
    return groups


class UdpCapture:
    """Our own UDP socket on 127.0.0.1: the agent's datagrams as they are sent, read by a thread
    (with their arrival times, so that they can be grouped into ticks)."""

    def __init__(self, harness):
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 8 << 20)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._got = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        harness._closers.append(self.close)

    def _run(self):
        while not self._stop.is_set():
            try:
                data = self.sock.recv(70000)
            except socket.timeout:
                continue
            except OSError:
                break
            with self._lock:
                self._got.append((time.time(), data))

    def packets(self):
        """[(arrival time, bytes)] so far (barrier markers left out)."""
        with self._lock:
            return [(t, d) for t, d in self._got if not d.startswith(BARRIER)]

    def barrier(self, timeout=10):
        """Returns once every datagram sent to us before this call has been read: sends a marker
        to ourselves and waits for it (one socket's queue is first in, first out)."""
        marker = _next_barrier()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(marker, ("127.0.0.1", self.port))

        def seen():
            with self._lock:
                return any(d == marker for _, d in self._got)
        wait_for(seen, timeout, "our own marker datagram at the UDP capture")
        return self.packets()

    def clear(self):
        with self._lock:
            self._got = []

    def wait_ticks(self, n, timeout, prefix="tcpscope"):
        """Waits until datagrams of n ticks arrived (group_by_tick); returns the groups."""
        return wait_for(lambda: (lambda g: g if len(g) >= n else None)(
            group_by_tick(self.packets(), prefix)), timeout, f"{n} ticks at the UDP capture")

    def wait_quiet(self, quiet=0.5, timeout=10):
        """Waits until nothing arrived for `quiet` seconds; returns the packets."""
        deadline = time.monotonic() + timeout
        n = -1
        while time.monotonic() < deadline:
            cur = len(self.packets())
            if cur == n:
                break
            n = cur
            time.sleep(quiet)
        return self.packets()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class Prometheus:
    """A real Prometheus scraping `targets` every second and evaluating `rule_files` (absolute
    paths) every second."""

    def __init__(self, harness, targets, job="tcpscope-agent", rule_files=()):
        prom = shutil.which("prometheus")
        if not prom:
            raise TestFailure("prometheus is not installed: run scripts/setup")
        self.job = job
        self.port = free_port()
        d = tempfile.mkdtemp(prefix="prometheus-", dir=harness.tmp)
        cfg = os.path.join(d, "prometheus.yml")
        tl = ", ".join(f"'{t}'" for t in targets)
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    f"scrape_configs:\n  - job_name: '{job}'\n"
                    f"    static_configs:\n      - targets: [{tl}]\n")
            if rule_files:
                f.write("rule_files:\n" + "".join(f"  - '{r}'\n" for r in rule_files))
        self.log_path = os.path.join(d, "prometheus.log")
        self._log = open(self.log_path, "wb")
        cmd = [prom, f"--config.file={cfg}", f"--storage.tsdb.path={d}/data",
               f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"]
        log("+ " + " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=d)
        if not wait_until(self._ready, 30, 0.2, "prometheus ready"):
            raise TestFailure(f"prometheus did not get ready: {self.log()[-1500:]}")

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def _ready(self):
        if self.proc.poll() is not None:
            raise TestFailure(f"prometheus exited {self.proc.returncode}: {self.log()[-1500:]}")
        try:
            return http_request(f"http://127.0.0.1:{self.port}/-/ready", timeout=1)[0] == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?" + urllib.parse.urlencode(params)
        status, _, body = http_request(url, timeout=10)
        d = json.loads(body)
        if status != 200 or d.get("status") != "success":
            raise TestFailure(f"prometheus {path} {params}: {status} {body[:300]!r}")
        return d["data"]

    def query(self, expr):
        """Instant vector -> [(labels, float value)]."""
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def wait_value(self, expr, want, timeout=10):
        """Polls until `expr` gives exactly one value equal to `want`; returns what it saw."""
        seen = wait_until(lambda: (lambda r: r if len(r) == 1 and r[0][1] == want else None)(
            self.query(expr)), timeout, 0.3, f"{expr} == {want}")
        return seen or self.query(expr)

    def targets(self):
        return self.api("targets")["activeTargets"]

    def alerts(self):
        """Pending and firing alerts: [{"labels", "annotations", "state", "value", ...}]."""
        return self.api("alerts")["alerts"]

    def label_values(self, label, match):
        """Values of `label` on the series `match` selects (Grafana's label_values())."""
        return self.api(f"label/{urllib.parse.quote(label)}/values", **{"match[]": match})

    def stop(self):
        rc = _stop_popen(self.proc, signal.SIGTERM, 10)
        self._log.close()
        return rc


class Harness:
    """Owns a temporary directory and every process started through it."""

    def __init__(self):
        self.tmp = None
        self._procs = []  # (name, stop callable)
        self._closers = []

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="tcpscope-agent-it-")
        return self

    def __exit__(self, *exc):
        for name, stop in reversed(self._procs):
            try:
                stop()
            except Exception as e:  # keep stopping the others
                log(f"  stopping {name}: {e}")
        for c in self._closers:
            try:
                c()
            except OSError:
                pass
        if self.tmp and not os.environ.get("TCPSCOPE_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def agent(self, binary, args, tag="agent"):
        a = Agent(self, binary, args, tag)
        self._procs.append((f"agent {tag}", a.stop))
        return a

    def statsd(self, port=None, flush_ms=500):
        s = StatsdServer(self, port, flush_ms)
        self._procs.append(("statsd", s.stop))
        return s

    def prometheus(self, targets, rule_files=()):
        p = Prometheus(self, targets, rule_files=rule_files)
        self._procs.append(("prometheus", p.stop))
        return p

    def process(self, argv, tag):
        """Any other background process of a test (a load generator), with its output in files
        and stopped like the agent (SIGTERM, then SIGKILL, by pid)."""
        p = Agent(self, argv[0], argv[1:], tag)
        self._procs.append((tag, p.stop))
        return p

    def udp_capture(self):
        return UdpCapture(self)

    def wait_ticks(self, agent, path, n, timeout):
        """Waits until the agent's JSON-lines file at `path` holds n ticks; returns them."""
        def got():
            if not agent.alive():
                agent.fail(f"the agent exited ({agent.proc.returncode}) while waiting for ticks")
            if not os.path.exists(path):
                return None
            t = parse_ticks(open(path, "rb").read().decode(errors="replace"), path)
            return t if len(t) >= n else None
        ticks = wait_until(got, timeout, 0.05, f"{n} ticks")
        if not ticks:
            have = parse_ticks(open(path).read()) if os.path.exists(path) else []
            agent.fail(f"only {len(have)} of {n} ticks in {timeout}s")
        return ticks


def read_ticks(path):
    if not os.path.exists(path):
        return []
    return parse_ticks(open(path, "rb").read().decode(errors="replace"), path)


def std_agent_table(ns, tablegen):
    """The table the agent tests share (all IPv4/IPv6 loopback, quiet once built):
    127.0.0.1:7401 backlog 64 accepting: 3 established pairs, 4 TIME-WAIT clients;
    127.0.0.1:7402 backlog 4 never accepting, 5 connects: accept queue 5 = limit 4 + 1 (full),
    no client left in SYN-SENT (nothing retransmits);
    [::1]:7403: 2 established pairs; dual-stack [::]:7404 with no connection;
    127.0.0.1%lo:7405 (bound to lo) with 1 pair;
    UDP 127.0.0.1:7501 unconnected, 127.0.0.1:7502 connected to 7501.
    Returns the tablegen process."""
    ns.sysctl("net.ipv4.tcp_tw_reuse", 0)
    return ns.tablegen(tablegen, [
        "--listen", "127.0.0.1,7401,backlog=64",
        "--connect", "127.0.0.1,7401,count=3",
        "--connect", "127.0.0.1,7401,count=4,mode=timewait",
        "--listen", "127.0.0.1,7402,backlog=4,noaccept",
        "--connect", "127.0.0.1,7402,count=5,mode=pending",
        "--listen", "::1,7403",
        "--connect", "::1,7403,count=2",
        "--listen", "::,7404,v6only=0",
        "--listen", "127.0.0.1,7405,dev=lo",
        "--connect", "127.0.0.1,7405,dev=lo",
        "--udp", "127.0.0.1,7501",
        "--udp", "127.0.0.1,7502,peer=7501",
    ])


# Listener label values of std_agent_table (docs/agent.md: `127.0.0.1:8080`, `[::]:443`,
# `*:22` for a dual-stack wildcard, `%ifname` before the port for a device-bound listener, as ss
# prints it), with the ss address that shows the same listener.
STD_LISTENERS = {
    "127.0.0.1:7401": "127.0.0.1:7401",
    "127.0.0.1:7402": "127.0.0.1:7402",
    "[::1]:7403": "[::1]:7403",
    "*:7404": "*:7404",
    "127.0.0.1%lo:7405": "127.0.0.1%lo:7405",
}


def check_std_table(ns):
    """Fails (as an environment problem) when ss does not show what std_agent_table builds."""
    counts = ss_state_counts(ns)
    want = {("tcp", "listen"): 5, ("tcp", "established"): 3 * 2 + 5 * 2 + 2 * 2 + 2,
            ("tcp", "time-wait"): 4, ("udp", "unconn"): 1, ("udp", "estab"): 1}
    if counts != want:
        raise TestFailure(f"the table is not what tablegen should have built (ss view):\n"
                          f"  got  {sorted(counts.items())}\n  want {sorted(want.items())}")
    ls = ss_listeners(ns)
    if ls.get("127.0.0.1:7402") != (5, 4):
        raise TestFailure(f"listener 7402 should show Recv-Q 5 Send-Q 4 in ss: {ls}")
    return counts, ls

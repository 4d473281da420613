#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Network namespaces made the ways container runtimes make them: each found once, named as
operators know it, with the counts ss shows in it.

The namespaces (each holds a table built by tablegen: one listener and N loopback connections, N
different in each):
* `cni`: bind-mounted under /var/run/netns as containerd's CNI plugin does, held by a "pause"
  process in a Kubernetes pod's cgroup (kubepods.slice/.../kubepods-burstable-pod<UID>.slice/
  cri-containerd-<ID>.scope) whose log directory prod_api-<PID>_<UID> is in a fake /var/log/pods:
  label its name, pod prod/api-<PID>, container the id's first 12 hex digits;
* `docker`: held by a process only (unshare -n), in system.slice/docker-<ID>.scope, named
  web-<PID> by a fake /var/lib/docker/containers/<ID>/config.v2.json: label web-<PID>;
* `crio`: held by a process only, created inside a parent namespace whose
  net.ipv4.tcp_child_ehash_entries was set to 1024 (restored to 0 once its children exist): a
  hash of its own; in kubepods.slice/kubepods-pod<UID2>.slice/crio-<ID2>.scope, pod
  kube-system/dns-<PID>;
* `podman`: process only, machine.slice/libpod-<ID3>.scope/container;
* `lxc`: process only, lxc.payload.box-<PID>;
* `nspawn`: process only, machine.slice/machine-vm\\x2d<PID>.scope;
* `bare`: process only, in no container's cgroup: label pid:<its pid>;
* `own`: created in the parent too (a hash of its own), bind-mounted under /var/run/netns.
The cgroups live under a root of the test's own in the host's cgroup2 hierarchy (mounted in a
private mount namespace when the host has none); the fake kubelet and docker trees are under the
test's temporary directory, given through TCPSCOPE_POD_LOG_ROOT and TCPSCOPE_DOCKER_ROOT.

Checks:
* the agent (`--netns all`, census.cpu 100 %: every namespace walked on every tick, whatever else
  shares this machine): each namespace once, labelled netns, container, pod and k8s_namespace in
  Prometheus, JSON lines and DogStatsD tags; tcpscope_sockets (established, listen) and
  tcpscope_tcp_sockets_in_use equal ss in that namespace (`ss -N NAME`, or ss under nsenter for a
  namespace only a process holds); net.ipv4.tcp_ehash_entries 1024 for the own-hash ones and
  negative for the others; every census younger than two intervals;
* the agent with the default budget (census.cpu 1.5 %): the own-hash namespaces walked on every
  full tick, and the walks of the host's hash within the budget over the run (plus one walk);
* doctor --netns all --json: one report per namespace, named, its census walked; with
  --walk-budget 0 only the own-hash ones walked, the others saying why and leaving
  close-wait-leak and ephemeral-port-pressure unchecked;
* summary --netns all --json: the same names, its O(1) numbers and its walk equal to ss;
* watch --netns all --json: a connection closed in the docker namespace comes named web-<PID>
  with its container;
* top -b -n 1 under --netns /proc/PID/ns/net of the crio one: the title names the pod;
* sockets -tlp --json in the docker and cni namespaces: a listening process placed in the
  container's (or the pod's) cgroup carries its container, runtime, pod and k8s_namespace.
"""
import hashlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_harness as ah  # noqa: E402
import nstest  # noqa: E402
from nstest import TestFailure, log, run  # noqa: E402

PID = os.getpid()


def hex_id(tag):
    return hashlib.sha256(f"{tag}-{PID}".encode()).hexdigest()


def pod_uid(tag):
    h = hashlib.md5(f"{tag}-{PID}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def identity(path):
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


def cgroup2_mount():
    """Where the host has a cgroup2 hierarchy mounted, or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                return fields[4]
    return None


class Cgroups:
    """cgroup2 directories under a root of the test's own; processes moved in by pid. Without a
    cgroup2 mount on the host, each step mounts one in a private mount namespace (the
    hierarchy is the same one; /proc/PID/cgroup shows paths in it whatever is mounted)."""

    def __init__(self):
        self.root = f"tcpscope-it-cg-{PID}"
        # TCPSCOPE_TEST_CGROUP_PRIVATE=1 takes the way of a host without a cgroup2 mount.
        self.mount = None if os.environ.get("TCPSCOPE_TEST_CGROUP_PRIVATE") else cgroup2_mount()
        log(f"cgroup2: {self.mount or 'none mounted: a private mount per step'}")

    def _sh(self, script):
        if self.mount:
            run(["sh", "-c", script.replace("@M@", self.mount)])
        else:
            run(["unshare", "-m", "sh", "-c",
                 "d=$(mktemp -d) && mount -t cgroup2 none \"$d\" && { "
                 + script.replace("@M@", "$d") + "; }; r=$?; umount \"$d\"; rmdir \"$d\"; exit $r"])

    def place(self, rel, pid):
        path = f"{self.root}/{rel}"
        # Double quotes: "$d" must expand; the paths hold no '$', '`', '"' (a "\x2d" stays).
        self._sh(f'mkdir -p "@M@/{path}" && echo {pid} > "@M@/{path}/cgroup.procs"')

    def remove(self):
        """Every directory of ours, deepest first (their processes are gone)."""
        self._sh(f'[ -d "@M@/{self.root}" ] && find "@M@/{self.root}" -depth -type d '
                 f'-exec rmdir {{}} \\; ; true')


class Held(nstest.Netns):
    """A namespace only a process holds, as runtimes without bind mounts make them: `unshare -n`
    and a sleeping process (inside `parent`, when given: a child of that namespace)."""

    def __init__(self, tag, parent=None):
        super().__init__(tag)
        cmd = (parent.prefix() if parent else []) + ["unshare", "-n", "sleep", "infinity"]
        log("+ " + " ".join(cmd))
        self.holder = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.holder.pid  # ip netns exec and unshare exec: the pid is sleep's
        self.bound = None
        outer = identity(f"/proc/{parent.pid}/ns/net" if isinstance(parent, Held) else
                         (f"/var/run/netns/{parent.name}" if parent else "/proc/self/ns/net"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if (os.readlink(f"/proc/{self.pid}/exe").endswith("/sleep")
                        and identity(f"/proc/{self.pid}/ns/net") != outer):
                    break
            except OSError:
                pass
            time.sleep(0.02)
        else:
            raise TestFailure(f"{tag}: the holder {self.pid} never got a namespace of its own")
        self.path = f"/proc/{self.pid}/ns/net"
        self.exec(["ip", "link", "set", "lo", "up"])

    def prefix(self):
        return ["nsenter", f"--net={self.path}"] if not self.bound else super().prefix()

    def bind(self, name):
        """Bind-mounts it under /var/run/netns, as `ip netns add` and the CNI plugins do."""
        run(["touch", f"/var/run/netns/{name}"])
        run(["mount", "--bind", self.path, f"/var/run/netns/{name}"])
        self.name = self.bound = name

    def close(self):
        for p in self.procs:
            self.stop(p)
        self.procs = []
        if self.bound:
            subprocess.run(["ip", "netns", "del", self.bound], capture_output=True)
        if self.holder.poll() is None:
            self.holder.terminate()  # our own child, by pid
            try:
                self.holder.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.holder.kill()
                self.holder.wait()


class Pause:
    """A process of ours that only holds a place (a pod's pause container): stopped by pid."""

    def __init__(self, cmd):
        log("+ " + " ".join(cmd))
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.pid = self.p.pid
        self.name = f"pause {self.pid}"

    def close(self):
        if self.p.poll() is None:
            self.p.terminate()
            self.p.wait()


def ss_counts(ns):
    """(established, listening, in use) as ss shows them in the namespace; in use is every TCP
    socket but TIME-WAIT and SYN-RECV (what sockstat's inuse counts)."""
    rows = nstest.parse_rows(ns.exec(["ss", "-tanH"]).stdout, f"ss in {ns.name}")
    est = sum(1 for r in rows if r.state == "ESTAB")
    lis = sum(1 for r in rows if r.state == "LISTEN")
    inuse = sum(1 for r in rows if r.state not in ("TIME-WAIT", "SYN-RECV"))
    return est, lis, inuse


def build(args, tmp, cg, stack):
    """Makes the namespaces; returns {key: (namespace object, expected names)}."""
    pods = os.path.join(tmp, "pods")
    docker = os.path.join(tmp, "docker")
    os.makedirs(pods)
    os.environ["TCPSCOPE_POD_LOG_ROOT"] = pods
    os.environ["TCPSCOPE_DOCKER_ROOT"] = docker
    made = {}

    def add(key, ns, names, conns, port):
        if ns not in stack:
            stack.append(ns)
        ns.tablegen(args.tablegen, ["--listen", f"127.0.0.1,{port}",
                                    "--connect", f"127.0.0.1,{port},count={conns}"])
        made[key] = (ns, names)

    # The parent of the own-hash namespaces: a child created while its
    # tcp_child_ehash_entries is set gets a hash of that many buckets.
    parent = nstest.Netns("nsc-parent")
    parent.create()
    stack.append(parent)
    parent.sysctl("net.ipv4.tcp_child_ehash_entries", 1024)

    # cni: a bind mount, a pod's pause process (containerd, systemd driver).
    cni = nstest.Netns("cni")
    cni.create()
    stack.append(cni)
    uid = pod_uid("api")
    cid = hex_id("api")
    pause = Pause(cni.prefix() + ["sleep", "infinity"])
    stack.append(pause)
    cg.place(f"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
             f"{uid.replace('-', '_')}.slice/cri-containerd-{cid}.scope", pause.pid)
    os.makedirs(os.path.join(pods, f"prod_api-{PID}_{uid}"))
    add("cni", cni, {"netns": cni.name, "container": cid[:12], "pod": f"api-{PID}",
                     "k8s_namespace": "prod", "hash": "shared"}, 2, 7801)

    # docker: a process only, named by docker's own config.
    d = Held("docker")
    stack.append(d)
    did = hex_id("web")
    os.makedirs(os.path.join(docker, "containers", did))
    with open(os.path.join(docker, "containers", did, "config.v2.json"), "w") as f:
        json.dump({"ID": did, "Name": f"/web-{PID}", "State": {"Running": True}}, f,
                  separators=(",", ":"))
    cg.place(f"system.slice/docker-{did}.scope", d.pid)
    add("docker", d, {"netns": f"web-{PID}", "container": f"web-{PID}", "pod": "",
                      "k8s_namespace": "", "hash": "shared"}, 3, 7802)

    # crio: a process only, its own hash, a pod (CRI-O, systemd driver, guaranteed QoS).
    crio = Held("crio", parent)
    stack.append(crio)
    uid2 = pod_uid("dns")
    cid2 = hex_id("dns")
    cg.place(f"kubepods.slice/kubepods-pod{uid2.replace('-', '_')}.slice/crio-{cid2}.scope",
             crio.pid)
    os.makedirs(os.path.join(pods, f"kube-system_dns-{PID}_{uid2}"))
    add("crio", crio, {"netns": f"kube-system/dns-{PID}", "container": cid2[:12],
                       "pod": f"dns-{PID}", "k8s_namespace": "kube-system", "hash": "own"}, 1, 7803)

    # own: its own hash too, bind-mounted as the CNI plugins and `ip netns add` do.
    own = Held("own", parent)
    stack.append(own)
    own.bind(f"{nstest.PREFIX}nsc-own-{PID}")
    add("own", own, {"netns": own.name, "container": "", "pod": "", "k8s_namespace": "",
                     "hash": "own"}, 6, 7808)
    # Both children exist: the parent's setting goes back to the default.
    parent.sysctl("net.ipv4.tcp_child_ehash_entries", 0)

    pid3 = hex_id("podman")
    p = Held("podman")
    stack.append(p)
    cg.place(f"machine.slice/libpod-{pid3}.scope/container", p.pid)
    add("podman", p, {"netns": pid3[:12], "container": pid3[:12], "pod": "",
                      "k8s_namespace": "", "hash": "shared"}, 4, 7804)

    lx = Held("lxc")
    stack.append(lx)
    cg.place(f"lxc.payload.box-{PID}", lx.pid)
    add("lxc", lx, {"netns": f"box-{PID}", "container": f"box-{PID}", "pod": "",
                    "k8s_namespace": "", "hash": "shared"}, 5, 7805)

    vm = Held("nspawn")
    stack.append(vm)
    cg.place(f"machine.slice/machine-vm\\x2d{PID}.scope", vm.pid)
    add("nspawn", vm, {"netns": f"vm-{PID}", "container": f"vm-{PID}", "pod": "",
                       "k8s_namespace": "", "hash": "shared"}, 1, 7806)

    bare = Held("bare")
    stack.append(bare)
    add("bare", bare, {"netns": f"pid:{bare.pid}", "container": "", "pod": "",
                       "k8s_namespace": "", "hash": "shared"}, 2, 7807)
    for key, (ns, names) in made.items():
        if ns.exec(["sysctl", "-n", "net.ipv4.tcp_ehash_entries"]).stdout.strip().startswith("-") \
                != (names["hash"] == "shared"):
            raise TestFailure(f"{key}: the namespace was not made with the hash wanted "
                              f"({names['hash']})")
    return made


def check_agent(c, args, h, made, want):
    binary = ah.agent_path(args)
    port = ah.free_port()
    cap = h.udp_capture()
    jsonl = os.path.join(h.tmp, "all.jsonl")
    agent = h.agent(binary, ["--netns", "all", "--interval", "1s", "--census-cpu", "100%",
                             "--prometheus", f"127.0.0.1:{port}", "--jsonl", jsonl,
                             "--statsd", f"127.0.0.1:{cap.port}", "--statsd-tags"], tag="all")

    def ready():
        f = ah.scrape(port, agent)
        if not f:
            return None
        for key, (ns, names) in made.items():
            if ah.prom_value(f, "tcpscope_sockets", netns=names["netns"], container=names["container"],
                             pod=names["pod"], k8s_namespace=names["k8s_namespace"],
                             protocol="tcp", state="established") != want[key][0]:
                return None
        return f
    f = ah.wait_until(ready, 30, 0.3, "every namespace in /metrics with ss's counts")
    if not f:
        f = ah.scrape(port, agent)
    if not f:
        agent.fail("no /metrics")
    labels = [sl for _, sl, _ in f["tcpscope_listeners"]["samples"]]
    for key, (ns, names) in made.items():
        mine = [sl for sl in labels if sl.get("netns") == names["netns"]]
        if not c.check(len(mine) == 1, f"agent: {key}: {len(mine)} series of netns "
                                       f"{names['netns']!r} (want 1): {mine}"):
            continue
        c.eq({k: mine[0].get(k) for k in ("container", "pod", "k8s_namespace")},
             {k: names[k] for k in ("container", "pod", "k8s_namespace")},
             f"agent: {key}: names of {names['netns']}")
        est, lis, inuse = want[key]
        n = names["netns"]
        for metric, labels_, value in (
                ("tcpscope_sockets", {"protocol": "tcp", "state": "established"}, est),
                ("tcpscope_sockets", {"protocol": "tcp", "state": "listen"}, lis),
                ("tcpscope_listeners", {}, lis),
                ("tcpscope_tcp_sockets_in_use", {}, inuse)):
            got = [v for sl, v in ah.prom_values(f, metric, netns=n, **labels_)
                   if set(sl) == {"netns", "container", "pod", "k8s_namespace"} | set(labels_)]
            c.eq(got, [value], f"agent: {key}: {metric}{labels_} vs ss")
        ehash = ah.prom_values(f, "tcpscope_sysctl", netns=n, name="net.ipv4.tcp_ehash_entries")
        if c.check(len(ehash) == 1, f"agent: {key}: tcp_ehash_entries: {ehash}"):
            v = ehash[0][1]
            c.check(v == 1024 if names["hash"] == "own" else v < 0,
                    f"agent: {key}: tcp_ehash_entries {v} for a namespace with hash "
                    f"{names['hash']}")
        age = ah.prom_values(f, "tcpscope_census_age_seconds", netns=n)
        c.check(len(age) == 1 and age[0][1] < 2.5, f"agent: {key}: census age {age}")
    netns_labels = [sl["netns"] for sl in labels]
    c.eq(len(netns_labels), len(set(netns_labels)), "agent: every namespace once")
    c.eq(ah.prom_value(f, "tcpscope_agent_namespaces"), len(netns_labels),
         "agent: tcpscope_agent_namespaces vs the namespaces served")

    # JSON lines: the same names on the samples of each namespace.
    tick = ah.read_ticks(jsonl)[-1]
    for key, (ns, names) in made.items():
        got = [s for s in tick["samples"] if s["metric"] == "tcpscope_listeners"
               and s.get("netns") == names["netns"]]
        c.check(len(got) == 1 and all(got[0].get(k) == names[k]
                                      for k in ("container", "pod", "k8s_namespace")),
                f"jsonl: {key}: {got}")
    # DogStatsD: the names as tags, the empty ones left out.
    lines = [ah.parse_statsd_line(x) for _, d in cap.packets() for x in ah.datagram_lines(d)]
    for key in ("cni", "bare"):
        names = made[key][1]
        want_tags = {"netns": names["netns"]}
        want_tags.update({k: names[k] for k in ("container", "pod", "k8s_namespace")
                          if names[k]})
        got = [p[3] for p in lines if p and p[0] == "tcpscope.listeners"
               and p[3] and p[3].get("netns") == names["netns"]]
        c.check(got and got[-1] == want_tags, f"statsd: {key}: tags {got[-1:]} (want {want_tags})")
    c.eq(agent.stop(), 0, "agent: exit status after SIGTERM")


def check_budget(c, args, h, made):
    """The default budget: own-hash namespaces every full tick, the rest within 1.5 % of a core."""
    binary = ah.agent_path(args)
    jsonl = os.path.join(h.tmp, "budget.jsonl")
    t0 = time.monotonic()
    agent = h.agent(binary, ["--netns", "all", "--interval", "1s", "--count", "8",
                             "--jsonl", jsonl, "--statsd", "none"], tag="budget")
    rc = agent.wait(60)
    elapsed = time.monotonic() - t0
    c.eq(rc, 0, "budget agent: exit status")
    ticks = ah.read_ticks(jsonl)
    if not c.check(len(ticks) == 8, f"budget agent: {len(ticks)} ticks"):
        return
    for key in ("crio", "own"):
        n = made[key][1]["netns"]
        ages = [ah.samples(t, "tcpscope_census_age_seconds", netns=n) for t in ticks[1:]]
        c.check(all(a and a[0][1] < 1.5 for a in ages),
                f"budget agent: {key} (own hash) not walked every full tick: ages {ages}")
    spent = ah.sample(ticks[-1], "tcpscope_agent_census_cpu_seconds_total")
    # The budget over the run, one interval's worth of credit at the start, and the walk that
    # crosses zero (a walk of this machine's whole table: generous).
    c.check(spent is not None and spent <= 0.015 * elapsed + 0.015 + 0.3,
            f"budget agent: {spent} s of CPU for walks in {elapsed:.1f} s (budget 1.5 %)")


def find_report(reports, name):
    got = [r for r in reports if r.get("netns") == name]
    return got[0] if len(got) == 1 else None


def check_doctor(c, args, made, want):
    p = run([args.tcpscope, "--netns", "all", "doctor", "--json", "--window", "500ms",
             "--walk-budget", "60s"], check=False, timeout=120)
    c.check(p.returncode in (0, 1, 2), f"doctor --netns all: exit {p.returncode}: {p.stderr}")
    reports = json.loads(p.stdout)
    names_seen = [r["netns"] for r in reports]
    c.eq(len(names_seen), len(set(names_seen)), "doctor --netns all: every namespace once")
    for key, (ns, names) in made.items():
        r = find_report(reports, names["netns"])
        if not c.check(r is not None, f"doctor: no report for {key} ({names['netns']})"):
            continue
        for k in ("container", "pod", "k8s_namespace"):
            c.eq(r.get(k), names[k] or None, f"doctor: {key}: {k}")
        c.eq(r["census"]["hash"], names["hash"], f"doctor: {key}: census.hash")
        c.eq(r["census"]["walked"], True, f"doctor: {key}: walked (budget 60 s)")
        c.eq(r["listeners_total"], want[key][1], f"doctor: {key}: listeners vs ss")
    p = run([args.tcpscope, "--netns", "all", "doctor", "--json", "--window", "200ms",
             "--walk-budget", "0"], check=False, timeout=120)
    reports = json.loads(p.stdout)
    for key, (ns, names) in made.items():
        r = find_report(reports, names["netns"])
        if not c.check(r is not None, f"doctor budget 0: no report for {key}"):
            continue
        own = names["hash"] == "own"
        c.eq(r["census"]["walked"], own, f"doctor budget 0: {key}: walked")
        skipped = {s["id"] for s in r["skipped"]}
        if own:
            c.check(not skipped & {"close-wait-leak", "ephemeral-port-pressure"},
                    f"doctor budget 0: {key}: walked, yet skipped {skipped}")
        else:
            c.check({"close-wait-leak", "ephemeral-port-pressure"} <= skipped,
                    f"doctor budget 0: {key}: not walked, but skipped only {skipped}")
            c.check("walk budget is 0" in (r["census"]["not_walked"] or ""),
                    f"doctor budget 0: {key}: not_walked {r['census']['not_walked']!r}")
    # Text: the first line of a report names the namespace with its pod and container.
    p = run([args.tcpscope, "--netns", "all", "doctor", "--window", "200ms", "--walk-budget",
             "0"], check=False, timeout=120)
    names = made["cni"][1]
    c.check(f"tcpscope doctor --netns {names['netns']} (pod prod/api-{PID}, containerd "
            f"{names['container']}):" in p.stdout,
            f"doctor text: no header naming the pod of {names['netns']}")


def check_summary(c, args, made, want):
    p = run([args.tcpscope, "--netns", "all", "summary", "--json", "--walk-budget", "60s"],
            timeout=120)
    js = json.loads(p.stdout)
    rows = js["netns"]
    c.eq(js["namespaces"], len(rows), "summary --netns all: namespaces")
    for key, (ns, names) in made.items():
        got = [r for r in rows if r["netns"] == names["netns"]]
        if not c.check(len(got) == 1, f"summary: {key}: {len(got)} rows"):
            continue
        r = got[0]
        for k in ("container", "pod", "k8s_namespace"):
            c.eq(r[k], names[k] or None, f"summary: {key}: {k}")
        est, lis, inuse = want[key]
        c.eq((r["o1"]["listeners"], r["o1"]["tcp_in_use"], r["o1"]["curr_estab"]),
             (lis, inuse, est), f"summary: {key}: o1 (listeners, in use, CurrEstab) vs ss")
        c.check(r["walk"] is not None and r["walk"]["tcp"]["established"] == est,
                f"summary: {key}: walk {r['walk']} vs ss established {est}")
    text = run([args.tcpscope, "--netns", "all", "summary", "--walk-budget", "0"]).stdout
    line = [ln for ln in text.splitlines() if ln.startswith(made["crio"][1]["netns"] + " ")]
    c.check(len(line) == 1 and " own " in line[0] and "cri-o " in line[0],
            f"summary text: the crio line {line}")


def check_watch(c, args, h, made):
    out = os.path.join(h.tmp, "watch.jsonl")
    w = h.process([args.tcpscope, "--netns", "all", "watch", "--json"], "watch")
    names = made["docker"][1]
    ns = made["docker"][0]
    close = ("import socket\n"
             "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)\n"
             "c = socket.create_connection(l.getsockname()); a, _ = l.accept()\n"
             "c.close(); a.close(); l.close()\n")

    def named():
        ns.exec([sys.executable, "-c", close])
        for line in w.stdout().splitlines():
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                continue
            if e.get("netns") == names["netns"]:
                return e
        return None
    e = ah.wait_until(named, 15, 0.5, "a close in the docker namespace")
    c.check(e is not None and e.get("container") == names["container"]
            and e.get("pod") is None, f"watch --netns all: event {e}")
    w.stop()
    del out


def check_top(c, args, made):
    crio, names = made["crio"]
    p = run([args.tcpscope, "--netns", crio.path, "top", "-b", "-n", "1"], timeout=60)
    first = p.stdout.splitlines()[0] if p.stdout else ""
    c.check(f"netns {crio.path} (pod kube-system/dns-{PID}, cri-o {names['container']})" in first,
            f"top title: {first!r}")


def check_sockets_p(c, args, cg, made, stack):
    listen = ("import socket, sys, time\n"
              "l = socket.socket(); l.bind(('127.0.0.1', 7899)); l.listen(1)\n"
              "print('ready', flush=True); time.sleep(600)\n")
    cases = [("docker", f"system.slice/docker-{hex_id('web')}.scope",
              {"container": f"web-{PID}", "runtime": "docker"}),
             ("cni", f"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                     f"{pod_uid('api').replace('-', '_')}.slice/cri-containerd-"
                     f"{hex_id('api')}.scope",
              {"container": hex_id("api")[:12], "runtime": "containerd", "pod": f"api-{PID}",
               "k8s_namespace": "prod"})]
    for key, cgroup, want in cases:
        ns = made[key][0]
        cmd = ns.prefix() + [sys.executable, "-c", listen]
        log("+ " + " ".join(cmd))
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        try:
            if p.stdout.readline().strip() != "ready":
                raise TestFailure(f"{key}: the listening process did not start")
            cg.place(cgroup, p.pid)
            where = ns.path if isinstance(ns, Held) else ns.name
            out = run([args.tcpscope, "--netns", where, "sockets", "-tlp", "--json",
                       "sport", "=", ":7899"]).stdout
            rows = json.loads(out)
            procs = [q for r in rows for q in r.get("processes", []) if q["pid"] == p.pid]
            if c.check(len(procs) == 1, f"sockets -p {key}: the listener's process: {rows}"):
                got = {k: procs[0].get(k) for k in want}
                c.eq(got, want, f"sockets -p {key}: the process's container")
        finally:
            p.terminate()
            p.wait()
    # A process in no container's cgroup has none of the keys.
    out = run([args.tcpscope, "sockets", "-xlp", "--json"]).stdout
    mine = [q for r in json.loads(out) for q in r.get("processes", []) if q["pid"] == os.getpid()]
    c.check(all("container" not in q and "pod" not in q for q in mine),
            f"sockets -p: a process outside containers: {mine}")


def main():
    args = nstest.parse_args(__doc__)
    c = nstest.Checker()
    nstest._remove_stale()
    stack = []
    cg = Cgroups()
    try:
        with ah.Harness() as h:
            made = build(args, h.tmp, cg, stack)
            want = {key: ss_counts(ns) for key, (ns, _) in made.items()}
            log(f"ss: {want}")
            for key, (est, lis, inuse) in want.items():
                if lis != 1 or est == 0:
                    raise TestFailure(f"{key}: ss shows {est} established, {lis} listening")
            check_agent(c, args, h, made, want)
            check_budget(c, args, h, made)
            check_doctor(c, args, made, want)
            check_summary(c, args, made, want)
            check_watch(c, args, h, made)
            check_top(c, args, made)
            check_sockets_p(c, args, cg, made, stack)
    finally:
        for ns in reversed(stack):
            try:
                ns.close()
            except Exception as e:  # keep closing the others
                log(f"closing {ns.name}: {e}")
        cg.remove()
    c.finish()


if __name__ == "__main__":
    nstest.run_main(main)

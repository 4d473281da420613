#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns bench/run's raw measurements into the markdown report (bench/RESULTS.md).

Input rows (tab-separated): label, run, user_s, sys_s, maxrss_kib, wall_s, exit_status.
Medians are over runs; CPU = user + sys of the measured process (kernel dump work included:
it runs in the reader's recvmsg()).
"""
import argparse
import glob
import json
import os
import statistics
import sys

NAMES = {
    "floor": "`floor` (bare dump, states 0xFFF, no ext)",
    "floor-listen": "`floor --states 0x400` (listeners only)",
    "floor-listen-close": "`floor --states 0x480` (LISTEN+CLOSE, the -tln mask)",
    "floor-info": "`floor --ext 0x0e` (the -i extensions)",
    "floor-p": "`floor --proc-fds readlink` (dump + bare /proc/*/fd walk)",
    "floor-i2": "`floor --ext 0x02` (INET_DIAG_INFO only: top's dump)",
    "top-1": "`tcpscope top -b -n 1 --rows 20` (start, process walk, 1 refresh)",
    "top-11": "`tcpscope top -b -n 11 -d 0.1 --rows 20` (11 refreshes)",
    "summary": "`tcpscope summary`",
    "doctor": "`tcpscope doctor --window 1s` (CPU only: the window is spent asleep)",
    "tan": "`tcpscope sockets -tan`",
    "tani": "`tcpscope sockets -tani`",
    "tln": "`tcpscope sockets -tln`",
    "tanp": "`tcpscope sockets -tanp`",
    "ss-tan": "`ss -tan`",
    "ss-tani": "`ss -tani`",
    "ss-tln": "`ss -tln`",
    "ss-tanp": "`ss -tanp`",
    "netstat": "`netstat -tan`",
    "filter-one": "`tcpscope sockets -tan sport = :12345` (1 match)",
    "ss-filter-one": "`ss -tan sport = :12345` (1 match)",
    "filter-dport": "`tcpscope sockets -tan dport = :39899` (10 matches)",
    "ss-filter-dport": "`ss -tan dport = :39899` (10 matches)",
    "empty-floor": "`floor` — empty netns",
    "empty-tln": "`tcpscope sockets -tln` — empty netns",
    "empty-ss-tln": "`ss -tln` — empty netns",
    "base-floor": "`floor` — bench netns before the table",
    "base-tln": "`tcpscope sockets -tln` — bench netns before the table",
    "base-ss-tln": "`ss -tln` — bench netns before the table",
    "agent-full": "`tcpscope-agent --count 1` (process start + 1 full tick)",
    "agent-full-long": "`tcpscope-agent --interval 500ms --count 21` (21 full ticks)",
    "agent-listener": "`tcpscope-agent --interval 10s --listener-interval 500ms --count 20` "
                      "(1 full + 19 listener ticks)",
    "empty-agent-listener": "`tcpscope-agent ... --listener-interval 500ms --count 20` — empty netns",
    "base-agent-listener": "`tcpscope-agent ... --listener-interval 500ms --count 20` — bench netns "
                           "before the table",
    "node-exporter": "node_exporter tcpstat, one scrape (CPU: /proc/PID/stat; RSS: VmHWM)",
    "xa": "`tcpscope sockets -xa` (unix table)",
    "ss-xa": "`ss -xa` (unix table)",
    "xap": "`tcpscope sockets -xap` (unix table)",
    "ss-xap": "`ss -xap` (unix table)",
}
ORDER = list(NAMES)
EQUIV = {"tan": "ss-tan", "tani": "ss-tani", "tln": "ss-tln", "tanp": "ss-tanp",
         "netstat": "ss-tan", "empty-tln": "empty-ss-tln",
         "filter-one": "ss-filter-one", "filter-dport": "ss-filter-dport",
         "base-tln": "base-ss-tln", "xa": "ss-xa", "xap": "ss-xap"}


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    return meta


def read_results(path):
    rows = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 7:
                continue
            label, user, sys_, rss, wall, code = p[0], float(p[2]), float(p[3]), int(p[4]), \
                float(p[5]), int(p[6])
            rows.setdefault(label, []).append(
                {"cpu": user + sys_, "user": user, "sys": sys_, "rss": rss / 1024.0,
                 "wall": wall, "code": code})
    return rows


def read_jsonl(path):
    """The agent's JSON lines: one dict per tick with kind, its own CPU and RSS, the longest
    collection of the tick and the skipped-tick count."""
    ticks = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            o = json.loads(line)
            t = {"kind": o["kind"], "cpu": None, "rss": None, "dur": 0.0, "skipped": 0}
            for smp in o["samples"]:
                m = smp["metric"]
                if m == "tcpscope_agent_cpu_seconds_total":
                    t["cpu"] = smp["value"]
                elif m == "tcpscope_agent_resident_memory_bytes":
                    t["rss"] = smp["value"] / 1048576.0
                elif m == "tcpscope_agent_ticks_skipped_total":
                    t["skipped"] = smp["value"]
                elif (m == "tcpscope_agent_collection_duration_seconds"
                      and smp.get("kind") == o["kind"]):
                    t["dur"] = max(t["dur"], smp["value"])
            ticks.append(t)
    return ticks


def tick_cpu(runs, kind):
    """CPU of one tick of `kind` in steady state: the change of the agent's own CPU counter from
    the previous tick when that one was of the same kind too (so the delta holds one collection
    and one emission of that kind, plus the idle wait). Returns every such delta of all runs."""
    out = []
    for ticks in runs:
        for prev, cur in zip(ticks, ticks[1:]):
            if prev["kind"] == kind and cur["kind"] == kind and None not in (prev["cpu"], cur["cpu"]):
                out.append(cur["cpu"] - prev["cpu"])
    return out


def fmt_ms(x):
    return f"{x * 1000:.2f} ms" if x < 1 else f"{x:.3f} s"


AGENT_LABELS = ("floor", "floor-listen", "agent-full", "agent-full-long", "agent-listener",
                "empty-agent-listener", "base-agent-listener", "node-exporter", "agent-soak")


def agent_section(a, meta, rows, st, w, target):
    """The agent's targets: CPU per full interval vs the floor, listener ticks vs an empty
    namespace, RSS over the soak, node_exporter's tcpstat scrape side by side."""
    have = any(l.startswith("agent-") or "-agent-" in l or l == "node-exporter" for l in st)
    if not have and not a.soak_jsonl:
        return
    jsonl = {}
    if a.jsonl_dir:
        for path in sorted(glob.glob(os.path.join(a.jsonl_dir, "*.jsonl"))):
            label = os.path.basename(path).rsplit("-", 1)[0]
            jsonl.setdefault(label, []).append(read_jsonl(path))
    tmp = meta.get("tmp", "")

    def shorten(cmd):
        cmd = cmd.replace(tmp + "/", "$T/") if tmp else cmd
        return cmd.replace(meta.get("ns_empty", "\0"), "$EMPTY").replace(meta.get("ns", "\0"), "$NS")

    w("### tcpscope-agent and node_exporter")
    w("")
    if "agent" in meta:
        w(f"* tcpscope-agent: {meta['agent']}")
    if "node_exporter" in meta:
        w(f"* node_exporter: {meta['node_exporter']}")
    w("* `$NS` = the bench namespace, `$EMPTY` = the empty one, `$T` = the run's temp dir holding "
      "the measured copies of the binaries, `bench-runstat` = `build/bench-tools/runstat`. "
      "Per-tick CPU comes from the agent's own `tcpscope_agent_cpu_seconds_total` "
      "(getrusage, µs) in its JSON lines: the change from one tick to the next when both are of "
      "the same kind, i.e. one collection + one emission + the idle wait; median over all ticks "
      "of all runs.")
    w("")
    if a.commands and os.path.exists(a.commands):
        w("Command lines as run:")
        w("")
        w("```")
        lines = {}
        with open(a.commands) as f:
            for line in f:
                label, _, cmd = line.rstrip("\n").split("\t", 2)
                lines[label] = cmd
        for label in AGENT_LABELS:
            if label in lines:
                w(f"{label:22s} {shorten(lines[label])}")
        w("```")
        w("")

    def med(xs):
        return statistics.median(xs) if xs else None

    floor = st["floor"]["cpu"] if "floor" in st else None
    full_one = st["agent-full"]["cpu"] if "agent-full" in st else None
    long_n = 0
    steady_rs = None
    if "agent-full-long" in st and full_one is not None:
        # --count 21 in the long run: 20 more full intervals than the one-tick run
        long_n = 20
        steady_rs = (st["agent-full-long"]["cpu"] - full_one) / long_n
    full_ticks = tick_cpu(jsonl.get("agent-full-long", []), "full")
    steady_js = med(full_ticks)
    full_dur = med([t["dur"] for r in jsonl.get("agent-full-long", []) for t in r
                    if t["kind"] == "full"])
    lt = {lab: tick_cpu(jsonl.get(lab, []), "listener")
          for lab in ("agent-listener", "empty-agent-listener", "base-agent-listener")}
    lt_med = {lab: med(v) for lab, v in lt.items()}

    w("| Measure | value | reference | ratio |")
    w("|---|---:|---:|---:|")
    if full_one is not None:
        w(f"| CPU of `agent-full` (process start + 1 full collection + emission), median of "
          f"{st['agent-full']['n']} | {fmt_ms(full_one)} | floor {fmt_ms(floor) if floor else '—'} | "
          f"{fmt_ratio(full_one / floor if floor else None)} |")
    if steady_rs is not None:
        w(f"| CPU per full interval, steady: (`agent-full-long` − `agent-full`) / {long_n} "
          f"(medians) | {fmt_ms(steady_rs)} | floor | {fmt_ratio(steady_rs / floor if floor else None)} |")
    if steady_js is not None:
        w(f"| CPU per full interval, steady, agent's own counter ({len(full_ticks)} full→full "
          f"ticks) | {fmt_ms(steady_js)} | floor | {fmt_ratio(steady_js / floor if floor else None)} |")
    if full_dur is not None:
        w(f"| wall time of a full collection (`collection_duration_seconds{{kind=\"full\"}}`, "
          f"median) | {fmt_ms(full_dur)} | | |")
    ref_l = lt_med.get("empty-agent-listener")
    for lab, title in (("agent-listener", "bench netns (220k sockets)"),
                       ("empty-agent-listener", "empty netns"),
                       ("base-agent-listener", "bench netns before the table")):
        if lt_med.get(lab) is None:
            continue
        ratio_txt = (fmt_ratio(lt_med[lab] / ref_l) + " of empty"
                     if ref_l and lab != "empty-agent-listener" else "—")
        w(f"| CPU per listener tick, {title} ({len(lt[lab])} listener→listener ticks; "
          f"min – max {fmt_ms(min(lt[lab]))} – {fmt_ms(max(lt[lab]))}) | {fmt_ms(lt_med[lab])} | "
          f"{'empty ' + fmt_ms(ref_l) if ref_l and lab != 'empty-agent-listener' else ''} | {ratio_txt} |")
    if "floor-listen" in st:
        w(f"| (kernel floor of a listeners-only dump, `floor --states 0x400`, incl. process start) "
          f"| {fmt_ms(st['floor-listen']['cpu'])} | | |")

    # Peak RSS of the agent: its own gauge and wait4's ru_maxrss (= VmHWM at exit).
    agent_rss = [st[l]["rss"] for l in ("agent-full", "agent-full-long") if l in st]
    soak = read_jsonl(a.soak_jsonl) if a.soak_jsonl and os.path.exists(a.soak_jsonl) else []
    soak_run = None
    if meta.get("soak_line"):
        p = meta["soak_line"].split()
        if len(p) >= 5:
            soak_run = {"user": float(p[0]), "sys": float(p[1]), "rss": int(p[2]) / 1024.0,
                        "wall": float(p[3]), "code": int(p[4])}
            agent_rss.append(soak_run["rss"])
    if soak:
        agent_rss.append(max(t["rss"] for t in soak if t["rss"] is not None))
    agent_peak = max(agent_rss) if agent_rss else None

    ne_cpu = st["node-exporter"]["cpu"] if "node-exporter" in st else None
    if ne_cpu is not None:
        ne = st["node-exporter"]
        precise = [float(r) for r in rows_extra(a.results, "node-exporter")]
        agent_cpu = max(x for x in (full_one, steady_rs) if x is not None) \
            if full_one is not None or steady_rs is not None else None
        w(f"| node_exporter CPU per scrape (utime+stime, 10 ms ticks; median of {ne['n']}, "
          f"min – max {fmt_ms(ne['min'])} – {fmt_ms(ne['max'])}) | {fmt_ms(ne_cpu)} | "
          f"agent {fmt_ms(agent_cpu) if agent_cpu else '—'} | "
          f"{fmt_ratio(ne_cpu / agent_cpu if agent_cpu else None)} |")
        if precise:
            w(f"| node_exporter CPU per scrape, /proc/PID/task/*/schedstat (cross-check) | "
              f"{fmt_ms(statistics.median(precise))} | | |")
        w(f"| node_exporter scrape wall time (median) | {fmt_ms(ne['wall'])} | | |")
        w(f"| node_exporter peak RSS (VmHWM after the scrapes) | {ne['rss']:.1f} MiB | agent "
          f"{agent_peak:.1f} MiB | {fmt_ratio(ne['rss'] / agent_peak if agent_peak else None)} |"
          if agent_peak else
          f"| node_exporter peak RSS (VmHWM after the scrapes) | {ne['rss']:.1f} MiB | | |")
    w("")
    if ne_cpu is not None:
        w("\"agent\" next to node_exporter: the larger of the one-shot `agent-full` CPU (which "
          "includes a process start) and the steady per-interval CPU; the agent's peak RSS over "
          "all agent runs (wait4's ru_maxrss and its own gauge, the soak included).")
        w("")

    if soak:
        n = len(soak)
        w(f"Soak: {n} full intervals of {meta.get('soak_interval', '?')} in one agent process "
          f"(`agent-soak` above)"
          + (f"; {soak_run['wall']:.1f} s wall, {soak_run['user'] + soak_run['sys']:.2f} s CPU "
             f"({(soak_run['user'] + soak_run['sys']) / n * 1000:.1f} ms per interval incl. start), "
             f"exit {soak_run['code']}" if soak_run else "")
          + f"; {int(soak[-1]['skipped'])} ticks skipped (overran); full collection wall median "
          f"{fmt_ms(statistics.median(t['dur'] for t in soak))}, max {fmt_ms(max(t['dur'] for t in soak))}.")
        w("")
        w("| tick | RSS (`tcpscope_agent_resident_memory_bytes`) | agent CPU so far |")
        w("|---:|---:|---:|")
        marks = sorted({k for k in (1, 10, 100, 1000, n) if k <= n})
        for k in marks:
            t = soak[k - 1]
            w(f"| {k} | {t['rss']:.2f} MiB | {t['cpu']:.2f} s |")
        w(f"| max over all ticks | {max(t['rss'] for t in soak):.2f} MiB | |")
        if soak_run:
            w(f"| VmHWM at exit (wait4 ru_maxrss) | {soak_run['rss']:.2f} MiB | |")
        w("")

    # Targets.
    if full_one is not None and floor:
        target("agent: CPU of one full interval (`agent-full`, incl. process start) ≤ 1.15 × floor",
               full_one / floor <= 1.15, f"{full_one / floor:.2f}×")
    if steady_rs is not None and floor:
        target("agent: CPU per full interval, steady (long run − one-tick run) ≤ 1.15 × floor",
               steady_rs / floor <= 1.15, f"{steady_rs / floor:.2f}×")
    if steady_js is not None and floor:
        target("agent: CPU per full interval, steady (agent's own counter) ≤ 1.15 × floor",
               steady_js / floor <= 1.15, f"{steady_js / floor:.2f}×")
    if lt_med.get("agent-listener") is not None and lt_med.get("empty-agent-listener"):
        r = lt_med["agent-listener"] / lt_med["empty-agent-listener"]
        target("agent: listener tick (bench netns) ≤ 1.5 × (empty netns)", r <= 1.5,
               f"{r:.2f}× ({fmt_ms(lt_med['agent-listener'])} vs "
               f"{fmt_ms(lt_med['empty-agent-listener'])})")
    if lt_med.get("agent-listener") is not None and lt_med.get("base-agent-listener"):
        r = lt_med["agent-listener"] / lt_med["base-agent-listener"]
        target("agent: listener tick (bench netns) ≤ 1.5 × (same netns before the table)", r <= 1.5,
               f"{r:.2f}× ({fmt_ms(lt_med['agent-listener'])} vs "
               f"{fmt_ms(lt_med['base-agent-listener'])})")
    if agent_peak is not None:
        target("agent: peak RSS ≤ 16 MiB" + (f" (over {len(soak)} intervals)" if soak else ""),
               agent_peak <= 16.0, f"{agent_peak:.1f} MiB")
    if len(soak) >= 10:
        base = soak[9]["rss"]
        growth = max(t["rss"] for t in soak[9:]) - base
        target(f"agent: RSS flat over {len(soak)} intervals (max after tick 10 − tick 10 ≤ 1 MiB)",
               growth <= 1.0 and len(soak) >= int(meta.get("soak_ticks", len(soak))),
               f"+{growth * 1024:.0f} KiB ({base:.2f} → {soak[-1]['rss']:.2f} MiB)"
               + ("" if len(soak) >= int(meta.get("soak_ticks", len(soak))) else
                  f"; only {len(soak)} of {meta.get('soak_ticks')} ticks"))
    if ne_cpu is not None and (full_one is not None or steady_rs is not None):
        agent_cpu = max(x for x in (full_one, steady_rs) if x is not None)
        r = ne_cpu / agent_cpu
        target("node_exporter tcpstat CPU per scrape ≥ 2 × agent's per full interval", r >= 2.0,
               f"{r:.2f}× ({fmt_ms(ne_cpu)} vs {fmt_ms(agent_cpu)})")
    if ne_cpu is not None and agent_peak:
        r = st["node-exporter"]["rss"] / agent_peak
        target("node_exporter peak RSS ≥ 10 × agent's peak RSS", r >= 10.0,
               f"{r:.1f}× ({st['node-exporter']['rss']:.1f} vs {agent_peak:.1f} MiB)")


def rows_extra(path, label):
    """The 8th column (schedstat CPU) of bench/nodeexp.py's rows."""
    out = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 8 and p[0] == label:
                out.append(p[7])
    return out


def fmt_s(x):
    return f"{x:.4f}" if x < 1 else f"{x:.3f}" if x < 10 else f"{x:.2f}"


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}×"


def top_section(a, st, w, target):
    """`tcpscope top`: one steady refresh against the kernel floor of its dump and against what
    `watch -n1 ss -tani` pays per refresh (one `ss -tani`); the screen's idle cost, key latency
    and peak RSS."""
    if "top-1" not in st or "top-11" not in st:
        return
    refresh = (st["top-11"]["cpu"] - st["top-1"]["cpu"]) / 10.0
    w("### tcpscope top")
    w("")
    w("One steady refresh = (CPU of `top-11` − CPU of `top-1`) / 10: the process start and the")
    w("first refresh's process walk cancel out. A refresh reads the counters, sockstat and the")
    w("tunables, dumps the listeners (SKMEMINFO) and every other TCP socket with INET_DIAG_INFO")
    w("(one pass feeding the census, the doctor's tallies and the connection table), matches each")
    w("connection with the previous refresh by cookie for its rates, and runs the doctor.")
    w("")
    w("| Measure | value |")
    w("|---|---:|")
    w(f"| one steady refresh (CPU) | {refresh * 1000:.1f} ms |")
    if "floor-i2" in st:
        w(f"| kernel floor of the same dump (`floor --ext 0x02`) | {st['floor-i2']['cpu'] * 1000:.1f} ms |")
    if "ss-tani" in st:
        w(f"| `ss -tani` (what `watch -n1 ss -tani` pays per refresh) | {st['ss-tani']['cpu'] * 1000:.1f} ms |")
    w(f"| first refresh incl. process start and process walk (`top-1`) | {st['top-1']['cpu'] * 1000:.1f} ms |")
    w(f"| peak RSS, batch (`top-11`) | {st['top-11']['rss']:.1f} MiB |")
    ui = None
    if a.topui:
        with open(a.topui) as f:
            ui = json.load(f)
        idle_pct = 100.0 * ui["idle_cpu_s"] / ui["idle_window_s"]
        w(f"| screen idle between refreshes (-d 60), CPU over {ui['idle_window_s']:.0f} s | "
          f"{ui['idle_cpu_s'] * 1000:.0f} ms ({idle_pct:.2f} % of a core) |")
        w(f"| key latency, collector idle (median / max of {len(ui['key_ms_idle'])}) | "
          f"{ui['key_ms_idle_median']:.1f} / {max(ui['key_ms_idle']):.1f} ms |")
        w(f"| key latency, collector busy (-d 0.5; median / max of {len(ui['key_ms_busy'])}) | "
          f"{ui['key_ms_busy_median']:.1f} / {ui['key_ms_busy_max']:.1f} ms |")
        w(f"| peak RSS, screen (VmHWM) | {ui['vmhwm_mib']:.1f} MiB |")
    w("")
    w("Key latency is from `tmux send-keys` to the changed screen in `tmux capture-pane` (polled),")
    w("so it includes tmux's own handling.")
    w("")
    if "floor-i2" in st:
        r = refresh / st["floor-i2"]["cpu"]
        target("`top`: one refresh ≤ 1.3 × the kernel floor of its dump (INET_DIAG_INFO)",
               r <= 1.3, f"{r:.2f}×")
    if "ss-tani" in st:
        r = refresh / st["ss-tani"]["cpu"]
        target("`top`: one refresh ≤ 0.33 × `ss -tani` (a `watch -n1 ss -tani` refresh)",
               r <= 0.33, f"{r:.2f}×")
    peak = max([st["top-11"]["rss"]] + ([ui["vmhwm_mib"]] if ui else []))
    target("`top`: peak RSS ≤ 48 MiB", peak <= 48.0, f"{peak:.1f} MiB")
    if ui:
        idle_pct = 100.0 * ui["idle_cpu_s"] / ui["idle_window_s"]
        target("`top`: screen idle between refreshes ≤ 0.5 % of a core", idle_pct <= 0.5,
               f"{idle_pct:.2f} %")
        target("`top`: keys answer within 50 ms while the table is being read (max)",
               ui["key_ms_busy_max"] <= 50.0, f"{ui['key_ms_busy_max']:.1f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meta", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--table-before", required=True)
    ap.add_argument("--table-after", required=True)
    ap.add_argument("--table-empty", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--append", action="store_true")
    ap.add_argument("--jsonl-dir", help="the agent's JSON lines, LABEL-RUN.jsonl")
    ap.add_argument("--commands", help="label, namespace, command line as run (tab-separated)")
    ap.add_argument("--soak-jsonl", help="JSON lines of the --agent-soak run")
    ap.add_argument("--topui", help="bench/topui.py's JSON (top's screen under tmux)")
    ap.add_argument("--watch-md", help="bench/watchbench.py's markdown section")
    a = ap.parse_args()
    meta = read_meta(a.meta)
    rows = read_results(a.results)

    st = {}
    for label, rs in rows.items():
        cpus = [r["cpu"] for r in rs]
        st[label] = {
            "n": len(rs),
            "cpu": statistics.median(cpus),
            "min": min(cpus),
            "max": max(cpus),
            "user": statistics.median(r["user"] for r in rs),
            "sys": statistics.median(r["sys"] for r in rs),
            "wall": statistics.median(r["wall"] for r in rs),
            "rss": max(r["rss"] for r in rs),
            "failed": sum(1 for r in rs if r["code"] != 0),
        }

    def ratio(x, y):
        if x in st and y in st and st[y]["cpu"] > 0:
            return st[x]["cpu"] / st[y]["cpu"]
        return None

    out = []
    w = out.append
    total_sockets = 2 * int(meta["pairs"]) + int(meta["timewait"])
    if not a.append:
        w("# tcpscope macro benchmark results")
        w("")
        w("Produced by `bench/run` (see its header and `bench/README.md`). Each command ran inside a")
        w("throw-away network namespace holding the table built by `bench/tablegen`, stdout to")
        w("/dev/null, measured by `bench/runstat` (user+sys CPU and peak RSS from `wait4`). Runs are")
        w("interleaved round by round. CPU includes the kernel's dump work, which runs in the")
        w("reader's `recvmsg()`. The namespaces share the kernel's global TCP hash with the rest of")
        w("the host, so every dump also walks (and skips) foreign sockets: the host-wide `TCP: alloc`")
        w("is recorded next to each table.")
        w("")
    w(f"## {total_sockets:,} sockets ({int(meta['pairs']):,} established pairs + "
      f"{int(meta['timewait']):,} TIME-WAIT), "
      + ("private established hash, " if meta.get("private_ehash", "0") != "0" else "")
      + meta["date"])
    w("")
    w(f"* Command: `{meta['cmdline']}`")
    if meta.get("unix_sockets", "0") != "0":
        w(f"* Also {int(meta['unix_sockets']):,} unix stream sockets in the bench namespace "
          "(bench/unixgen: connected pairs, half socketpair(), half accepted on path listeners, "
          "in worker processes of at most 16,000 descriptors).")
    w(f"* Kernel {meta['kernel']}; {meta['cpu']}; {meta['mem']}; {meta['ss']}; {meta['netstat']}")
    w(f"* tcpscope: {meta['tcpscope']}")
    w(f"* Table built by tablegen in {meta['build_s']} s. Host-wide `TCP: alloc` (root netns "
      f"/proc/net/sockstat): {meta['alloc_before_table']} before the table, "
      f"{meta['alloc_before']} at the start of the measurements, {meta['alloc_after']} at the end.")
    w(f"* Host-wide /proc (what `-p` walks, all namespaces): {meta.get('proc_fds', '?')}.")
    if meta.get("private_ehash", "0") != "0":
        w(f"* Both namespaces have a private established hash of {meta['private_ehash']} buckets "
          "(`tcp_child_ehash_entries`): dumps walk only their own namespace's sockets.")
    else:
        w("* Both namespaces share the host's global established hash (the `ip netns add` "
          "default): every non-listener dump, even in the empty namespace, walks all "
          "host sockets and skips foreign ones.")
    w(f"* Load average at start / end: {meta['load_before']} / {meta['load_after']} "
      "(other work on the host adds noise to wall time more than to CPU time).")
    w(f"* {meta['runs']} runs per command (median shown)"
      + (f", `ss -tanp` {st['ss-tanp']['n']} run(s) only (it takes tens of seconds)"
         if "ss-tanp" in st else "")
      + (f", `ss -xap` {st['ss-xap']['n']} run(s) only" if "ss-xap" in st else "") + ".")
    w("")
    w("Namespace table as the floor program counted it (before / after the measurements; "
      "empty namespace):")
    w("")
    w("```")
    for path, title in ((a.table_before, "bench netns, before"), (a.table_after, "bench netns, after"),
                        (a.table_empty, "empty netns")):
        w(f"# {title}")
        with open(path) as f:
            w(f.read().rstrip("\n"))
    w("```")
    w("")
    w("| Command | runs | CPU s (median) | min – max | user / sys | wall s | peak RSS MiB "
      "| × floor | × ss equivalent |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in ORDER:
        if label not in st:
            continue
        s = st[label]
        floor = ("empty-floor" if label.startswith("empty-") else
                 "base-floor" if label.startswith("base-") else "floor")
        eq = EQUIV.get(label)
        eq_txt = fmt_ratio(ratio(label, eq)) if eq else "—"
        if eq and eq in st and label != "netstat" and eq_txt != "—":
            eq_txt += f" of `{NAMES[eq].strip('`').split('`')[0]}`"
        elif label == "netstat" and eq_txt != "—":
            eq_txt += " of `ss -tan`"
        name = NAMES[label] + (f" **({s['failed']} failed)**" if s["failed"] else "")
        w(f"| {name} | {s['n']} | {fmt_s(s['cpu'])} | {fmt_s(s['min'])} – {fmt_s(s['max'])} | "
          f"{fmt_s(s['user'])} / {fmt_s(s['sys'])} | {fmt_s(s['wall'])} | {s['rss']:.1f} | "
          f"{fmt_ratio(ratio(label, floor)) if label != floor else '1.00×'} | {eq_txt} |")
    w("")

    targets = []

    def target(name, ok, measured):
        targets.append((name, ok, measured))

    if "summary" in st and "floor" in st:
        r = ratio("summary", "floor")
        target("`summary` CPU ≤ 1.10 × floor", r <= 1.10, f"{r:.2f}×")
    if "summary" in st:
        target("`summary` peak RSS ≤ 8 MiB", st["summary"]["rss"] <= 8.0,
               f"{st['summary']['rss']:.1f} MiB")
    if "doctor" in st and "floor" in st:
        r = ratio("doctor", "floor")
        target("`doctor` CPU ≤ 1.3 × floor", r <= 1.3, f"{r:.2f}×")
    if "tan" in st and "ss-tan" in st:
        r = ratio("tan", "ss-tan")
        target("`sockets -tan` ≤ 0.5 × `ss -tan`", r <= 0.5, f"{r:.2f}×")
    if "tani" in st and "ss-tani" in st:
        r = ratio("tani", "ss-tani")
        target("`sockets -tani` ≤ 0.33 × `ss -tani`", r <= 0.33, f"{r:.2f}×")
    if "tln" in st and "empty-tln" in st:
        r = ratio("tln", "empty-tln")
        target("`sockets -tln` (big netns) ≤ 1.5 × (empty netns)", r <= 1.5, f"{r:.2f}×")
    if "tln" in st and "base-tln" in st:
        r = ratio("tln", "base-tln")
        target("`sockets -tln` (big netns) ≤ 1.5 × (same netns before the table; stricter)",
               r <= 1.5, f"{r:.2f}×")
    for label in ("filter-one", "filter-dport"):
        if label in st and "floor" in st:
            r = ratio(label, "floor")
            target(f"{NAMES[label]} ≤ 0.35 × floor", r <= 0.35, f"{r:.2f}×")
    if "tanp" in st and "ss-tanp" in st:
        r = st["ss-tanp"]["cpu"] / st["tanp"]["cpu"]
        target("`sockets -tanp` ≥ 10× faster than `ss -tanp`", r >= 10, f"{r:.1f}× faster")
    if "xa" in st and "ss-xa" in st:
        r = ratio("xa", "ss-xa")
        target("`sockets -xa` ≤ 0.5 × `ss -xa`", r <= 0.5, f"{r:.2f}×")
    if "xap" in st and "ss-xap" in st:
        r = st["ss-xap"]["cpu"] / st["xap"]["cpu"]
        target("`sockets -xap` ≥ 10× faster than `ss -xap`", r >= 10, f"{r:.1f}× faster")
    if "tanp" in st and "tan" in st:
        r = ratio("tanp", "tan")
        target("`sockets -tanp` ≤ 2 × `sockets -tan`", r <= 2.0, f"{r:.2f}×")
    notes = []
    if "floor" in st and "ss-tan" in st:
        notes.append(f"`sockets -tan`: the kernel floor alone is {ratio('floor', 'ss-tan'):.2f}× "
                     f"`ss -tan`; the 0.5× target leaves "
                     f"{0.5 * st['ss-tan']['cpu'] - st['floor']['cpu']:.3f} s for user space "
                     + (f"(tcpscope used {st['tan']['cpu'] - st['floor']['cpu']:.3f} s above the floor)."
                        if "tan" in st else "."))
    if "floor-info" in st and "ss-tani" in st:
        notes.append(f"`sockets -tani`: the kernel floor with the same extensions (0x0e) is "
                     f"{ratio('floor-info', 'ss-tani'):.2f}× `ss -tani`; the 0.33× target leaves "
                     f"{0.33 * st['ss-tani']['cpu'] - st['floor-info']['cpu']:.3f} s for user space "
                     + (f"(tcpscope used {st['tani']['cpu'] - st['floor-info']['cpu']:.3f} s)."
                        if "tani" in st else "."))
    if "floor-p" in st and "tan" in st:
        notes.append(f"`sockets -tanp`: a bare dump plus a bare readlink walk of /proc/*/fd "
                     f"(`floor-p`) already costs {ratio('floor-p', 'tan'):.2f}× `sockets -tan` "
                     f"({st['floor-p']['cpu']:.3f} s), so ≤ 2× is out of reach for any /proc-based "
                     f"-p on this table" + (f"; tcpscope -tanp is {ratio('tanp', 'floor-p'):.2f}× "
                     "that floor." if "tanp" in st else "."))
    if "floor-listen" in st and "floor-listen-close" in st:
        notes.append(f"`-tln`: listeners alone (mask 0x400) dump in {st['floor-listen']['cpu']:.4f} s; "
                     f"adding the CLOSE bit (0x480, what ss and tcpscope send) makes the kernel walk "
                     f"the whole established hash: {st['floor-listen-close']['cpu']:.4f} s.")
    if notes:
        w("Headroom (what the kernel alone costs for the same request):")
        w("")
        for n in notes:
            w(f"* {n}")
        w("")
    agent_section(a, meta, rows, st, w, target)
    top_section(a, st, w, target)
    if a.watch_md:
        with open(a.watch_md) as f:
            w(f.read().rstrip("\n"))
        w("")
    failed = [l for l, s in st.items() if s["failed"]]
    if targets:
        w("| Target (CPU unless stated) | measured | result |")
        w("|---|---:|---|")
        for name, ok, measured in targets:
            w(f"| {name} | {measured} | {'PASS' if ok else '**FAIL**'} |")
        w("")
    if failed:
        w(f"Commands that exited non-zero in some run: {', '.join(failed)}.")
        w("")

    text = "\n".join(out) + "\n"
    mode = "a" if a.append else "w"
    with open(a.out, mode) as f:
        if a.append:
            f.write("\n")
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()

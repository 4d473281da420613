#!/usr/bin/env python3
"""Turns bench/run's raw measurements into the markdown report (bench/RESULTS.md).

Input rows (tab-separated): label, run, user_s, sys_s, maxrss_kib, wall_s, exit_status.
Medians are over runs; CPU = user + sys of the measured process (kernel dump work included:
it runs in the reader's recvmsg()).
"""
import argparse
import statistics
import sys

NAMES = {
    "floor": "`floor` (bare dump, states 0xFFF, no ext)",
    "floor-listen": "`floor --states 0x400` (listeners only)",
    "floor-listen-close": "`floor --states 0x480` (LISTEN+CLOSE, the -tln mask)",
    "floor-info": "`floor --ext 0x0e` (the -i extensions)",
    "floor-p": "`floor --proc-fds readlink` (dump + bare /proc/*/fd walk)",
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
}
ORDER = list(NAMES)
EQUIV = {"tan": "ss-tan", "tani": "ss-tani", "tln": "ss-tln", "tanp": "ss-tanp",
         "netstat": "ss-tan", "empty-tln": "empty-ss-tln",
         "filter-one": "ss-filter-one", "filter-dport": "ss-filter-dport",
         "base-tln": "base-ss-tln"}


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


def fmt_s(x):
    return f"{x:.4f}" if x < 1 else f"{x:.3f}" if x < 10 else f"{x:.2f}"


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}×"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meta", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--table-before", required=True)
    ap.add_argument("--table-after", required=True)
    ap.add_argument("--table-empty", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--append", action="store_true")
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
      + (f", `ss -tanp` {st['ss-tanp']['n']} run(s) only (it takes tens of seconds)."
         if "ss-tanp" in st else "."))
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

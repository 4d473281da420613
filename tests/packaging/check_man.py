#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every flag a program accepts appears in its man page.

The flags are what the program's own --help lists (tcpscope, each of its commands, and
tcpscope-agent); the pages are the generated roff in MAN_DIR, read with roff's escapes undone.
Usage: check_man.py TCPSCOPE TCPSCOPE_AGENT MAN_DIR
"""
import re
import subprocess
import sys


def help_flags(cmd):
    out = subprocess.run(cmd + ["--help"], capture_output=True, text=True, check=True).stdout
    flags = []
    section = None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            section = line.rstrip(":")
            continue
        m = re.match(r"^  (-\S+)", line)
        if m and section == "Options":
            flags += [f for f in m.group(1).split(",") if f.startswith("-")]
    return flags


def commands(tcpscope):
    out = subprocess.run([tcpscope, "--help"], capture_output=True, text=True, check=True).stdout
    names, inside = [], False
    for line in out.splitlines():
        if line.startswith("Subcommands:"):
            inside = True
        elif inside and re.match(r"^  \S", line):
            names.append(line.split()[0])
        elif inside and line and not line.startswith(" "):
            inside = False
    return names


def page_text(path):
    with open(path, encoding="utf-8") as f:
        roff = f.read()
    text = roff.replace("\\-", "-").replace("\\e", "\\")
    return re.sub(r"\\f[BIRP]", "", text)


def main():
    tcpscope, agent, man_dir = sys.argv[1:4]
    cases = [([tcpscope], "tcpscope.8")]
    cmds = commands(tcpscope)
    if not {"sockets", "summary", "counters", "sysctl", "doctor", "top"} <= set(cmds):
        print(f"FAIL: commands in tcpscope --help: {cmds}")
        return 1
    for c in cmds:
        cases.append(([agent] if c == "agent" else [tcpscope, c],
                      "tcpscope-agent.8" if c == "agent" else f"tcpscope-{c}.8"))
    failed = checked = 0
    for cmd, page in cases:
        text = page_text(f"{man_dir}/{page}")
        flags = help_flags(cmd)
        if not flags:
            print(f"FAIL: no flags in {' '.join(cmd)} --help")
            failed += 1
        for flag in flags:
            checked += 1
            if not re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", text):
                print(f"FAIL: {' '.join(cmd)} accepts {flag}, {page} does not mention it")
                failed += 1
        # Every command has its page, named in tcpscope(8).
        if page != "tcpscope.8" and page.removesuffix(".8") not in page_text(
                f"{man_dir}/tcpscope.8"):
            print(f"FAIL: tcpscope.8 does not name {page}")
            failed += 1
    print(f"{checked - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

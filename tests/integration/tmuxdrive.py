# SPDX-License-Identifier: MIT
"""Driving a terminal program under tmux for the integration tests (stdlib only).

Each Tmux object owns a private tmux server (`tmux -S <socket in its own temporary directory>`
with its own config: no status line, a 256-color TERM, so the pane is exactly the size asked
for). Everything it starts runs in that server, and close() ends that server only and removes
its directory, socket included. Use it as a context manager:

    with Tmux("top") as t:
        t.start("main", 120, 40, "sh -c '...'")
        t.wait_for("main", lambda s: "LISTENERS" in s.text, 10, "the listeners pane")
        t.keys("main", "g")

Synchronisation is always a screen condition polled against a deadline (wait_for); a fixed sleep
never stands in for it. A failed wait raises TestFailure with the last screen; a successful one
returns the screen with the condition's value as `.value`.

Screen objects: `.lines` (the rows as text, right-trimmed), `.text` (joined), and with
`attrs=True` also `.cells` (per row, a list of (char, frozenset of SGR flags)), where the flags
are "bold", "reverse", "underline" and "fg"/"bg" for any colour other than the default (that
capture keeps trailing spaces, so a reverse-video block is whole).
"""

import os
import re
import shlex
import subprocess
import tempfile
import time

from nstest import TestFailure, log

CONFIG = """\
set -g status off
set -g default-terminal "tmux-256color"
set -g remain-on-exit on
set -g escape-time 0
"""

SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m")


def sgr_params(text):
    """Every SGR parameter list in `text` (escape-coded capture), as lists of ints."""
    out = []
    for m in SGR_RE.finditer(text):
        body = m.group(1).replace(":", ";")
        out.append([int(p) if p else 0 for p in body.split(";")])
    return out


def color_codes(params):
    """The colour-setting codes in one SGR parameter list (39/49, the default colours, are not
    colours)."""
    found = []
    i = 0
    while i < len(params):
        p = params[i]
        if p in (38, 48):
            found.append(p)
            # 38;5;N or 38;2;R;G;B
            i += 3 if i + 1 < len(params) and params[i + 1] == 5 else 5
            continue
        if 30 <= p <= 37 or 40 <= p <= 47 or 90 <= p <= 97 or 100 <= p <= 107:
            found.append(p)
        i += 1
    return found


class Screen:
    def __init__(self, raw, attrs):
        self.raw = raw
        if attrs:
            self.cells = [_parse_cells(line) for line in raw.split("\n")]
            self.lines = ["".join(c for c, _ in row).rstrip() for row in self.cells]
        else:
            self.cells = None
            self.lines = [line.rstrip() for line in raw.split("\n")]
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        self.text = "\n".join(self.lines)

    def find(self, pattern):
        """The first row matching the regex `pattern`, or None."""
        for line in self.lines:
            if re.search(pattern, line):
                return line
        return None

    def index(self, pattern, start=0):
        for i in range(start, len(self.lines)):
            if re.search(pattern, self.lines[i]):
                return i
        return -1

    def __str__(self):
        return "\n".join(f"{i:3}|{line}" for i, line in enumerate(self.lines))


def _parse_cells(line):
    flags = set()
    row = []
    for m in re.finditer(r"\x1b\[([0-9;:]*)m|\x1b[^\[]|\x1b\[[0-9;:?]*[A-Za-z]|(.)", line,
                         re.S):
        if m.group(2) is not None:
            row.append((m.group(2), frozenset(flags)))
            continue
        if m.group(1) is None:
            continue  # not an SGR
        params = [int(p) if p else 0 for p in m.group(1).replace(":", ";").split(";")]
        i = 0
        while i < len(params):
            p = params[i]
            if p == 0:
                flags.clear()
            elif p == 1:
                flags.add("bold")
            elif p == 22:
                flags.discard("bold")
            elif p == 4:
                flags.add("underline")
            elif p == 24:
                flags.discard("underline")
            elif p == 7:
                flags.add("reverse")
            elif p == 27:
                flags.discard("reverse")
            elif p in (38, 48):
                flags.add("fg" if p == 38 else "bg")
                i += 2 if i + 1 < len(params) and params[i + 1] == 5 else 4
            elif p == 39:
                flags.discard("fg")
            elif p == 49:
                flags.discard("bg")
            elif 30 <= p <= 37 or 90 <= p <= 97:
                flags.add("fg")
            elif 40 <= p <= 47 or 100 <= p <= 107:
                flags.add("bg")
            i += 1
    return row


class Tmux:
    def __init__(self, tag):
        self._dir = tempfile.TemporaryDirectory(prefix=f"tcpscope-tmux-{tag}-")
        self.tmpdir = self._dir.name  # removed by close(); the test may keep files here
        self.socket = os.path.join(self.tmpdir, "tmux.sock")
        self.config = os.path.join(self.tmpdir, "tmux.conf")
        with open(self.config, "w") as f:
            f.write(CONFIG)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
        self.env.setdefault("LANG", "C.UTF-8")
        self.started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def tmux(self, *args, check=True, timeout=10):
        cmd = ["tmux", "-S", self.socket, "-f", self.config] + list(args)
        log("+ " + " ".join(shlex.quote(a) for a in cmd))
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self.env)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"timed out: {' '.join(cmd)}")
        if check and p.returncode != 0:
            raise TestFailure(f"tmux {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def start(self, name, width, height, command, env=None):
        """A new detached session `name` of width x height running `command` (a shell string)."""
        args = ["new-session", "-d", "-s", name, "-x", str(width), "-y", str(height)]
        for k, v in (env or {}).items():
            args += ["-e", f"{k}={v}"]
        self.tmux(*args, command)
        self.started = True

    def keys(self, name, *keys):
        """tmux key names ("Enter", "Escape", "PageDown", "q")."""
        self.tmux("send-keys", "-t", name, *keys)

    def text(self, name, s):
        """Literal text."""
        self.tmux("send-keys", "-t", name, "-l", s)

    def resize(self, name, width, height):
        self.tmux("resize-window", "-t", name, "-x", str(width), "-y", str(height))

    def display(self, name, fmt):
        return self.tmux("display-message", "-p", "-t", name, fmt).strip()

    def pane_pid(self, name):
        return int(self.display(name, "#{pane_pid}"))

    def screen(self, name, attrs=False):
        args = ["capture-pane", "-p", "-t", name]
        if attrs:
            args[1:1] = ["-e", "-N"]
        return Screen(self.tmux(*args), attrs)

    def wait_for(self, name, cond, timeout, what, attrs=False, interval=0.05):
        """Polls the screen until cond(screen) is true; returns that screen (and cond's value
        as .value). Raises TestFailure with the last screen at the deadline."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            last = self.screen(name, attrs)
            try:
                v = cond(last)
            except (ValueError, IndexError, KeyError, AttributeError, TypeError):
                v = None
            if v:
                last.value = v
                return last
            if time.monotonic() >= deadline:
                raise TestFailure(f"{name}: no {what} within {timeout}s; the screen:\n{last}")
            time.sleep(interval)

    def close(self):
        if self.started:
            subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True,
                           env=self.env, timeout=10)
            self.started = False
        self._dir.cleanup()

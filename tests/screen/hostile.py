#!/usr/bin/env python3
"""Screen test of hostile domain names: what a tenant puts in its domain name
(xenstore allows any bytes) must not reach the operator's terminal.

Usage: hostile.py PATH/TO/domtop

A scenario gives the demo host names holding escape sequences (OSC set-title,
CSI clear-screen), a bidi override, invalid UTF-8 and the C1 CSI byte, raw,
with name_hex= (scenarios/FORMAT.md). domtop runs in a tmux server of its own
socket (-L), and each screen it draws (the table, the search, a prompt, the
message after an action, the pause question, the device lines) is captured
with capture-pane -p -e and checked: no escape sequence but SGR colours, no
control, C1, bidi or replacement character, every name shown with '?' for
each bad character, and the pane title unchanged (an OSC in a name would set
it to "pwned"). A first check proves that this tmux does let an OSC set the
title, so the title check can fail. Prints one line per test and a closing
line "hostile: N passed, N failed"; exits non-zero when a test failed.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THEMES = os.path.normpath(os.path.join(HERE, "..", "..", "themes"))
TIMEOUT = 8.0
SESSION = "main"
WIDTH, HEIGHT = 160, 30

# raw name bytes and the name domtop must show
HOSTILE = [
    (b"\x1b]0;pwned\x07", "?]0;pwned?"),          # OSC 0: set the window title
    (b"\x1b[2J", "?[2J"),                          # CSI: clear the screen
    ("\u202eevil".encode(), "?evil"),              # bidi override U+202E
    (b"bad\xff\xc0utf", "bad??utf"),               # invalid UTF-8
    (b"c1\x9b31m", "c1?31m"),                      # C1 CSI, a raw byte
    (b"u\xc2\x9b1m", "u?1m"),                      # C1 CSI as UTF-8 (U+009B)
]
SGR = re.compile(r"\x1b\[[0-9;:]*m")


class Failure(Exception):
    pass


class Tmux:
    """A private tmux server (-L), so the user's tmux and its title are never touched."""

    def __init__(self):
        self.socket = "domtop-hostile-%d" % os.getpid()

    def cmd(self, *args, check=True):
        r = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and r.returncode != 0:
            raise Failure("tmux %s: %s" % (" ".join(args), r.stderr.decode(errors="replace").strip()))
        return r.stdout.decode("utf-8", errors="surrogateescape")

    def open(self):
        self.cmd("new-session", "-d", "-s", "keeper", "-x", "20", "-y", "5", "sleep 86400")

    def start(self, command):
        self.cmd("kill-session", "-t", SESSION, check=False)
        self.cmd("new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y", str(HEIGHT), command)

    def keys(self, *keys):
        self.cmd("send-keys", "-t", SESSION, *keys)

    def text(self, s):
        self.cmd("send-keys", "-t", SESSION, "-l", s)

    def screen(self, escapes=False):
        return self.cmd("capture-pane", "-p", "-t", SESSION, *(["-e"] if escapes else []))

    def title(self):
        return self.cmd("display-message", "-p", "-t", SESSION, "#{pane_title}").strip()

    def wait(self, what, pred):
        end = time.monotonic() + TIMEOUT
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if pred(screen):
                return screen
            time.sleep(0.05)
        raise Failure("timed out waiting for %s; screen was:\n%s" % (what, screen))

    def kill(self):
        path = self.cmd("display-message", "-p", "-t", "keeper", "#{socket_path}", check=False).strip()
        self.cmd("kill-server", check=False)
        if path.endswith("/" + self.socket) and os.path.exists(path):
            os.unlink(path)


def shq(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


def bad_char(ch):
    cp = ord(ch)
    return (cp < 0x20 and ch != "\n") or 0x7f <= cp <= 0x9f or 0x202a <= cp <= 0x202e \
        or 0x2066 <= cp <= 0x2069 or cp in (0x2028, 0x2029, 0xfffd) or 0xdc80 <= cp <= 0xdcff


def check_clean(t, what):
    """The screen as the terminal holds it: SGR colours only, no bad character, title kept."""
    esc = t.screen(escapes=True)
    rest = SGR.sub("", esc)
    if "\x1b" in rest:
        i = rest.index("\x1b")
        raise Failure("%s: an escape sequence other than SGR: %r" % (what, rest[i:i + 16]))
    for n, line in enumerate(rest.split("\n")):
        for ch in line:
            if bad_char(ch):
                raise Failure("%s: character U+%04X on line %d: %r" % (what, ord(ch), n + 1, line))
    if t.title() == "pwned":
        raise Failure("%s: a domain name set the pane title" % what)
    return rest


def rows_by_name(screen):
    """The NAME cells of the table rows (the ID right-aligned in the first five cells)."""
    names = []
    for line in screen.split("\n"):
        m = re.match(r"^[ 0-9]{4}[0-9] (.{16})", line)
        if m:
            names.append(m.group(1).rstrip())
    return names


def write_scenario(tmpdir):
    path = os.path.join(tmpdir, "hostile.scn")
    lines = [b"host name=h pcpus=2 mem=16G", b"domain Domain-0 id=0 mem=1G cpu=0.1"]
    for i, (raw, _) in enumerate(HOSTILE):
        lines.append(b"domain h%d id=%d mem=1G cpu=0.%d name_hex=%s"
                     % (i, i + 1, i + 1, raw.hex().encode()))
        lines += [b"vif rx=1mbit tx=2mbit", b"vbd xvda iops=10"]
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    return path


def start(t, binary, tmpdir):
    env = "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen DOMTOP_THEMES=%s HOME=%s" % (
        shq(THEMES), shq(tmpdir))
    t.start("%s %s --scenario %s -d 1 --audit-log %s; echo DOMTOP-EXIT=$?; sleep 600"
            % (env, shq(binary), shq(write_scenario(tmpdir)), shq(os.path.join(tmpdir, "audit.log"))))
    return t.wait("a row for every domain", lambda s: len(rows_by_name(s)) == len(HOSTILE) + 1)


# ---- the tests ----

def test_title_check_can_fail(t, binary, tmpdir):
    # the title check below means something only if an OSC does set the title here
    t.start("printf '\\033]0;pwned\\007'; sleep 600")
    end = time.monotonic() + TIMEOUT
    while t.title() != "pwned":
        if time.monotonic() > end:
            raise Failure("this tmux ignores OSC 0 (title %r): the title check would "
                          "prove nothing" % t.title())
        time.sleep(0.05)


def test_table(t, binary, tmpdir):
    start(t, binary, tmpdir)
    s = check_clean(t, "the table")
    names = rows_by_name(s)
    for _, shown in HOSTILE:
        if shown not in names:
            raise Failure("no row shows %r:\n%s" % (shown, s))
    if "Domain-0" not in names or not re.search(r"^\s*ID NAME", s, re.M):
        raise Failure("the screen was cleared or the header lost:\n" + s)
    # the second sample: a redraw with rates must stay clean
    t.wait("rates", lambda s: re.search(r"^    1 \?\]0;pwned\?\s+\S+\s+[0-9]", s, re.M))
    check_clean(t, "the table with rates")


def test_search_prompt_and_message(t, binary, tmpdir):
    start(t, binary, tmpdir)
    t.keys("/")
    t.text("pwned")
    check_clean(t, "the search prompt")
    t.keys("Enter")
    t.keys("w")
    t.wait("the weight prompt", lambda s: "Weight of ?]0;pwned? (1..65535) [256]:" in s)
    check_clean(t, "the weight prompt")
    t.text("300")
    t.keys("Enter")
    t.wait("the action message", lambda s: "weight ?]0;pwned?: 256 -> 300" in s)
    check_clean(t, "the action message")
    t.keys("p")
    t.wait("the pause question", lambda s: "Pause ?]0;pwned? (id 1)? y/n" in s)
    check_clean(t, "the pause question")
    t.keys("n")
    with open(os.path.join(tmpdir, "audit.log"), "rb") as f:
        log = f.read()
    if b"\x1b" in log or b"\x07" in log or b"domain=?]0;pwned? domid=1" not in log:
        raise Failure("audit log: %r" % log)


def test_device_lines(t, binary, tmpdir):
    start(t, binary, tmpdir)
    for text, name in (("2J", "?[2J"), ("evil", "?evil"), ("utf", "bad??utf"), ("31m", "c1?31m")):
        t.keys("/")
        t.text(text)
        t.keys("Enter")
        t.keys("N", "V", "B")
        t.wait("the devices of " + name, lambda s: "vif" in s and "xvda" in s and "VCPU" in s)
        check_clean(t, "the devices of " + name)
        t.keys("N", "V", "B")


def test_help_and_quit(t, binary, tmpdir):
    start(t, binary, tmpdir)
    t.keys("F1")
    t.wait("help", lambda s: "this help" in s)
    check_clean(t, "help")
    t.keys("q")
    t.keys("q")
    t.wait("exit", lambda s: "DOMTOP-EXIT=" in s)
    check_clean(t, "after exit")


TESTS = [
    test_title_check_can_fail,
    test_table,
    test_search_prompt_and_message,
    test_device_lines,
    test_help_and_quit,
]


def main():
    if len(sys.argv) != 2:
        print("usage: hostile.py PATH/TO/domtop", file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    if not os.access(binary, os.X_OK):
        print("hostile: %s is not an executable" % binary, file=sys.stderr)
        return 2
    if shutil.which("tmux") is None:
        print("hostile: tmux is not installed (apt-get install tmux)", file=sys.stderr)
        return 2
    passed = failed = 0
    t = Tmux()
    try:
        t.open()
        for test in TESTS:
            name = test.__name__[len("test_"):]
            tmpdir = tempfile.mkdtemp(prefix="domtop-hostile-")
            try:
                test(t, binary, tmpdir)
                print("ok   %s" % name)
                passed += 1
            except Failure as e:
                print("FAIL %s: %s" % (name, e))
                failed += 1
            finally:
                t.cmd("kill-session", "-t", SESSION, check=False)
                shutil.rmtree(tmpdir, ignore_errors=True)
    finally:
        t.kill()
    print("hostile: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

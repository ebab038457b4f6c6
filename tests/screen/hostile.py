#!/usr/bin/env python3
"""Screen test of hostile domain names: what a tenant puts in its domain name
(xenstore allows any bytes) must not reach the operator's terminal.

Usage: hostile.py PATH/TO/domtop

A scenario gives the demo host names holding escape sequences (OSC set-title,
CSI clear-screen), a bidi override, invalid UTF-8 and the C1 CSI byte, raw,
with name_hex= (scenarios/FORMAT.md). domtop runs in a tmux server of its own
socket (-L; the harness is tmuxterm.py), and each screen it draws (the table, the search, a prompt, the
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
import sys
import time

from tmuxterm import TIMEOUT, Failure, domtop_command, run_suite

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
    if t.pane("#{pane_title}") == "pwned":
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
    t.start(domtop_command(binary, ["--scenario", write_scenario(tmpdir), "-d", "1", "--audit-log",
                                    os.path.join(tmpdir, "audit.log")], home=tmpdir))
    return t.wait("a row for every domain", lambda s: len(rows_by_name(s)) == len(HOSTILE) + 1)


def shown(t, what, pred):
    """Waits until pred(screen) holds, then checks the screen is clean."""
    t.wait(what, pred)
    return check_clean(t, what)


def search(t, text):
    t.keys("/")
    t.text(text)
    t.keys("Enter")


# ---- the tests ----

def test_title_check_can_fail(t, binary, tmpdir):
    # the title check below means something only if an OSC does set the title here
    t.start("printf '\\033]0;pwned\\007'; sleep 600")
    end = time.monotonic() + TIMEOUT
    while t.pane("#{pane_title}") != "pwned":
        if time.monotonic() > end:
            raise Failure("this tmux ignores OSC 0 (title %r): the title check would "
                          "prove nothing" % t.pane("#{pane_title}"))
        time.sleep(0.05)


def test_table(t, binary, tmpdir):
    start(t, binary, tmpdir)
    s = check_clean(t, "the table")
    names = rows_by_name(s)
    for _, name in HOSTILE:
        if name not in names:
            raise Failure("no row shows %r:\n%s" % (name, s))
    if "Domain-0" not in names or not re.search(r"^\s*ID NAME", s, re.M):
        raise Failure("the screen was cleared or the header lost:\n" + s)
    # the second sample: a redraw with rates must stay clean
    shown(t, "the table with rates", lambda s: re.search(r"^    1 \?\]0;pwned\?\s+\S+\s+[0-9]", s, re.M))


def test_search_prompt_and_message(t, binary, tmpdir):
    start(t, binary, tmpdir)
    t.keys("/")
    t.text("pwned")
    check_clean(t, "the search prompt")
    t.keys("Enter")
    t.keys("w")
    shown(t, "the weight prompt", lambda s: "Weight of ?]0;pwned? (1..65535) [256]:" in s)
    t.text("300")
    t.keys("Enter")
    shown(t, "the action message", lambda s: "weight ?]0;pwned?: 256 -> 300" in s)
    t.keys("p")
    shown(t, "the pause question", lambda s: "Pause ?]0;pwned? (id 1)? y/n" in s)
    t.keys("n")
    with open(os.path.join(tmpdir, "audit.log"), "rb") as f:
        log = f.read()
    if b"\x1b" in log or b"\x07" in log or b"domain=?]0;pwned? domid=1" not in log:
        raise Failure("audit log: %r" % log)


def test_device_lines(t, binary, tmpdir):
    start(t, binary, tmpdir)
    for text, name in (("2J", "?[2J"), ("evil", "?evil"), ("utf", "bad??utf"), ("31m", "c1?31m")):
        search(t, text)
        t.keys("N", "V", "B")
        shown(t, "the devices of " + name, lambda s: "vif" in s and "xvda" in s and "VCPU" in s)
        t.keys("N", "V", "B")


def test_help_and_quit(t, binary, tmpdir):
    start(t, binary, tmpdir)
    t.keys("F1")
    shown(t, "help", lambda s: "this help" in s)
    t.keys("q")
    t.keys("q")
    shown(t, "after exit", lambda s: "DOMTOP-EXIT=" in s)


TESTS = [
    test_title_check_can_fail,
    test_table,
    test_search_prompt_and_message,
    test_device_lines,
    test_help_and_quit,
]


def main():
    return run_suite("hostile", TESTS, lambda test, tmux, binary, tmpdir: test(tmux, binary, tmpdir),
                     size=(WIDTH, HEIGHT))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Screen tests: the real domtop binary on its demo host, in a real terminal.

Usage: run.py PATH/TO/domtop

Each test starts `domtop --demo` in a tmux server of its own socket
(tmux -L domtop-screen-<pid>, no config file; the harness is tmuxterm.py),
with a temporary directory of its own for HOME and the audit log, sends keys
with send-keys, reads the screen with capture-pane and asserts on it.
Conditions are polled with a timeout, never slept for. The server is killed
at the end, even on failure. SCREEN_TESTS=name,name runs only those tests.
Prints one line per test and a closing line "screen: N passed, N failed";
exits non-zero when a test failed.
"""

import os
import re
import subprocess
import sys
import time
import unicodedata

from tmuxterm import Failure, domtop_command, run_suite

# a domain row: the ID right-aligned in the first 5 cells; device lines are indented
DOMROW = re.compile(r"^[ 0-9]{4}[0-9] ")


class Domtop:
    """domtop --demo in the tmux session, with a private audit log."""

    def __init__(self, tmux, binary, tmpdir):
        self.tmux = tmux
        self.binary = binary
        self.tmpdir = tmpdir
        self.audit = os.path.join(tmpdir, "audit.log")

    def start(self, *args, width=80, height=24, term="screen", delay="1"):
        self.tmux.start(domtop_command(self.binary, ["--demo", "-d", delay, "--audit-log", self.audit]
                                       + list(args), home=self.tmpdir, term=term), width, height)
        return self.tmux.wait("the table", lambda s: "NAME" in s and "Domain-0" in s)

    def rates(self):
        """Waits for the second sample, when the rate columns have numbers."""
        return self.tmux.wait("rates", lambda s: (row(table(s), "web1") or {}).get("CPU%", "-") != "-")


# ---- reading the screen ----

def lines(screen):
    return screen.split("\n")


def header_line(screen):
    for i, l in enumerate(lines(screen)):
        if re.match(r"^\s*ID NAME\b", l):
            return i, l
    raise Failure("no column header on the screen:\n" + screen)


def columns(hline):
    """[(name, start, end)] of a column header line; names have no spaces."""
    return [(m.group(0), m.start(), m.end()) for m in re.finditer(r"\S+", hline)]


def table(screen):
    """The domain rows under the header, as dicts by column name (device lines skipped)."""
    i, h = header_line(screen)
    cols = columns(h)
    rows = []
    for l in lines(screen)[i + 1:]:
        if not DOMROW.match(l):
            if l.strip() == "" or not l.startswith("      "):
                break
            continue        # a device line under the selected domain
        fields = l.split()
        if len(fields) != len(cols):
            raise Failure("row does not match the header:\n%s\n%s" % (h, l))
        rows.append({c[0]: f for c, f in zip(cols, fields)})
    return rows


def row(rows, name):
    for r in rows:
        if r["NAME"] == name:
            return r
    return None


def number(text):
    """'1.00G' -> 1e9; '-' -> -1."""
    if text == "-":
        return -1.0
    m = re.match(r"^([0-9.]+)([kMGTP]?)$", text)
    if not m:
        raise Failure("not a number: %r" % text)
    return float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}[m.group(2)]


def message_line(screen):
    return lines(screen.rstrip("\n"))[-2]


def selected_name(tmux):
    """The NAME of the highlighted row: the only table row drawn with the selection colours."""
    esc = tmux.screen(escapes=True)
    plain = lines(tmux.screen())
    i, _ = header_line("\n".join(plain))
    # default theme: selected = black on cyan (SGR 30 and 46)
    for k, l in enumerate(lines(esc)):
        if k > i and "\x1b[46m" in l and DOMROW.match(plain[k]):
            return plain[k].split()[1]
    return None


def cells(line):
    """A line as terminal cells: a wide character takes two (the second is '')."""
    out = []
    for ch in line:
        out.append(ch)
        if unicodedata.east_asian_width(ch) in "WF":
            out.append("")
    return out


def check_fits(screen, width, height):
    """No line wrapped, no number cut: each value ends at its column's edge."""
    ls = lines(screen.rstrip("\n"))
    if len(ls) != height:
        raise Failure("%d lines on a %d-line terminal" % (len(ls), height))
    for l in ls:
        if len(cells(l)) > width:
            raise Failure("line longer than %d: %r" % (width, l))
    i, h = header_line(screen)
    cols = columns(h)
    for l in ls[i + 1:]:
        if not DOMROW.match(l):
            if l.startswith("      "):
                continue        # device lines have their own columns
            break
        c = cells(l)
        for name, start, end in cols:
            if name in ("NAME", "STATE"):
                continue
            # right-aligned: the value's last character sits on the header's last column
            if end > len(c) or c[end - 1] in (" ", "") or (end < len(c) and c[end] != " "):
                raise Failure("column %s is cut or misaligned in:\n%s\n%s" % (name, h, l))
    if not re.match(r"^F1Help", ls[-1]):
        raise Failure("the key bar is not on the last line: %r" % ls[-1])


# ---- the tests ----

def test_table_and_header(t, d):
    s = d.start()
    for text in ("Host node1", "Sched credit2", "pCPUs 8", "Mem ", "Domains 10",
                 "Sample every 1s", "Sort CPU% largest first", "F1Help", "qQuit"):
        if text not in s:
            raise Failure("%r missing from:\n%s" % (text, s))
    names = {r["NAME"] for r in table(s)}
    want = {"Domain-0", "web1", "web2", "db1", "mail1", "miner", "flood", "backup", "idle1", "parked"}
    if names != want:
        raise Failure("domains %s, want %s" % (sorted(names), sorted(want)))
    s = d.rates()
    if row(table(s), "parked")["STATE"] != "----p-":
        raise Failure("parked is not shown paused")


def ordered(values, descending):
    return all((a >= b) if descending else (a <= b) for a, b in zip(values, values[1:]))


def test_sort_and_reverse(t, d):
    d.start()
    d.rates()
    s = t.wait("CPU% order", lambda s: ordered([number(r["CPU%"]) for r in table(s)], True))
    t.keys("M")
    s = t.wait_text("Sort MEM largest first")
    if not ordered([number(r["MEM"]) for r in table(s)], True):
        raise Failure("MEM not largest first:\n" + s)
    t.keys("M")
    s = t.wait_text("Sort MEM smallest first")
    if not ordered([number(r["MEM"]) for r in table(s)], False):
        raise Failure("MEM not smallest first after a second M:\n" + s)
    # the sort menu: ID is first; choosing it sorts by ID, choosing it again reverses
    t.keys("s")
    t.wait_text("Sort by (Enter, Esc)")
    t.keys("Home", "Enter")
    s = t.wait_text("Sort ID smallest first")
    if [int(r["ID"]) for r in table(s)] != list(range(10)):
        raise Failure("not in ID order:\n" + s)
    t.keys("F6")
    t.wait_text("(current)")
    t.keys("Enter")
    s = t.wait_text("Sort ID largest first")
    if [int(r["ID"]) for r in table(s)] != list(range(9, -1, -1)):
        raise Failure("ID order not reversed:\n" + s)
    # > moves the sort to the next visible column
    t.keys(">")
    t.wait_text("Sort NAME A-Z")
    s = t.screen()
    names = [r["NAME"] for r in table(s)]
    if names != sorted(names, key=str.lower):
        raise Failure("NAME not A-Z: %s" % names)


def test_search(t, d):
    d.start()
    t.keys("/")
    t.wait_text("Search:")
    t.text("back")
    t.wait("backup selected", lambda s: selected_name(t) == "backup")
    t.keys("Enter")
    t.keys("/")
    t.text("web")
    t.keys("Enter")
    t.wait("a web domain selected", lambda s: (selected_name(t) or "").startswith("web"))
    first = selected_name(t)
    t.keys("n")
    t.wait("the next web domain", lambda s: selected_name(t) not in (None, first)
           and selected_name(t).startswith("web"))
    t.keys("/")
    t.text("nosuchdomain")
    t.wait_text("Search (no match): nosuchdomain")
    t.keys("Escape")
    t.wait_text("no domain name contains 'nosuchdomain'")


def test_filter(t, d):
    d.start()
    t.text("\\")
    t.wait_text("Filter (empty: all):")
    t.text("web")
    t.keys("Enter")
    s = t.wait_text("Filter 'web' (2 of 10)")
    names = sorted(r["NAME"] for r in table(s))
    if names != ["web1", "web2"]:
        raise Failure("filter shows %s" % names)
    t.text("\\")
    t.keys("C-u", "Enter")
    s = t.wait_text("filter cleared")
    if len(table(s)) != 10:
        raise Failure("clearing the filter shows %d rows" % len(table(s)))


def help_pages(t):
    """Opens the help and pages through it; returns all its lines."""
    t.keys("F1")
    s = t.wait_text("keys")
    seen = []
    for _ in range(20):
        for l in lines(s):
            if l not in seen:
                seen.append(l)
        t.keys("PageDown")
        time.sleep(0.2)
        nxt = t.screen()
        if nxt == s:
            break
        s = nxt
    return seen


def test_help(t, d):
    d.start()
    text = "\n".join(help_pages(t))
    keys = ["Up Down", "PgUp PgDn", "Home End", "F1 h ?", "/ F3", " n ", "\\ F4", "F6 s",
            "< >", " P ", " M ", " I ", " T ", " N ", " V ", " B ", " w ", " c ", " a ",
            " p ", " u ", " C ", " d ", "Ctrl-L", "q F10", "Columns", "USE", "IOW%"]
    for k in keys:
        if k not in text:
            raise Failure("help lacks %r:\n%s" % (k, text))
    t.keys("x")
    t.wait("the table again", lambda s: "ID NAME" in s)
    t.keys("?")
    t.wait_text("this help")
    t.keys("Escape")
    t.wait("the table again", lambda s: "ID NAME" in s)
    t.keys("h")
    t.wait_text("this help")


def wait_cell(t, name, column, value):
    """Waits until the row of domain name shows value in column."""
    return t.wait("%s %s %s" % (name, column, value),
                  lambda s: (row(table(s), name) or {}).get(column) == value)


def select(t, name):
    t.keys("/")
    t.text(name)
    t.keys("Enter")
    t.wait(name + " selected", lambda s: selected_name(t) == name)


def device_lines(screen, name):
    """The lines under the row of domain name, up to the next domain row."""
    ls = lines(screen)
    for i, l in enumerate(ls):
        f = l.split()
        if len(f) > 1 and f[1] == name and DOMROW.match(l):
            out = []
            for m in ls[i + 1:]:
                if DOMROW.match(m) or not m.startswith("      "):
                    break
                out.append(m.strip())
            return out
    return []


def test_expand(t, d):
    d.start()
    d.rates()
    select(t, "db1")
    t.keys("N")
    s = t.wait("vifs of db1", lambda s: any(l.startswith("vif3.0") for l in device_lines(s, "db1")))
    if not device_lines(s, "db1")[0].startswith("VIF"):
        raise Failure("no VIF header under db1:\n" + s)
    t.keys("V")
    s = t.wait("vcpus of db1", lambda s: any(l.startswith("VCPU") for l in device_lines(s, "db1")))
    dev = device_lines(s, "db1")
    vcpus = [l for l in dev if re.match(r"^\d+ +(\d+|-) +[0-9.-]+ ", l)]
    if len(vcpus) != 4:
        raise Failure("db1 has 4 vcpus, shown %d:\n%s" % (len(vcpus), s))
    t.keys("B")
    s = t.wait("vbds of db1", lambda s: any(l.startswith("xvdb") for l in device_lines(s, "db1")))
    if not any(l.startswith("xvda") for l in device_lines(s, "db1")):
        raise Failure("xvda missing:\n" + s)
    t.keys("N", "V", "B")
    t.wait("no device lines", lambda s: device_lines(s, "db1") == [])


def test_action_weight_and_undo(t, d):
    d.start()
    d.rates()
    select(t, "web2")
    t.keys("w")
    t.wait_text("Weight of web2 (1..65535) [2048]:")
    t.text("300")
    t.keys("Enter")
    t.wait_text("weight web2: 2048 -> 300")
    wait_cell(t, "web2", "WEIGHT", "300")
    t.keys("u")
    t.wait_text("undo weight web2: 300 -> 2048")
    wait_cell(t, "web2", "WEIGHT", "2048")
    expect_audit(d, "op=do action=weight domain=web2")
    expect_audit(d, "op=undo action=weight domain=web2")
    # a bad value is refused with a reason, and nothing changes
    t.keys("w")
    t.wait_text("Weight of web2")
    t.text("0")
    t.keys("Enter")
    s = t.wait("a refusal", lambda s: "refused" in message_line(s))
    if row(table(s), "web2")["WEIGHT"] != "2048":
        raise Failure("a refused weight changed the table")
    # Esc cancels
    t.keys("w")
    t.wait_text("Weight of web2")
    t.text("999")
    t.keys("Escape")
    t.wait_text("weight cancelled")


def vbd_ioprio(screen, name):
    """The IOPRIO cell of the first vbd line of domain name, or None."""
    for l in device_lines(screen, name):
        f = l.split()
        if f and f[0].startswith("xvd") and len(f) >= 9:
            return f[7]
    return None


def test_ioprio_key_and_undo(t, d):
    """i sets the IO priority of the selected domain's disk backends; under bfq
    an idle web2 gets nothing while backup saturates the disk; u puts it back."""
    d.start(width=100, height=30)
    d.rates()
    select(t, "web2")
    t.keys("B")
    t.wait("web2's vbd", lambda s: vbd_ioprio(s, "web2") == "none")
    busy = number(row(table(t.screen()), "web2")["IOPS"])
    t.keys("i")
    t.wait_text("IO priority of web2's disk backends: idle, be/0-7, rt/0-7 or none [none]:")
    t.text("idle")
    t.keys("Enter")
    t.wait_text("ioprio web2: none -> idle")
    t.wait("web2 idle", lambda s: vbd_ioprio(s, "web2") == "idle")
    s = wait_cell(t, "web2", "IOPS", "0")
    if busy < 20:
        raise Failure("web2 did only %s IOPS before: the test shows nothing\n%s" % (busy, s))
    expect_audit(d, "op=do action=ioprio domain=web2", "old=none new=idle result=ok")
    # a bad value is refused with a reason, and nothing changes
    t.keys("i")
    t.wait_text("IO priority of web2's disk backends")
    t.text("be/9")
    t.keys("Enter")
    s = t.wait("a refusal", lambda s: "refused" in message_line(s))
    if "0 (highest) to 7" not in message_line(s) or vbd_ioprio(s, "web2") != "idle":
        raise Failure("be/9 not refused with its reason, or it changed something:\n" + s)
    t.keys("u")
    t.wait_text("undo ioprio web2: idle -> none")
    select(t, "Domain-0")                # no vbds: nothing to ask
    t.keys("i")
    s = t.wait_text("Domain-0 has no vbds: no disk backend to set")
    if "IO priority of" in s:
        raise Failure("i asks for an IO priority of a domain without vbds:\n" + s)
    select(t, "web2")
    t.wait("web2 back to none", lambda s: vbd_ioprio(s, "web2") == "none")
    t.wait("web2 served again", lambda s: number(row(table(s), "web2")["IOPS"]) >= busy / 2)


def test_throttle_menu_and_undo(t, d):
    d.start(width=100, height=30)
    d.rates()
    select(t, "flood")
    before = number(row(table(t.screen()), "flood")["NETRX"])
    t.keys("t")
    s = t.wait_text("Throttle flood")
    for entry in ("1  1mbit both ways", "2  10mbit both ways", "3  100mbit both ways",
                  "o  other rate...", "l  lift throttle", "now: none"):
        if entry not in s:
            raise Failure("throttle menu lacks %r:\n%s" % (entry, s))
    t.keys("Down", "Enter")          # the second preset
    t.wait_text("throttle flood: none -> 10mbit both ways")
    wait_cell(t, "flood", "THR", "10.0M")
    t.wait("NETRX at the limit", lambda s: number(row(table(s), "flood")["NETRX"]) <= 10.5e6)
    if before < 100e6:
        raise Failure("flood was not flooding before: NETRX %g" % before)
    t.keys("u")
    t.wait_text("undo throttle flood: 10mbit both ways -> none")
    wait_cell(t, "flood", "THR", "-")
    expect_audit(d, "op=do action=throttle domain=flood")
    expect_audit(d, "op=undo action=throttle domain=flood")
    # any rate, one way, with an expiry; shown on the vif line after N
    t.keys("t")
    t.wait_text("Throttle flood")
    t.keys("o")
    t.wait_text("Throttle flood: RATE [in|out|both] [for 2h]")
    t.text("5mbit out for 1h")
    t.keys("Enter")
    t.wait_text("throttle flood: none -> in none, out 5mbit until ")
    wait_cell(t, "flood", "THR", "5.00Mo")
    t.keys("N")
    s = t.wait("vif line with the expiry",
               lambda s: any(re.search(r"out 5\.00Mbit/s sticky 59m[0-9]{2}s left", l)
                             for l in device_lines(s, "flood")))
    # Esc leaves the menu unchanged; a bad rate is refused with a reason
    t.keys("t")
    t.wait_text("Throttle flood")
    t.keys("Escape")
    t.wait_text("throttle of flood unchanged")
    t.keys("t", "o")
    t.text("fast")
    t.keys("Enter")
    t.wait("a refusal", lambda s: "refused" in message_line(s) and "tc unit" in message_line(s))
    t.keys("t", "l")
    t.wait_text("throttle flood: in none, out 5mbit until")
    wait_cell(t, "flood", "THR", "-")


def test_vif_selection_and_flows(t, d):
    d.start(width=100, height=30)
    d.rates()
    select(t, "db1")
    t.keys("N")
    t.wait("vifs of db1", lambda s: any(l.startswith("vif3.0") for l in device_lines(s, "db1")))
    t.keys("Down")                   # onto the vif line
    t.keys("t")
    t.wait_text("Throttle db1 vif 0")
    t.keys("1")
    t.wait_text("throttle db1 vif 0: none -> 1mbit both ways")
    s = t.wait("the vif throttled", lambda s: any(l.startswith("vif3.0") and "1.00Mbit/s both ways sticky" in l
                                                   for l in device_lines(s, "db1")))
    t.keys("Up")                     # back on the domain row: F shows its vifs
    t.keys("F")
    s = t.wait_text("Flows of db1")
    if "is simulated" not in s:
        raise Failure("the flow view of a simulated vif does not say so:\n" + s)
    t.keys("Escape")
    t.wait("the table again", lambda s: row(table(s), "db1") is not None)
    t.keys("u")
    t.wait_text("undo throttle db1 vif 0: 1mbit both ways -> none")


def test_pause_confirm(t, d):
    d.start()
    select(t, "mail1")
    t.keys("p")
    t.wait_text("Pause mail1 (id 4)? y/n")
    t.keys("n")
    t.wait_text("pause cancelled")
    t.keys("p")
    t.wait_text("Pause mail1 (id 4)? y/n")
    t.keys("y")
    t.wait_text("pause mail1: running -> paused")
    wait_cell(t, "mail1", "STATE", "----p-")
    t.keys("u")
    wait_cell(t, "mail1", "STATE", "-----r")


def test_read_only(t, d):
    d.start("--read-only")
    t.wait_text("READ-ONLY")
    select(t, "web1")
    t.keys("w")
    s = t.wait("a refusal", lambda s: "read-only" in message_line(s))
    if "Weight of" in s:
        raise Failure("read-only still asks for a value")
    t.keys("p")
    s = t.wait("pause refused", lambda s: "read-only" in message_line(s) and "pause" in message_line(s))
    if "y/n" in s:
        raise Failure("read-only still asks to confirm a pause")
    t.keys("i")
    s = t.wait("ioprio refused", lambda s: "read-only" in message_line(s) and "ioprio" in message_line(s))
    if "IO priority of" in s:
        raise Failure("read-only still asks for an IO priority")
    expect_audit(d, "action=ioprio domain=web1", "result=read-only")


def expect_audit(d, *needles):
    """Fails unless one audit record holds every needle."""
    with open(d.audit) as f:
        log = f.read()
    if not any(all(n in l for n in needles) for l in log.splitlines()):
        raise Failure("no audit record with %s in:\n%s" % (" and ".join(map(repr, needles)), log))


def pane_children(t, pattern):
    """Pids of the processes in the test pane whose command line matches pattern."""
    pids, todo = [], [int(t.pane("#{pane_pid}"))]
    while todo:
        pid = todo.pop()
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            continue
        for k in kids:
            try:
                with open("/proc/%d/cmdline" % k, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if re.search(pattern, cmd):
                pids.append(k)
            todo.append(k)
    return pids


CONSOLE_SCN = (b"host name=cons pcpus=2 mem=8G\n"
               b"domain Domain-0 id=0 mem=1G cpu=0.2\n"
               b"domain web1 id=1 mem=1G cpu=0.5\n"
               b"domain parked id=2 mem=1G state=paused\n"
               b"at 2 create late1 mem=1G cpu=0.3\n")


def test_console_attach(t, d):
    # late1 is created at 2 s of demo time: it can only be on the first table
    # drawn after the console if samples went on while the console was attached
    path = scenario(d, "console.scn", CONSOLE_SCN)
    s = d.start("--scenario", path, width=100, height=24, delay="0.25")
    if "CConsole" not in lines(s.rstrip("\n"))[-1]:
        raise Failure("the key bar lacks C Console: %r" % lines(s.rstrip("\n"))[-1])
    select(t, "web1")
    if row(table(t.screen()), "late1") is not None:
        raise Failure("too slow: late1 was created before the console was attached")
    t.keys("C")
    attached = time.monotonic()
    s = t.wait_text("Connected to the demo console of web1; Ctrl-] returns")
    if "ID NAME" in s or "domtop: console of web1 (domain 1); Ctrl-] returns to domtop" not in s:
        raise Failure("the console is not alone on the screen:\n" + s)
    t.wait_text("web1 login:")
    t.text("root")
    t.keys("Enter")
    t.wait_text("root@web1:~$")
    t.text("hello console")
    t.keys("Enter")
    t.wait_text("[demo] web1 received: hello console")
    expect_audit(d, "op=console action=attach domain=web1 domid=1", "result=ok")
    time.sleep(max(0.0, attached + 3.0 - time.monotonic()))   # demo time passes 2 s
    if "ID NAME" in t.screen():
        raise Failure("domtop drew over the console")
    t.keys("C-]")
    s = t.wait("the table again", lambda s: "ID NAME" in s)
    if row(table(s), "late1") is None:
        raise Failure("no sample was taken while the console was attached:\n" + s)
    if message_line(s).strip() != "console of web1 closed":
        raise Failure("message after the console: %r" % message_line(s))
    expect_audit(d, "op=console action=detach domain=web1 domid=1", "result=ok")
    if pane_children(t, r"--sim-console"):
        raise Failure("the console process is still running")
    # the table works as before: keys act, samples go on
    t.keys("M")
    t.wait_text("Sort MEM largest first")
    t.keys("/")
    t.text("late1")
    t.keys("Enter")
    t.wait("late1 selected", lambda s: selected_name(t) == "late1")
    t.wait("a new sample", lambda s: re.search(r"age 0\.[0-3]s", s) is not None)


def test_console_paused_and_refused(t, d):
    path = scenario(d, "console.scn", CONSOLE_SCN)
    d.start("--scenario", path)
    select(t, "Domain-0")
    t.keys("C")
    s = t.wait("a refusal", lambda s: "refused" in message_line(s))
    if "Domain-0 has no guest console" not in message_line(s):
        raise Failure("Domain-0's console: %r" % message_line(s))
    # a paused domain's console attaches, and says it will not answer
    select(t, "parked")
    t.keys("C")
    t.wait_text("parked is paused: it will not answer until it is unpaused.")
    t.text("hello")
    t.keys("Enter")
    s = t.screen()
    if "hello" in s or "login" in s:
        raise Failure("a paused domain answered:\n" + s)
    t.keys("C-]")
    t.wait("the table again", lambda s: "ID NAME" in s and "console of parked closed" in message_line(s))
    expect_audit(d, "op=console action=attach domain=Domain-0 domid=0", "result=refused")


def test_console_read_only(t, d):
    d.start("--read-only")
    select(t, "web1")
    t.keys("C")
    s = t.wait("a refusal", lambda s: "read-only" in message_line(s))
    if "console of web1 refused" not in message_line(s) or "Connected" in s:
        raise Failure("read-only attached a console:\n" + s)
    expect_audit(d, "op=console action=attach domain=web1", "result=read-only")


def test_console_quit_while_attached(t, d):
    # domtop ends (SIGTERM, ssh gone) while a console is attached: the console ends too
    d.start()
    select(t, "web1")
    t.keys("C")
    t.wait_text("web1 login:")
    domtop = pane_children(t, r"--demo ")
    child = pane_children(t, r"--sim-console web1")
    if len(domtop) != 1 or len(child) != 1:
        raise Failure("domtop %s, console %s: want one of each" % (domtop, child))
    os.kill(domtop[0], 15)
    t.wait_text("DOMTOP-EXIT=0")
    if os.path.exists("/proc/%d" % child[0]):
        raise Failure("the console outlived domtop")
    expect_audit(d, "op=console action=detach domain=web1", 'result="ended: domtop quit"')


def test_keys_do_not_sample(t, d):
    # once the delay is an hour only keys happen: the numbers (with jitter) must not move
    d.start()
    d.rates()
    t.keys("d")
    t.wait_text("Delay between samples")
    t.text("3600")
    t.keys("Enter")
    t.wait_text("a sample every 3600 s")
    before = [(r["NAME"], r["CPU%"], r["NETRX"], r["IOW%"]) for r in table(t.screen())]
    for _ in range(10):
        t.keys("Down", "Up", "C-l", "M", "M", "N", "N")
    t.keys("F1", "x")
    t.wait_text("Sort MEM smallest first")
    time.sleep(1.5)
    t.keys("P")
    t.wait_text("Sort CPU% largest first")
    after = [(r["NAME"], r["CPU%"], r["NETRX"], r["IOW%"]) for r in table(t.screen())]
    if sorted(before) != sorted(after):
        raise Failure("keys changed the numbers:\n%s\n%s" % (before, after))


def test_resize(t, d):
    s = d.start(width=80, height=24)
    d.rates()
    s = t.wait("fits 80x24", lambda s: check_fits_ok(s, 80, 24))
    _, h = header_line(s)
    for name in ("ID", "NAME", "STATE", "CPU%", "WEIGHT", "USE", "NETRX", "IOW%"):
        if name not in h.split():
            raise Failure("%s dropped at 80 columns: %r" % (name, h))
    t.resize(200, 50)
    s = t.wait("all columns at 200x50", lambda s: "IOPS" in s and "VCPUS" in s and "PPS" in s)
    s = t.wait("fits 200x50", lambda s: check_fits_ok(s, 200, 50))
    _, h = header_line(s)
    if len(h.split()) != 16:
        raise Failure("not every column at 200 columns: %r" % h)
    t.resize(60, 20)
    t.wait("fits 60x20", lambda s: check_fits_ok(s, 60, 20))
    t.resize(80, 24)
    select(t, "db1")
    t.keys("N", "V", "B")
    t.wait("devices at 80x24", lambda s: "xvdb" in s and check_fits_ok(s, 80, 24))


def check_fits_ok(screen, width, height):
    try:
        check_fits(screen, width, height)
        return True
    except Failure:
        return False


def scenario(d, name, body):
    path = os.path.join(d.tmpdir, name)
    with open(path, "wb") as f:
        f.write(body)
    return path


def test_hostile_name_refused(t, d):
    # the scenario parser refuses control bytes: the refusal must be clear and clean
    path = scenario(d, "evil.scn", b"host name=evil pcpus=2 mem=4G\n"
                    b"domain Domain-0 id=0 mem=1G\n"
                    b"domain ev\x1b]2;pwned\x07il mem=1G\n")
    r = subprocess.run([d.binary, "--scenario", path, "-b", "-i", "1", "--audit-log", d.audit],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = r.stderr
    if r.returncode == 0:
        raise Failure("a name with an escape sequence was accepted")
    if b"\x1b" in err or b"\x07" in err or b"\x1b" in r.stdout:
        raise Failure("the raw escape reached the terminal: %r" % err)
    if (path + ":3:").encode() not in err:
        raise Failure("the refusal does not name %s:3: %r" % (path, err))
    # and in a terminal: the pane title is not changed by the name
    t.start(domtop_command(d.binary, ["--scenario", path, "--audit-log", d.audit]))
    s = t.wait_text("DOMTOP-EXIT=")
    if "DOMTOP-EXIT=0" in s:
        raise Failure("domtop ran with a hostile scenario")
    title = t.pane("#{pane_title}")
    if "pwned" in title:
        raise Failure("the escape sequence set the pane title")


def test_odd_names(t, d):
    # names the parser accepts but that are hard to draw: wide characters, 63 bytes
    wide = "\u6d4b\u8bd5\u00e9\u6d4b\u8bd5\u00e9\u6d4b\u8bd5"
    long = "x" * 63
    path = scenario(d, "odd.scn", ("host name=odd pcpus=2 mem=8G\n"
                                   "domain Domain-0 id=0 mem=1G cpu=0.1\n"
                                   "domain %s mem=1G cpu=0.5\nvif rx=1mbit\n"
                                   "domain %s mem=1G cpu=0.2\n" % (wide, long)).encode())
    t.start(domtop_command(d.binary, ["--scenario", path, "-d", "1", "--audit-log", d.audit]), 80, 24)
    s = t.wait("three rows with rates", lambda s: len(table(s)) == 3
               and all(r["CPU%"] != "-" for r in table(s)))
    # at 80 columns NAME is 10 cells: both names are cut, never the numbers after them
    check_fits(s, 80, 24)


def test_bad_options_keep_running(t, d):
    d.start("--theme", "nosuch", "--columns", "ID,NAME,FOO", "--sort", "BAR")
    s = t.wait_text("3 problems at start-up (F1 lists them): --columns: unknown column 'FOO'")
    if "Sort CPU% largest first" not in s or "WEIGHT" not in s:
        raise Failure("defaults not used after bad options:\n" + s)
    s = "\n".join(help_pages(t))
    for text in ("Problems at start-up", "--sort: unknown sort column 'BAR'",
                 "--theme: theme 'nosuch' not found", "Theme                    built-in"):
        if text not in s:
            raise Failure("help lacks %r:\n%s" % (text, s))


def test_no_colours(t, d):
    # vt100 has no PgDn in terminfo: a terminal tall enough for the whole help
    d.start(term="vt100", height=90)
    t.keys("F1")
    s = t.wait_text("Theme ")
    if "mono.theme" not in s:
        raise Failure("a terminal without colours did not get the mono theme:\n" + s)


def test_quit(t, d):
    d.start()
    t.keys("q")
    t.wait_text("DOMTOP-EXIT=0")
    d.start()
    t.keys("F10")
    t.wait_text("DOMTOP-EXIT=0")


TESTS = [
    test_table_and_header,
    test_sort_and_reverse,
    test_search,
    test_filter,
    test_help,
    test_expand,
    test_action_weight_and_undo,
    test_throttle_menu_and_undo,
    test_ioprio_key_and_undo,
    test_vif_selection_and_flows,
    test_pause_confirm,
    test_read_only,
    test_console_attach,
    test_console_paused_and_refused,
    test_console_read_only,
    test_console_quit_while_attached,
    test_keys_do_not_sample,
    test_resize,
    test_hostile_name_refused,
    test_odd_names,
    test_bad_options_keep_running,
    test_no_colours,
    test_quit,
]


def main():
    return run_suite("screen", TESTS, lambda test, tmux, binary, tmpdir:
                     test(tmux, Domtop(tmux, binary, tmpdir)))


if __name__ == "__main__":
    sys.exit(main())

"""tmuxterm.py: the tmux harness of the screen tests (run.py, hostile.py).

A private tmux server (tmux -L <name>-<pid>, no config file, so the user's
tmux, its options and its titles are never touched) with one test session
at a time in it: start a command in the session, send keys, capture the
pane, poll the pane until a condition holds (never sleep for it). Also the
command line that starts domtop in the session, and the runner of a suite:
one line per test, a closing line "<label>: N passed, N failed", exit status
1 when a test failed and 2 on bad usage. Standard library only.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THEMES = os.path.normpath(os.path.join(HERE, "..", "..", "themes"))
TIMEOUT = 8.0
SESSION = "main"


class Failure(Exception):
    pass


def shq(s):
    """s quoted for sh."""
    return "'" + str(s).replace("'", "'\\''") + "'"


def domtop_command(binary, args, home=None, term="screen"):
    """The shell command that runs domtop in a UTF-8 terminal with the tree's
    themes, then says how it exited and keeps the pane open."""
    env = "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=%s DOMTOP_THEMES=%s" % (term, shq(THEMES))
    if home is not None:
        env += " HOME=%s" % shq(home)
    return "%s %s %s; echo DOMTOP-EXIT=$?; sleep 600" % (
        env, shq(binary), " ".join(shq(a) for a in args))


class Tmux:
    """One private tmux server; one session (SESSION) at a time in it."""

    def __init__(self, name, width=80, height=24):
        self.socket = "%s-%d" % (name, os.getpid())
        self.width, self.height = width, height

    def open(self):
        """Starts the server with an idle session, so it outlives each test's session."""
        self.cmd("new-session", "-d", "-s", "keeper", "-x", "20", "-y", "5", "sleep 86400")

    def cmd(self, *args, check=True):
        """Runs a tmux command on this server; its output, undecodable bytes kept as surrogates."""
        r = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and r.returncode != 0:
            raise Failure("tmux %s: %s" % (" ".join(args), r.stderr.decode(errors="replace").strip()))
        return r.stdout.decode("utf-8", errors="surrogateescape")

    def start(self, command, width=None, height=None):
        """Runs command in a new test session, in place of the last one."""
        self.end()
        self.cmd("new-session", "-d", "-s", SESSION, "-x", str(width or self.width),
                 "-y", str(height or self.height), command)

    def end(self):
        self.cmd("kill-session", "-t", SESSION, check=False)

    def keys(self, *keys):
        self.cmd("send-keys", "-t", SESSION, *keys)

    def text(self, s):
        self.cmd("send-keys", "-t", SESSION, "-l", s)

    def screen(self, escapes=False):
        """The pane as text; with escapes, with the escape sequences that draw it."""
        return self.cmd("capture-pane", "-p", "-t", SESSION, *(["-e"] if escapes else []))

    def resize(self, width, height):
        self.cmd("resize-window", "-t", SESSION, "-x", str(width), "-y", str(height))

    def pane(self, fmt):
        """A tmux format of the test pane, e.g. "#{pane_title}"."""
        return self.cmd("display-message", "-p", "-t", SESSION, fmt).strip()

    def wait(self, what, pred, timeout=TIMEOUT):
        """Polls the screen until pred(screen) is true; returns the screen.
        A Failure raised by pred means "not there yet"."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            try:
                if pred(screen):
                    return screen
            except Failure:
                pass
            time.sleep(0.05)
        raise Failure("timed out waiting for %s; screen was:\n%s" % (what, screen))

    def wait_text(self, text, timeout=TIMEOUT):
        return self.wait(repr(text), lambda s: text in s, timeout)

    def kill(self):
        path = self.cmd("display-message", "-p", "-t", "keeper", "#{socket_path}", check=False).strip()
        self.cmd("kill-server", check=False)
        if path.endswith("/" + self.socket) and os.path.exists(path):
            os.unlink(path)     # tmux leaves its socket file behind


def run_suite(label, tests, call, size=(80, 24), argv=None):
    """Runs each test as call(test, tmux, binary, tmpdir), in a fresh session
    (of size columns x lines unless the test says otherwise) and a temporary
    directory of its own; SCREEN_TESTS=a,b runs only tests test_a and test_b.
    Returns the exit status."""
    argv = sys.argv if argv is None else argv
    if len(argv) != 2:
        print("usage: %s PATH/TO/domtop" % os.path.basename(argv[0]), file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    if not os.access(binary, os.X_OK):
        print("%s: %s is not an executable" % (label, binary), file=sys.stderr)
        return 2
    if shutil.which("tmux") is None:
        print("%s: tmux is not installed (apt-get install tmux)" % label, file=sys.stderr)
        return 2
    only = [n for n in os.environ.get("SCREEN_TESTS", "").split(",") if n]
    passed = failed = 0
    tmux = Tmux("domtop-%s" % label, *size)
    try:
        tmux.open()
        for test in tests:
            name = test.__name__[len("test_"):]
            if only and name not in only:
                continue
            tmpdir = tempfile.mkdtemp(prefix="domtop-%s-" % label)
            try:
                call(test, tmux, binary, tmpdir)
                print("ok   %s" % name)
                passed += 1
            except Failure as e:
                print("FAIL %s: %s" % (name, e))
                failed += 1
            finally:
                tmux.end()
                shutil.rmtree(tmpdir, ignore_errors=True)
    finally:
        tmux.kill()
    print("%s: %d passed, %d failed" % (label, passed, failed))
    return 1 if failed else 0

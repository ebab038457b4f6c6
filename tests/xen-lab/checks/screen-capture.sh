#!/bin/sh
# Xen lab example: capture the screen of full-screen programs running in dom0. Each program
# runs in a detached tmux session of 120x40 (tmux is in the lab image), keys are sent with
# send-keys, and the screen is read with `capture-pane -e -p` (text plus colour escapes) and
# exported with lab_export, so run.sh writes it to tests/xen-lab/work/files/NAME.ansi on the
# host. Captures xentop always, and domtop's console when the image has domtop.
# Prints PASS/FAIL lines and "xen-lab: N passed, N failed".
. /lab/lib.sh
. /lab/env

COLS=120
ROWS=40

# capture NAME WAIT CMD: run CMD in tmux session NAME, wait WAIT seconds, capture, export.
capture() {
    name=$1 wait=$2; shift 2
    tmux -u new-session -d -s "$name" -x $COLS -y $ROWS "$*" ||
        { lab_fail "tmux new-session for $name"; return 1; }
    sleep "$wait"
    if ! tmux capture-pane -t "$name" -e -p >"/tmp/$name.ansi"; then
        lab_fail "tmux capture-pane of $name"
        return 1
    fi
    lab_export "$name.ansi" "/tmp/$name.ansi"
    return 0
}

# A capture shows the lab's guests (the program drew its table).
shows_guests() {
    grep -q "$LAB_GUEST_CPU" "/tmp/$1.ansi" && grep -q "$LAB_GUEST_NET" "/tmp/$1.ansi"
}

tmux -V >/dev/null 2>&1 && lab_pass "tmux runs in dom0 ($(tmux -V))" || lab_fail "tmux does not run"

if capture xentop 4 "xentop -d 1"; then
    shows_guests xentop && lab_pass "xentop screen shows both guests" ||
        lab_fail "xentop screen does not show both guests"
    tmux send-keys -t xentop q
fi

if command -v domtop >/dev/null 2>&1; then
    if capture domtop 6 "domtop; echo domtop exited with status \$?; sleep 60"; then
        shows_guests domtop && lab_pass "domtop screen shows both guests" ||
            lab_fail "domtop screen does not show both guests"
        tmux send-keys -t domtop q
    fi
else
    echo "domtop is not in the image: no domtop capture"
fi
tmux kill-server 2>/dev/null
lab_summary

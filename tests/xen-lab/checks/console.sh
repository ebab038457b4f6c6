#!/bin/sh
# Xen lab check: domtop's console attach (C) on real Xen. domtop runs in a tmux session in
# dom0; guest-net is selected and C attaches its console (libxl_primary_console_exec runs
# xenconsole in a child of domtop). The pane must then show the guest's console and nothing
# of domtop: a line typed there comes back echoed by the guest's own tty, and a sysrq sent
# with `xl sysrq` makes the guest kernel print its help there. Ctrl-] must bring back the
# table with both guests and the message "console of guest-net closed", with no xenconsole
# left running, keys working again, and the attach and detach in the audit log.
# Domain-0's console is refused with a reason. Captures are exported as console-*.txt.
# Prints PASS/FAIL lines and "xen-lab: N passed, N failed".
. /lab/lib.sh
. /lab/env

COLS=120
ROWS=40
AUDIT=/tmp/console-audit.log
PANE=/tmp/console-pane.txt
PROBE=probe$$console

# wait_pane TEXT SECONDS: polls the pane (5 times a second) until it shows TEXT.
wait_pane() {
    _n=0
    while [ $_n -lt $(($2 * 5)) ]; do
        tmux capture-pane -t con -p >"$PANE" 2>/dev/null && grep -qF -- "$1" "$PANE" && return 0
        sleep 0.2
        _n=$((_n + 1))
    done
    return 1
}

# capture NAME: the pane as it is now into /tmp/console-NAME.txt, exported to the host.
capture() {
    tmux capture-pane -t con -p >"/tmp/console-$1.txt" 2>/dev/null
    lab_export "console-$1.txt" "/tmp/console-$1.txt"
}

# The command lines of the processes named NAME, one a line.
procs() {
    for _d in /proc/[0-9]*; do
        [ "$(cat "$_d/comm" 2>/dev/null)" = "$1" ] && { tr '\0' ' ' <"$_d/cmdline"; echo; }
    done
}

# select NAME: domtop's search selects the first domain whose name holds NAME.
select_domain() {
    tmux send-keys -t con /
    tmux send-keys -t con -l "$1"
    tmux send-keys -t con Enter
    sleep 1
}

diagnose() {
    echo "--- pane:"; cat "$PANE" 2>/dev/null
    echo "--- processes:"; procs domtop; procs xenconsole
    echo "--- domtop's xen log (last lines):"; tail -n 15 /var/log/domtop/xen.log 2>/dev/null
}

if ! command -v domtop >/dev/null 2>&1; then
    lab_fail "domtop is not in the image (build.sh --domtop=require)"
    lab_summary
    exit 1
fi

rm -f "$AUDIT"
tmux -u new-session -d -s con -x $COLS -y $ROWS \
    "domtop -d 1 --audit-log $AUDIT; echo domtop exited with status \$?; sleep 600" ||
    { lab_fail "tmux new-session"; lab_summary; exit 1; }

if wait_pane "$LAB_GUEST_NET" 60 && grep -q "ID NAME" "$PANE"; then
    lab_pass "domtop shows its table"
else
    lab_fail "domtop's table did not appear"; diagnose
    tmux kill-server; lab_summary; exit 1
fi

# Debian's kernel does not account block-IO delay: IOW% says "off" and the message line how
# to turn it on, rather than showing a 0 that means nothing
if [ "$(cat /proc/sys/kernel/task_delayacct 2>/dev/null)" = 0 ]; then
    capture iow-off
    if grep -qF "IOW% off: kernel.task_delayacct=0 (turn on: sysctl kernel.task_delayacct=1)" \
            /tmp/console-iow-off.txt &&
       grep "$LAB_GUEST_NET" /tmp/console-iow-off.txt | grep -qw off; then
        lab_pass "with kernel.task_delayacct=0 IOW% shows 'off' and the message line says how to turn it on"
    else
        lab_fail "no 'IOW% off' with kernel.task_delayacct=0"; diagnose
    fi
else
    lab_fail "kernel.task_delayacct is not 0 at boot here: $(cat /proc/sys/kernel/task_delayacct 2>&1)"
fi

# Domain-0 has no guest console: refused, with the reason, and the table stays
select_domain Domain-0
tmux send-keys -t con C
if wait_pane "Domain-0 has no guest console" 10 && grep -q "ID NAME" "$PANE"; then
    lab_pass "C on Domain-0 is refused with a reason"
else
    lab_fail "C on Domain-0 was not refused"; diagnose
fi

# attach guest-net's console
select_domain "$LAB_GUEST_NET"
tmux send-keys -t con C
if wait_pane "console of $LAB_GUEST_NET (domain $LAB_GUEST_NET_DOMID); Ctrl-] returns" 20; then
    lab_pass "C leaves the table for the console of $LAB_GUEST_NET"
else
    lab_fail "C did not attach the console of $LAB_GUEST_NET"; diagnose
fi
sleep 2
if procs xenconsole | grep -q "xenconsole $LAB_GUEST_NET_DOMID "; then
    lab_pass "xenconsole runs for domain $LAB_GUEST_NET_DOMID: $(procs xenconsole | head -n 1)"
else
    lab_fail "no xenconsole runs for domain $LAB_GUEST_NET_DOMID"; diagnose
fi
# the guest's tty echoes what is typed: the line goes to the guest and back
tmux send-keys -t con -l "$PROBE"
tmux send-keys -t con Enter
if wait_pane "$PROBE" 20; then
    lab_pass "a line typed on the console comes back echoed by the guest"
else
    lab_fail "the guest did not echo the line typed on its console"; diagnose
fi
# the guest kernel writes to its console: sysrq h prints its help there
xl sysrq "$LAB_GUEST_NET" h >/dev/null 2>&1
if wait_pane "sysrq" 20; then
    lab_pass "the guest kernel's output shows on the attached console: $(grep -m 1 sysrq "$PANE")"
else
    lab_fail "the guest kernel's sysrq output did not show on the console"; diagnose
fi
capture attached
if grep -q "ID NAME" /tmp/console-attached.txt; then
    lab_fail "domtop drew its table over the console"
else
    lab_pass "nothing of domtop is drawn while the console is attached"
fi

# Ctrl-] returns to the table, with both guests and the message
tmux send-keys -t con C-]
if wait_pane "console of $LAB_GUEST_NET closed" 20 && grep -q "ID NAME" "$PANE" &&
   grep -q "$LAB_GUEST_CPU" "$PANE" && grep -q "$LAB_GUEST_NET" "$PANE"; then
    lab_pass "Ctrl-] returns to the table with both guests and 'console of $LAB_GUEST_NET closed'"
else
    lab_fail "Ctrl-] did not bring the table back"; diagnose
fi
capture back
sleep 1
if [ -n "$(procs xenconsole)" ]; then
    lab_fail "xenconsole still runs after Ctrl-]: $(procs xenconsole | tr '\n' ' ')"
else
    lab_pass "no xenconsole runs after Ctrl-]"
fi
if [ -n "$(procs domtop)" ]; then
    lab_pass "domtop still runs"
else
    lab_fail "domtop is gone"
fi

# the table works again: a key acts, samples go on
tmux send-keys -t con M
if wait_pane "Sort MEM largest first" 10; then
    lab_pass "keys act on the table again (M sorts by memory)"
else
    lab_fail "M did nothing after the console"; diagnose
fi

grep "op=console" "$AUDIT" 2>/dev/null
lab_check "the audit log has the attach of $LAB_GUEST_NET" \
    grep -q "op=console action=attach domain=$LAB_GUEST_NET domid=$LAB_GUEST_NET_DOMID .*result=ok" "$AUDIT"
lab_check "the audit log has the detach of $LAB_GUEST_NET" \
    grep -q "op=console action=detach domain=$LAB_GUEST_NET domid=$LAB_GUEST_NET_DOMID .*result=ok" "$AUDIT"
lab_check "the audit log has the refusal of Domain-0" \
    grep -q "op=console action=attach domain=Domain-0 domid=0 .*result=refused" "$AUDIT"

tmux send-keys -t con q
if wait_pane "domtop exited with status 0" 20; then
    lab_pass "domtop quits cleanly after the console"
else
    lab_fail "domtop did not quit with status 0"; diagnose
fi
tmux kill-server 2>/dev/null

# libxenstat's complaints reach the message line, not the terminal: in a mount namespace
# where /sys/bus/xen-backend is hidden, libxenstat perror()s that it cannot open its vbd
# directory at every sample; domtop goes on without vbd counters and shows what it said.
NOTE="libxenstat: Error opening /sys/bus/xen-backend/devices"
# the first session's server must be gone, or the new session races its exit
_n=0
while tmux ls >/dev/null 2>&1 && [ $_n -lt 50 ]; do sleep 0.2; _n=$((_n + 1)); done
sleep 0.5
new_notice_session() {
    tmux -u new-session -d -s con -x $COLS -y $ROWS \
        "unshare -m sh -c 'mount -t tmpfs none /sys/bus/xen-backend && exec domtop -d 1 --read-only'; echo domtop exited with status \$?; sleep 600"
}
new_notice_session || { sleep 2; new_notice_session; } ||
    lab_fail "tmux new-session (hidden xen-backend)"
if wait_pane "$NOTE" 30 && grep -q "ID NAME" "$PANE" && grep -q "$LAB_GUEST_NET" "$PANE"; then
    lab_pass "libxenstat's complaint is on the message line, the table goes on: $(grep -o "$NOTE[^|]*" "$PANE" | head -n 1)"
else
    lab_fail "libxenstat's complaint did not reach the message line"; diagnose
fi
capture libxenstat-notice
if grep -q "^Error opening" "$PANE"; then
    lab_fail "libxenstat wrote on the terminal"
else
    lab_pass "libxenstat wrote nothing on the terminal itself"
fi
tail -n 3 /var/log/domtop/xen.log 2>/dev/null
lab_check "libxenstat's complaint is in the log file, dated" \
    grep -q "libxenstat warning: Error opening /sys/bus/xen-backend/devices" /var/log/domtop/xen.log
tmux send-keys -t con q
wait_pane "domtop exited with status 0" 20 && lab_pass "domtop quits cleanly" ||
    { lab_fail "domtop did not quit with status 0"; diagnose; }
tmux kill-server 2>/dev/null
lab_summary

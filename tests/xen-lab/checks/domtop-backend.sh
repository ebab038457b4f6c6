#!/bin/sh
# Xen lab check of domtop's Xen backend (runs in dom0; needs domtop in the image). What domtop
# reads is compared with xl and xentop taken at the same time, and every CPU action domtop
# applies is read back with xl:
#  - domains, domids, names, states, vcpus, memory: `domtop -b` against `xl list`
#  - weight and cap: against `xl sched-credit2` (or sched-credit)
#  - vcpu hard affinity and placement: `domtop --json` against `xl vcpu-list`
#  - CPU%: domtop and `xentop -b` sampling side by side, within 15 points
#  - vif name and byte counters: against /sys/class/net/<vif>/statistics and xentop
#  - vbd name, backend, sectors, IO scheduler: against sysfs; `--do ioprio` on blkback's
#    ring threads, read back with ionice and --json, audited
#  - the qdisk (guest-cpu's xvdb, served by qemu): backend qdisk in xenstore and in domtop,
#    the qemu process of xenstore; sectors the guest wrote and read, exactly; qemu's own
#    query-blockstats and xentop's sectors; IO delay = the sum over qemu's threads, non-zero
#    after writes; `--do ioprio` on every qemu thread, read back with ionice and --json
#  - actions: weight, cap (the other parameter unchanged), pin, pause, unpause; refusals
#  - libxl never writes to the terminal: a refused action prints one domtop line
#  - a domain destroyed and created again while domtop samples: no crash, listed again
#  - a vif renamed in dom0 (as vifname= does) keeps its counters under the new name
#  - vif throttle on a real guest, TCP measured both ways: unthrottled, `--do 'throttle
#    guest-net 500kbit'` (within 15%),
#    the tbf, ingress qdisc and ifb in the kernel, the throttle read back by --json,
#    `--do unthrottle` (qdiscs of before again, ifb gone, full speed again); the same
#    throttle on the renamed vif; --json vif counters between two reads of sysfs; a sticky
#    throttle re-applied by the console to the vif of guest-net destroyed and created again,
#    and the console's flow view (F) of that vif listing the TCP flow running through it
#  - with checks/domtop-hvcheck (built by hand, added with run.sh --add): the backend's own
#    refusals, read_domain, idempotent pause, each sched parameter set alone
#  - libxenstat's complaints (xen-backend hidden in a mount namespace) go to stderr as domtop
#    lines, never into the output; IOW% is null/'off' with kernel.task_delayacct=0, a number
#    with 1
# Prints PASS/FAIL lines and "xen-lab: N passed, N failed"; exports the raw outputs.
. /lab/lib.sh
. /lab/env

CPU=$LAB_GUEST_CPU
NET=$LAB_GUEST_NET
SCHED_CMD=sched-$LAB_SCHED
OUT=/tmp/domtop-check
AUDIT=$OUT/audit.log
mkdir -p "$OUT"

dt() { domtop --audit-log "$AUDIT" "$@"; }

# The last frame of `domtop -b` output: the lines after the last "ID NAME" header.
last_frame() { awk '/^ *ID +NAME/ { n = NR; delete rows; k = 0; next } n { rows[++k] = $0 }
                    END { for (i = 1; i <= k; i++) print rows[i] }' "$1"; }
# Field F of domain NAME's row in a domtop frame (1 ID, 2 NAME, 3 STATE, 4 CPU%, 5 WEIGHT,
# 6 CAP, ... 10 VCPUS).
dt_field() { awk -v d="$2" -v f="$3" '$2 == d { print $f; exit }' "$1"; }

# One JSON object per line; split into one record per {"id": so each domain's record
# starts with `N,"name":` and its vcpus follow as `N,"online":`.
json_records() { tail -n 1 "$1" | sed 's/{"id":/\n/g'; }
# The record lines of domain NAME (its own line and its vcpus' lines).
json_domain() {
    json_records "$1" | awk -v d="$2" '/^[0-9]+,"name":/ { on = index($0, "\"name\":\"" d "\"") > 0 }
                                      on { print }'
}
json_get() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^,\"}]*\\).*/\\1/p" | head -n 1; }
# Hard affinity of vcpu V from domtop's JSON and from xl vcpu-list.
dt_affinity() { json_domain "$1" "$2" | grep "^$3,\"online\"" | json_get affinity; }
xl_affinity() { xl vcpu-list "$1" | awk -v v="$2" 'NR > 1 && $3 == v { print $7 }'; }
xl_weight() { xl $SCHED_CMD -d "$1" | awk -v d="$1" '$1 == d { print $3 }'; }
xl_cap() { xl $SCHED_CMD -d "$1" | awk -v d="$1" '$1 == d { print $4 }'; }
xl_state() { xl list "$1" | awk 'NR == 2 { print $5 }'; }

check_present() {
    if command -v domtop >/dev/null 2>&1; then
        lab_pass "domtop is in the image ($(domtop --version 2>&1))"
        return 0
    fi
    lab_fail "domtop is not in the image (tests/xen-lab/build.sh could not build it)"
    return 1
}

# Domains, ids, states, vcpus, memory, weight, cap against xl, taken together.
check_domains() {
    dt -b -i 2 -d 1 >"$OUT/batch.txt" 2>"$OUT/batch.err"
    rc=$?
    [ $rc = 0 ] && lab_pass "domtop -b -i 2 -d 1 exits 0" ||
        lab_fail "domtop -b exit $rc: $(head -c 300 "$OUT/batch.err")"
    xl list >"$OUT/xl-list.txt" 2>&1
    xl $SCHED_CMD >"$OUT/xl-sched.txt" 2>&1
    cat "$OUT/batch.txt" "$OUT/xl-list.txt" "$OUT/xl-sched.txt"
    last_frame "$OUT/batch.txt" >"$OUT/frame.txt"
    # same set of domains with the same ids
    dtset=$(awk '{ print $1 ":" $2 }' "$OUT/frame.txt" | sort | tr '\n' ' ')
    xlset=$(awk 'NR > 1 { print $2 ":" $1 }' "$OUT/xl-list.txt" | sort | tr '\n' ' ')
    [ -n "$dtset" ] && [ "$dtset" = "$xlset" ] && lab_pass "domtop and xl list show the same domains: $dtset" ||
        lab_fail "domains differ: domtop '$dtset', xl list '$xlset'"
    for d in Domain-0 "$CPU" "$NET"; do
        v_dt=$(dt_field "$OUT/frame.txt" "$d" 10)
        v_xl=$(awk -v d="$d" '$1 == d { print $4 }' "$OUT/xl-list.txt")
        [ "$v_dt" = "$v_xl" ] && lab_pass "$d: vcpus $v_dt as xl list" ||
            lab_fail "$d: vcpus domtop '$v_dt', xl list '$v_xl'"
        w_dt=$(dt_field "$OUT/frame.txt" "$d" 5)
        c_dt=$(dt_field "$OUT/frame.txt" "$d" 6)
        w_xl=$(awk -v d="$d" '$1 == d { print $3 }' "$OUT/xl-sched.txt")
        c_xl=$(awk -v d="$d" '$1 == d { print $4 }' "$OUT/xl-sched.txt")
        [ "$w_dt/$c_dt" = "$w_xl/$c_xl" ] && lab_pass "$d: weight/cap $w_dt/$c_dt as xl $SCHED_CMD" ||
            lab_fail "$d: weight/cap domtop '$w_dt/$c_dt', xl '$w_xl/$c_xl'"
        # paused is the stable flag to compare (running/blocked change from moment to moment)
        s_dt=$(dt_field "$OUT/frame.txt" "$d" 3)
        s_xl=$(awk -v d="$d" '$1 == d { print $5 }' "$OUT/xl-list.txt")
        p_dt=no; case $s_dt in *p*) p_dt=yes ;; esac
        p_xl=no; case $s_xl in *p*) p_xl=yes ;; esac
        [ "$p_dt" = "$p_xl" ] && lab_pass "$d: state $s_dt (xl $s_xl), paused=$p_dt in both" ||
            lab_fail "$d: state domtop '$s_dt', xl '$s_xl'"
    done
    h=$(head -n 1 "$OUT/batch.txt")
    case $h in *"sched $LAB_SCHED"*) lab_pass "domtop header shows the scheduler read back: $LAB_SCHED" ;;
        *) lab_fail "domtop header '$h' does not show sched $LAB_SCHED" ;; esac
}

check_json() {
    dt --json -i 2 -d 1 >"$OUT/sample.json" 2>"$OUT/json.err"
    rc=$?
    n=$(wc -l <"$OUT/sample.json")
    [ $rc = 0 ] && [ "$n" = 2 ] && lab_pass "domtop --json -i 2: 2 lines, exit 0" ||
        lab_fail "domtop --json: exit $rc, $n lines: $(head -c 300 "$OUT/json.err")"
    xl vcpu-list >"$OUT/xl-vcpu-list.txt" 2>&1
    xl list -l >/dev/null 2>&1
    cat "$OUT/xl-vcpu-list.txt"
    for v in 0 1; do
        a=$(dt_affinity "$OUT/sample.json" "$CPU" $v)
        b=$(xl_affinity "$CPU" $v)
        [ -n "$a" ] && [ "$a" = "$b" ] && lab_pass "$CPU vcpu $v: hard affinity '$a' as xl vcpu-list" ||
            lab_fail "$CPU vcpu $v: affinity domtop '$a', xl '$b'"
    done
    # memory: domtop mem_kb against xl list's MiB
    for d in "$CPU" "$NET"; do
        kb=$(json_domain "$OUT/sample.json" "$d" | head -n 1 | json_get mem_kb)
        mb=$(awk -v d="$d" '$1 == d { print $3 }' "$OUT/xl-list.txt")
        [ -n "$kb" ] && [ $((kb / 1024)) -ge $((mb - 1)) ] && [ $((kb / 1024)) -le $((mb + 1)) ] &&
            lab_pass "$d: mem_kb $kb = $((kb / 1024)) MiB, xl list $mb MiB" ||
            lab_fail "$d: mem_kb '$kb', xl list '$mb' MiB"
    done
}

# domtop and xentop sample side by side; compare guest-cpu's CPU% in the last frames.
check_cpu_pct() {
    xentop -b -i 4 -d 1 >"$OUT/xentop.txt" 2>&1 &
    xt=$!
    dt -b -i 4 -d 1 >"$OUT/batch-cpu.txt" 2>&1
    wait $xt
    cat "$OUT/xentop.txt" "$OUT/batch-cpu.txt"
    x=$(awk '/NAME/ { n++ } n >= 2' "$OUT/xentop.txt" | awk -v d="$CPU" '$1 == d { s += $4; k++ }
        END { if (k) printf "%d", s / k }')
    y=$(awk '/^ *ID +NAME/ { n++ } n >= 2' "$OUT/batch-cpu.txt" | awk -v d="$CPU" '$2 == d { s += $4; k++ }
        END { if (k) printf "%d", s / k }')
    if [ -n "$x" ] && [ -n "$y" ]; then
        diff=$((x > y ? x - y : y - x))
        [ $diff -le 15 ] && lab_pass "$CPU CPU%: domtop $y, xentop $x (within 15 points)" ||
            lab_fail "$CPU CPU%: domtop $y, xentop $x (differ by $diff)"
    else
        lab_fail "$CPU CPU%: domtop '$y', xentop '$x'"
    fi
    tx=$(awk '/NAME/ { n++ } n >= 2' "$OUT/xentop.txt" | awk -v d="$NET" '$1 == d { v = $11 } END { print v }')
    echo "xentop $NET NETTX(k) last frame: $tx"
}

check_vif_vbd() {
    # one fresh sample, then sysfs at once: the guest writes 1 MiB every 5 s, sends 60 kB/s
    dt --json -i 1 >"$OUT/vif.json" 2>&1
    rx_sys=$(cat "/sys/class/net/vif$LAB_GUEST_NET_DOMID.0/statistics/rx_bytes" 2>/dev/null)
    sys=/sys/bus/xen-backend/devices/vbd-$LAB_GUEST_NET_DOMID-51712/statistics
    rs_sys=$(cat $sys/rd_sect); ws_sys=$(cat $sys/wr_sect)
    rec=$(json_domain "$OUT/vif.json" "$NET" | tr -d '\n')
    if=$(echo "$rec" | sed -n 's/.*"vif":\[{"devid":0,"ifname":"\([^"]*\)".*/\1/p')
    want=vif$LAB_GUEST_NET_DOMID.0
    [ "$if" = "$want" ] && lab_pass "$NET vif 0 is $if in dom0" || lab_fail "$NET vif 0 '$if', expected $want"
    rx_dt=$(echo "$rec" | sed -n 's/.*"vif":\[\(.*\)/\1/p' | json_get rx_bytes)
    if [ -n "$rx_dt" ] && [ -n "$rx_sys" ] && [ "$rx_dt" -le "$rx_sys" ] &&
       [ $((rx_sys - rx_dt)) -le 300000 ]; then
        lab_pass "$want rx_bytes: domtop $rx_dt, sysfs $rx_sys a moment later"
    else
        lab_fail "$want rx_bytes: domtop '$rx_dt', sysfs '$rx_sys'"
    fi
    vbd=$(echo "$rec" | sed -n 's/.*"vbd":\[\(.*\)/\1/p')
    name=$(echo "$vbd" | json_get name)
    be=$(echo "$vbd" | json_get backend)
    rs=$(echo "$vbd" | json_get rd_sect)
    ws=$(echo "$vbd" | json_get wr_sect)
    sch=$(echo "$vbd" | json_get scheduler)
    dly=$(echo "$vbd" | json_get delay_ns)
    iop=$(echo "$vbd" | json_get ioprio_class)/$(echo "$vbd" | json_get ioprio_level)
    [ "$name/$be" = xvda/blkback ] && lab_pass "$NET vbd: $name served by $be" ||
        lab_fail "$NET vbd: '$name' backend '$be', expected xvda/blkback"
    echo "vbd $NET: domtop rd_sect=$rs wr_sect=$ws; sysfs now rd_sect=$rs_sys wr_sect=$ws_sys; xentop line:"
    awk -v d="$NET" '$1 == d' "$OUT/xentop.txt" | tail -n 1
    [ -n "$rs" ] && [ "$rs" -le "$rs_sys" ] && [ "$rs" -ge $((rs_sys - 4096)) ] &&
        lab_pass "$NET vbd rd_sect $rs matches sysfs ($rs_sys)" ||
        lab_fail "$NET vbd rd_sect '$rs', sysfs $rs_sys"
    [ -n "$ws" ] && [ "$ws" -le "$ws_sys" ] && [ "$ws" -ge $((ws_sys - 8192)) ] &&
        lab_pass "$NET vbd wr_sect $ws matches sysfs ($ws_sys)" ||
        lab_fail "$NET vbd wr_sect '$ws', sysfs $ws_sys"
    sch_sys=$(sed -n 's/.*\[\(.*\)\].*/\1/p; /\[/!p' /sys/block/loop1/queue/scheduler 2>/dev/null | head -n 1)
    [ -n "$sch" ] && [ "$sch" = "$sch_sys" ] && lab_pass "$NET vbd IO scheduler '$sch' (loop1 has '$sch_sys')" ||
        lab_fail "$NET vbd IO scheduler '$sch', /sys/block/loop1 has '$sch_sys'"
    pids=$(for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null); case $c in "$LAB_GUEST_NET_DOMID".xvda-*) echo "${p#/proc/}" ;; esac; done)
    pid=$(echo $pids | cut -d' ' -f1)
    if [ -z "$pid" ]; then lab_fail "no blkback thread $LAB_GUEST_NET_DOMID.xvda-N in /proc"; return; fi
    ticks=$(cut -d' ' -f42 /proc/$pid/stat)
    echo "blkback thread $pid ($(cat /proc/$pid/comm)): field 42 = $ticks ticks now; domtop delay_ns $dly, ioprio $iop"
    [ -n "$dly" ] && [ $((dly / 10000000)) -le "$ticks" ] && [ $((dly / 10000000)) -ge $((ticks - 100)) ] &&
        lab_pass "$NET vbd delay_ns $dly = $((dly / 10000000)) ticks, thread $pid has $ticks a moment later" ||
        lab_fail "$NET vbd delay_ns '$dly', thread $pid has $ticks ticks"
    [ "$iop" = 0/4 ] && lab_pass "$NET vbd ioprio none/4 (kernel thread default)" ||
        lab_fail "$NET vbd ioprio '$iop', expected 0/4"
    # domtop must see a changed IO priority of the backend thread
    ionice -c 2 -n 7 -p "$pid" 2>/dev/null
    dt --json -i 1 >"$OUT/ionice.json" 2>&1
    vbd=$(json_domain "$OUT/ionice.json" "$NET" | tr -d '\n' | sed -n 's/.*"vbd":\[\(.*\)/\1/p')
    iop=$(echo "$vbd" | json_get ioprio_class)/$(echo "$vbd" | json_get ioprio_level)
    [ "$iop" = 2/7 ] && lab_pass "after ionice -c2 -n7 -p $pid domtop reads ioprio $iop" ||
        lab_fail "after ionice -c2 -n7 -p $pid domtop reads ioprio '$iop' ($(ionice -p $pid 2>&1))"
    ionice -c 0 -p "$pid" 2>/dev/null
    blkback_ioprio_action "$pids"
}

# The ioprio action on a blkback vbd: every ring thread of guest-net's xvda, read with ionice.
all_ionice() {  # all_ionice WANT PID...: prints the pids whose ionice is not WANT
    want=$1; shift
    for p in "$@"; do
        got=$(ionice -p "$p" 2>&1)
        case $got in *"No such process"*) ;; "$want") ;; *) echo "$p:$got" ;; esac
    done
}
blkback_ioprio_action() {
    do_ok "ioprio $NET idle" || return
    bad=$(all_ionice "idle" $1)
    [ -z "$bad" ] && lab_pass "ioprio $NET idle: blkback threads $(echo $1) are idle (ionice -p)" ||
        lab_fail "ioprio $NET idle: threads not idle: $bad"
    dt --json -i 1 >"$OUT/ioprio-idle.json" 2>&1
    vbd=$(json_domain "$OUT/ioprio-idle.json" "$NET" | tr -d '\n' | sed -n 's/.*"vbd":\[\(.*\)/\1/p')
    iop=$(echo "$vbd" | json_get ioprio_class)
    [ "$iop" = 3 ] && lab_pass "domtop --json reads $NET's xvda back at class 3 (idle)" ||
        lab_fail "after ioprio idle domtop reads class '$iop'"
    do_ok "ioprio $NET:xvda none" || return
    bad=$(all_ionice "none: prio 0" $1)
    [ -z "$bad" ] && lab_pass "ioprio $NET:xvda none: blkback threads back to none" ||
        lab_fail "ioprio $NET:xvda none: threads: $bad"
    grep -q "action=ioprio domain=$NET .*old=none new=idle result=ok" "$AUDIT" &&
        grep -q "action=ioprio domain=$NET .*old=idle new=none result=ok" "$AUDIT" &&
        lab_pass "both ioprio actions on $NET are in the audit log" ||
        lab_fail "ioprio actions on $NET missing from $AUDIT: $(grep ioprio "$AUDIT")"
}

# ---- guest-cpu's xvdb, served by qemu in dom0 (backendtype=qdisk) ----
# dom0's /init puts its image on ext2 on /dev/loop2 (bfq); the guest writes and reads it on
# command (guest/init, control port 5000: "write xvdb MIB" with O_DIRECT and a flush after
# each MiB, "read xvdb MIB"), so the sectors are known exactly. The disk is idle otherwise.
# qemu's IO delay comes from its flushes (fdatasync waits for ext2's writeback to loop2).
QD=$LAB_QDISK_GUEST
QD_DEV=$LAB_QDISK_DEVID
# The guest's control port, waiting for the dd it runs (O_DIRECT under TCG: seconds).
disk_ctl() { echo "$2" | timeout 120 nc "$1" 5000 2>/dev/null; }
# The JSON record of vbd DEVID of domain NAME in a --json file.
json_vbd() {
    json_domain "$1" "$2" | tr -d '\n' | sed -n 's/.*"vbd":\[\(.*\)/\1/p' | sed 's/},{/}\n{/g' |
        grep "^{\"devid\":$3,"
}
# Block-IO delay of every thread of process PID now, in clock ticks (stat field 42), summed.
proc_delay_ticks() {
    s=0
    for t in /proc/$1/task/*/stat; do
        v=$(sed 's/.*) //' "$t" 2>/dev/null | cut -d' ' -f40)
        s=$((s + ${v:-0}))
    done
    echo $s
}
# The qemu serving domain D's qdisks, as libxl records it in xenstore.
qdisk_pid() {
    xenstore-read "/local/domain/0/libxl/$1/qdisk-backend-pid" 2>/dev/null ||
        xenstore-read "/local/domain/$1/image/device-model-pid" 2>/dev/null
}

# xenstore and /proc: the vbd really is a qdisk, connected, served by a qemu process.
qdisk_in_xenstore() {
    d=$1
    be=$(xenstore-read "/local/domain/$d/device/vbd/$QD_DEV/backend" 2>/dev/null)
    st=$(xenstore-read "$be/state" 2>/dev/null)
    echo "$QD xvdb: frontend says backend $be (state $st), params $(xenstore-read "$be/params" 2>/dev/null)"
    [ "$be" = "/local/domain/0/backend/qdisk/$d/$QD_DEV" ] && [ "$st" = 4 ] &&
        lab_pass "$QD xvdb: backend/qdisk/$d/$QD_DEV in xenstore, state 4 (connected)" ||
        lab_fail "$QD xvdb: backend '$be' state '$st' (expected backend/qdisk/$d/$QD_DEV, state 4)"
    QPID=$(qdisk_pid "$d")
    exe=$(readlink "/proc/$QPID/exe" 2>/dev/null)
    args=$(tr '\0' ' ' <"/proc/$QPID/cmdline" 2>/dev/null)
    echo "qemu of domain $d: pid ${QPID:-none}, $exe, $(ls /proc/$QPID/task 2>/dev/null | wc -l) threads: $args"
    case $exe/$args in
        /usr/libexec/xen-qemu-system-i386/*"-xen-domid $d "*)
            lab_pass "qdisk served by qemu pid $QPID (xenstore), $exe -xen-domid $d" ;;
        *) lab_fail "no qemu for domain $d: xenstore pid '$QPID', exe '$exe'"; QPID="" ;;
    esac
}

# domtop's qdisk counters in JSON file $2 against qemu's own (query-blockstats, read raw
# with checks/domtop-hvcheck) and xentop's, read just after while the disk is idle: the same
# sectors. libxenstat
# 4.17 gives up on qemu's QMP socket after 10 ms of silence: under TCG xentop lists no qdisk
# at all, which is said, not failed; when it does list it, its sectors must agree too.
qdisk_vs_peers() {
    d=$1
    "$HV" qmp "$d" >"$OUT/qdisk-qmp.txt" 2>&1
    xentop -b -i 1 -x >"$OUT/qdisk-xentop.txt" 2>&1
    v=$(json_vbd "$2" "$QD" "$QD_DEV")
    r=$(echo "$v" | json_get rd_sect); w=$(echo "$v" | json_get wr_sect)
    # the raw reply: the "stats" that follow "node-name": "xvdb-raw" (not the file node's)
    raw=$(head -n 1 "$OUT/qdisk-qmp.txt" | sed 's/"stats"/\n&/g' | grep -n "" |
          awk -v n="\"node-name\": \"$LAB_QDISK_VDEV-raw\"" 'index($0, n) { print; exit }')
    qr=$(echo "$raw" | sed -n 's/.*"rd_bytes": \([0-9]*\).*/\1/p'); qw=$(echo "$raw" | sed -n 's/.*"wr_bytes": \([0-9]*\).*/\1/p')
    echo "$QD xvdb idle: domtop rd/wr_sect $r/$w; qemu query-blockstats rd/wr_bytes $qr/$qw"
    [ -n "$qr" ] && [ -n "$r" ] && [ "$r/$w" = "$((qr / 512))/$((qw / 512))" ] &&
        lab_pass "$QD xvdb (idle): domtop rd/wr_sect $r/$w = qemu's rd/wr_bytes / 512 (query-blockstats)" ||
        lab_fail "$QD xvdb (idle): domtop rd/wr_sect '$r/$w', qemu rd/wr_bytes '$qr/$qw' ($(head -c 200 "$OUT/qdisk-qmp.txt"))"
    # the "VBD <type> <devid> ..." lines follow their domain's row
    xt=$(awk -v d="$QD" -v v="$QD_DEV" '$1 == d { on = 1; next } $1 != "VBD" { on = 0 }
                                        on && $3 == v { print; exit }' "$OUT/qdisk-xentop.txt")
    if [ -z "$xt" ]; then
        echo "NOTE: xentop -b -x lists no vbd $QD_DEV for $QD (libxenstat's QMP reader timed out): $(awk -v d="$QD" '$1 == d' "$OUT/qdisk-xentop.txt")"
        return
    fi
    xr=$(echo "$xt" | sed -n 's/.*RSECT: *\([0-9]*\).*/\1/p'); xw=$(echo "$xt" | sed -n 's/.*WSECT: *\([0-9]*\).*/\1/p')
    [ "$r/$w" = "$xr/$xw" ] &&
        lab_pass "$QD xvdb (idle): domtop rd/wr_sect $r/$w, xentop RSECT/WSECT $xr/$xw: equal" ||
        lab_fail "$QD xvdb (idle): domtop rd/wr_sect '$r/$w', xentop '$xr/$xw' ($xt)"
}

check_qdisk() {
    qd_t0=$(cut -d. -f1 /proc/uptime)
    d=$(xl domid "$QD" 2>/dev/null)
    ip=$LAB_GUEST_CPU_IP
    qdisk_in_xenstore "$d"
    dt --json -i 1 >"$OUT/qdisk0.json" 2>&1
    v=$(json_vbd "$OUT/qdisk0.json" "$QD" "$QD_DEV")
    echo "domtop --json, $QD vbd $QD_DEV: $v"
    nb=$(echo "$v" | json_get name)/$(echo "$v" | json_get backend)/$(echo "$v" | json_get scheduler)
    sch_sys=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "/sys/block/$LAB_QDISK_LOOP/queue/scheduler")
    [ "$nb" = "xvdb/qdisk/$sch_sys" ] &&
        lab_pass "$QD vbd $QD_DEV: domtop shows xvdb, backend qdisk, IO scheduler $sch_sys (of $LAB_QDISK_LOOP under the image)" ||
        lab_fail "$QD vbd $QD_DEV: domtop name/backend/scheduler '$nb', expected xvdb/qdisk/$sch_sys"
    r0=$(echo "$v" | json_get rd_sect); w0=$(echo "$v" | json_get wr_sect); q0=$(echo "$v" | json_get wr_req)
    [ -n "$QPID" ] || return
    # 8 MiB written by the guest: 16384 sectors more, nothing read
    w_t0=$(cut -d. -f1 /proc/uptime)
    ack=$(disk_ctl "$ip" "write xvdb 8")
    echo "the guest's write of 8 MiB took $(($(cut -d. -f1 /proc/uptime) - w_t0)) s"
    t1=$(proc_delay_ticks "$QPID")
    dt --json -i 1 >"$OUT/qdisk1.json" 2>&1
    t2=$(proc_delay_ticks "$QPID")
    v=$(json_vbd "$OUT/qdisk1.json" "$QD" "$QD_DEV")
    r1=$(echo "$v" | json_get rd_sect); w1=$(echo "$v" | json_get wr_sect); q1=$(echo "$v" | json_get wr_req)
    dly=$(echo "$v" | json_get delay_ns)
    echo "guest: '$ack'; domtop rd_sect $r0 -> $r1, wr_sect $w0 -> $w1, wr_req $q0 -> $q1, delay_ns $dly"
    if [ "$ack" = "ok wrote xvdb 8" ] && [ -n "$w1" ] && [ -n "$w0" ]; then
        [ $((w1 - w0)) = 16384 ] && [ "$r1" = "$r0" ] && [ $((q1 - q0)) -ge 128 ] &&
            lab_pass "the guest wrote 8 MiB to xvdb: domtop wr_sect +16384 exactly, rd_sect unchanged, wr_req +$((q1 - q0)) (>= 128 64-KiB writes)" ||
            lab_fail "the guest wrote 8 MiB to xvdb: domtop wr_sect +$((w1 - w0)) (want 16384), rd_sect +$((r1 - r0)), wr_req +$((q1 - q0))"
    else
        lab_fail "write to $QD's xvdb: guest answered '$ack', domtop wr_sect '$w0' -> '$w1'"
    fi
    # IO delay: every qemu thread's blkio ticks, read around domtop's sample
    for t in /proc/$QPID/task/*; do
        echo "  qemu thread ${t##*/} ($(cat $t/comm 2>/dev/null)): blkio ticks $(sed 's/.*) //' $t/stat 2>/dev/null | cut -d' ' -f40), ioprio $(ionice -p ${t##*/} 2>&1)"
    done
    echo "qemu $QPID blkio ticks around domtop's sample: $t1, $t2; domtop delay_ns $dly"
    # qemu's pool threads exit after 10 s idle, taking their ticks: the sum can only fall then
    lo=$((t1 < t2 ? t1 : t2)); hi=$((t1 < t2 ? t2 : t1))
    [ -n "$dly" ] && [ $((dly / 10000000)) -ge "$lo" ] && [ $((dly / 10000000)) -le "$hi" ] &&
        lab_pass "$QD xvdb delay_ns $dly = $((dly / 10000000)) ticks: the sum over qemu $QPID's threads ($t1 before, $t2 after)" ||
        lab_fail "$QD xvdb delay_ns '$dly', qemu $QPID's threads have $t1 then $t2 ticks"
    [ -n "$dly" ] && [ "$dly" -gt 0 ] &&
        lab_pass "$QD xvdb: non-zero IO delay after the write ($((dly / 1000000)) ms in qemu's threads)" ||
        lab_fail "$QD xvdb: IO delay '$dly' after 8 MiB written and flushed (task_delayacct=$(cat /proc/sys/kernel/task_delayacct))"
    # 4 MiB read by the guest: 8192 sectors more
    ack=$(disk_ctl "$ip" "read xvdb 4")
    dt --json -i 1 >"$OUT/qdisk2.json" 2>&1
    v=$(json_vbd "$OUT/qdisk2.json" "$QD" "$QD_DEV")
    r2=$(echo "$v" | json_get rd_sect); w2=$(echo "$v" | json_get wr_sect)
    [ "$ack" = "ok read xvdb 4" ] && [ -n "$r2" ] && [ $((r2 - r1)) = 8192 ] && [ "$w2" = "$w1" ] &&
        lab_pass "the guest read 4 MiB of xvdb: domtop rd_sect +8192 exactly, wr_sect unchanged" ||
        lab_fail "the guest read 4 MiB of xvdb ('$ack'): domtop rd_sect '$r1' -> '$r2', wr_sect '$w1' -> '$w2'"
    if [ -x "$HV" ]; then qdisk_vs_peers "$d" "$OUT/qdisk2.json"
    else lab_fail "$HV is not in the image: cannot read qemu's counters (run.sh --add it)"; fi
    qdisk_ioprio "$d"
    echo "check_qdisk took $(($(cut -d. -f1 /proc/uptime) - qd_t0)) s"
}

# IO priority of the qdisk's qemu: domtop reads the kernel default, then the ioprio action
# sets every thread of the process (`ionice -p PID` would set one), read back with ionice
# and --json, and puts it back.
qdisk_ioprio() {
    d=$1
    v=$(json_vbd "$OUT/qdisk2.json" "$QD" "$QD_DEV")
    iop=$(echo "$v" | json_get ioprio_class)/$(echo "$v" | json_get ioprio_level)
    [ "$iop" = 0/4 ] && lab_pass "$QD xvdb ioprio none/4 (qemu's default, from nice 0)" ||
        lab_fail "$QD xvdb ioprio '$iop', expected 0/4 ($(ionice -p "$QPID" 2>&1))"
    if do_ok "ioprio $QD:xvdb be/6"; then
        # a pool thread may exit between the listing and ionice (qemu retires idle
        # workers): only threads still there count, as the setter skips them too (ESRCH)
        n=$(ls /proc/$QPID/task | wc -l)
        bad=$(all_ionice "best-effort: prio 6" $(ls /proc/$QPID/task))
        [ -z "$bad" ] && lab_pass "ioprio $QD:xvdb be/6: all $n threads of qemu $QPID are best-effort 6 (ionice -p)" ||
            lab_fail "ioprio $QD:xvdb be/6: threads not at best-effort 6: $bad"
    fi
    dt --json -i 1 >"$OUT/qdisk-ionice.json" 2>&1
    v=$(json_vbd "$OUT/qdisk-ionice.json" "$QD" "$QD_DEV")
    iop=$(echo "$v" | json_get ioprio_class)/$(echo "$v" | json_get ioprio_level)
    [ "$iop" = 2/6 ] && lab_pass "domtop --json reads the qdisk's new ioprio back: $iop" ||
        lab_fail "after the ioprio change domtop reads '$iop' ($(ionice -p "$QPID" 2>&1))"
    do_ok "ioprio $QD:xvdb none"
    p=$(ionice -p "$QPID" 2>&1)
    [ "$p" = "none: prio 0" ] && lab_pass "ioprio of qemu $QPID back to none ($p)" ||
        lab_fail "ioprio of qemu $QPID after setting none: '$p'"
}

# --do ACTION, then the read-back with xl.
do_ok() {
    if out=$(dt --do "$1" 2>&1); then echo "domtop --do '$1': $out"; return 0; fi
    lab_fail "domtop --do '$1' failed: $out"
    return 1
}

check_actions() {
    do_ok "weight $CPU 512" && { w=$(xl_weight "$CPU"); c=$(xl_cap "$CPU")
        [ "$w/$c" = 512/0 ] && lab_pass "weight $CPU 512: xl reads back weight 512, cap 0" ||
            lab_fail "weight $CPU 512: xl reads back '$w/$c'"; }
    do_ok "cap $CPU 50" && { w=$(xl_weight "$CPU"); c=$(xl_cap "$CPU")
        [ "$w/$c" = 512/50 ] && lab_pass "cap $CPU 50: xl reads back cap 50, weight still 512" ||
            lab_fail "cap $CPU 50: xl reads back '$w/$c'"; }
    do_ok "pin $CPU all 0" && { a0=$(xl_affinity "$CPU" 0); a1=$(xl_affinity "$CPU" 1)
        [ "$a0/$a1" = 0/0 ] && lab_pass "pin $CPU all 0: xl vcpu-list hard affinity 0 for both vcpus" ||
            lab_fail "pin $CPU all 0: xl reads back '$a0/$a1'"; }
    do_ok "pin $CPU 1 1" && { a0=$(xl_affinity "$CPU" 0); a1=$(xl_affinity "$CPU" 1)
        [ "$a0/$a1" = 0/1 ] && lab_pass "pin $CPU 1 1: vcpu 1 on 1, vcpu 0 still on 0" ||
            lab_fail "pin $CPU 1 1: xl reads back '$a0/$a1'"; }
    dt --json -i 1 >"$OUT/pinned.json" 2>&1
    a=$(dt_affinity "$OUT/pinned.json" "$CPU" 1)
    [ "$a" = 1 ] && lab_pass "domtop --json reads back vcpu 1 affinity 1" || lab_fail "domtop --json vcpu 1 affinity '$a'"
    do_ok "pause $CPU" && { s=$(xl_state "$CPU")
        case $s in *p*) lab_pass "pause $CPU: xl list state $s" ;; *) lab_fail "pause $CPU: xl list state '$s'" ;; esac; }
    do_ok "unpause $CPU" && { s=$(xl_state "$CPU")
        case $s in *p*) lab_fail "unpause $CPU: still paused ($s)" ;;
            *) lab_pass "unpause $CPU: xl list state $s" ;; esac; }
    # refusals say why, and libxl prints nothing on the terminal
    for bad in "weight $CPU 70000:65535" "weight $CPU 0:65535" "cap $CPU 300:200" "pin $CPU all 7:does not exist"; do
        act=${bad%:*}; why=${bad##*:}
        out=$(dt --do "$act" 2>"$OUT/err.txt" >/dev/null); rc=$?
        err=$(cat "$OUT/err.txt"); n=$(wc -l <"$OUT/err.txt")
        if [ $rc != 0 ] && [ "$n" = 1 ] && echo "$err" | grep -q "$why"; then
            lab_pass "refused '$act' (exit $rc): $err"
        else
            lab_fail "'$act': exit $rc, $n stderr lines: $err"
        fi
    done
    w=$(xl_weight "$CPU"); c=$(xl_cap "$CPU")
    [ "$w/$c" = 512/50 ] && lab_pass "after the refusals $CPU keeps weight 512 cap 50" ||
        lab_fail "after the refusals $CPU has '$w/$c'"
    do_ok "weight $CPU 256"; do_ok "cap $CPU 0"; do_ok "pin $CPU all all"
    [ "$(xl_weight "$CPU")/$(xl_cap "$CPU")/$(xl_affinity "$CPU" 0)" = 256/0/all ] &&
        lab_pass "restored $CPU: weight 256, cap 0, affinity all" ||
        lab_fail "restore of $CPU: $(xl_weight "$CPU")/$(xl_cap "$CPU")/$(xl_affinity "$CPU" 0)"
    for f in /var/log/domtop/xen.log "$AUDIT"; do
        [ -s "$f" ] && { echo "--- $f (tail)"; tail -n 5 "$f"; }
    done
}

# The backend's own checks and read-back, below the action API, with the small driver
# checks/domtop-hvcheck.c (run.sh --add it as /lab/files/domtop-hvcheck).
HV=/lab/files/domtop-hvcheck
hv_expect() {  # hv_expect WANT(ok|TEXT) ARGS...: ok = succeeds; TEXT = fails saying TEXT
    want=$1; shift
    out=$("$HV" "$@" 2>>"$OUT/hvcheck.err"); rc=$?
    case $want in
        ok) [ $rc = 0 ] && lab_pass "hv $*: ok" || lab_fail "hv $*: rc $rc: $out" ;;
        *) if [ $rc != 0 ] && echo "$out" | grep -q "$want"; then lab_pass "hv $* refused: ${out#error: }"
           else lab_fail "hv $*: rc $rc, '$out' (expected a refusal saying '$want')"; fi ;;
    esac
}

check_backend_direct() {
    if [ ! -x "$HV" ]; then
        echo "SKIP: $HV is not in the image (build checks/domtop-hvcheck.c and run.sh --add it)"
        return
    fi
    c=$LAB_GUEST_CPU_DOMID; n=$LAB_GUEST_NET_DOMID
    : >"$OUT/hvcheck.err"
    "$HV" sample >"$OUT/hv-sample.txt" 2>>"$OUT/hvcheck.err"
    cat "$OUT/hv-sample.txt"
    k=$(grep -c '^domain ' "$OUT/hv-sample.txt"); x=$(xl list | awk 'NR > 1' | wc -l)
    [ "$k" = "$x" ] && lab_pass "hv_sample: $k domains, as xl list" || lab_fail "hv_sample: $k domains, xl list $x"
    hv_expect 65535 weight $c 70000
    hv_expect 65535 weight $c 0
    hv_expect "200 (100 x 2 vcpus)" cap $c 300
    hv_expect "CPU 7 does not exist" pin $c 0 7
    hv_expect "no vcpu 5" pin $c 5 0
    hv_expect "domain 4242 does not exist" weight 4242 300
    hv_expect "domain 4242 does not exist" read 4242
    hv_expect "dom0 cannot be paused" pause 0 1
    hv_expect ok cap $c 50
    hv_expect ok weight $c 300
    w=$(xl_weight "$CPU"); cp=$(xl_cap "$CPU")
    [ "$w/$cp" = 300/50 ] && lab_pass "hv cap then weight: xl reads 300/50 (each left the other alone)" ||
        lab_fail "hv cap then weight: xl reads '$w/$cp'"
    hv_expect ok weight $c 256
    hv_expect ok cap $c 0
    hv_expect ok pin $c -1 1
    [ "$(xl_affinity "$CPU" 0)/$(xl_affinity "$CPU" 1)" = 1/1 ] && lab_pass "hv pin all vcpus to 1: xl reads 1/1" ||
        lab_fail "hv pin all to 1: xl reads $(xl_affinity "$CPU" 0)/$(xl_affinity "$CPU" 1)"
    xl vcpu-pin "$CPU" all all >/dev/null 2>&1
    hv_expect ok pause $c 1
    hv_expect ok pause $c 1
    hv_expect ok pause $c 0
    s=$(xl_state "$CPU")
    case $s in *p*) lab_fail "hv pause twice, unpause once: $CPU still paused ($s)" ;;
        *) lab_pass "hv pause twice, unpause once: $CPU runs ($s): pausing is idempotent" ;; esac
    "$HV" read $n >"$OUT/hv-read.txt" 2>>"$OUT/hvcheck.err"
    cat "$OUT/hv-read.txt"
    grep -q "vif 0 ifname=vif$n.0 rx_bytes=[1-9]" "$OUT/hv-read.txt" &&
        grep -q "vbd 51712 name=xvda backend=blkback rd_sect=[1-9]" "$OUT/hv-read.txt" &&
        grep -q "^domain $n name=$NET " "$OUT/hv-read.txt" &&
        lab_pass "hv_read_domain $n: name, vif vif$n.0 and vbd xvda with counters" ||
        lab_fail "hv_read_domain $n: $(head -c 400 "$OUT/hv-read.txt")"
    [ ! -s "$OUT/hvcheck.err" ] && lab_pass "nothing from libxl or libxenstat on stderr" ||
        lab_fail "stderr of the backend: $(head -c 300 "$OUT/hvcheck.err")"
}

# A domain goes away and comes back while domtop samples every second.
check_churn() {
    dt -b -i 14 -d 1 >"$OUT/churn.txt" 2>"$OUT/churn.err" &
    pid=$!
    sleep 3
    xl destroy "$NET" >/dev/null 2>&1
    sleep 2
    xl create "/lab/guests/$NET.cfg" >/dev/null 2>&1
    wait $pid
    rc=$?
    newid=$(xl domid "$NET" 2>/dev/null)
    [ $rc = 0 ] && lab_pass "domtop -b kept sampling while $NET was destroyed and created (exit 0)" ||
        lab_fail "domtop -b exit $rc during churn: $(head -c 300 "$OUT/churn.err")"
    gone=$(awk '/^ *ID +NAME/ { f++; seen = 0 } $2 == "'"$NET"'" { print f }' "$OUT/churn.txt" | tr '\n' ' ')
    echo "frames listing $NET: $gone (new domid $newid)"
    last=$(last_frame "$OUT/churn.txt" | awk -v d="$NET" '$2 == d { print $1 }')
    [ -n "$newid" ] && [ "$last" = "$newid" ] && lab_pass "$NET listed again with its new domid $newid" ||
        lab_fail "$NET in the last frame: '$last', xl domid '$newid'"
    if grep -qi 'nan\|inf' "$OUT/churn.txt"; then lab_fail "churn output has nan/inf"
    else lab_pass "no nan/inf in the churn output"; fi
    [ ! -s "$OUT/churn.err" ] && lab_pass "nothing on stderr during churn" ||
        lab_fail "stderr during churn: $(head -c 300 "$OUT/churn.err")"
}

# A vif renamed in dom0 (as vifname= does) is still found through its sysfs nodename.
check_renamed_vif() {
    id=$(xl domid "$NET" 2>/dev/null)
    [ -n "$id" ] || { lab_fail "no $NET to rename the vif of"; return; }
    # the guest created again during the churn may still be booting: wait for its network
    t=0
    until ping -c 1 -W 1 "$LAB_GUEST_NET_IP" >/dev/null 2>&1 || [ $t -ge 90 ]; do t=$((t + 1)); done
    ip link set "vif$id.0" down && ip link set "vif$id.0" name tenant-net && ip link set tenant-net up ||
        { lab_fail "cannot rename vif$id.0 to tenant-net"; return; }
    ping -c 3 -W 1 "$LAB_GUEST_NET_IP" >/dev/null 2>&1
    dt --json -i 2 -d 1 >"$OUT/renamed.json" 2>&1
    sys=$(cat /sys/class/net/tenant-net/statistics/tx_bytes)
    rec=$(json_domain "$OUT/renamed.json" "$NET" | tr -d '\n')
    if=$(echo "$rec" | sed -n 's/.*"vif":\[{"devid":0,"ifname":"\([^"]*\)".*/\1/p')
    tx=$(echo "$rec" | sed -n 's/.*"vif":\[\(.*\)/\1/p' | json_get tx_bytes)
    [ "$if" = tenant-net ] && [ -n "$tx" ] && [ "$tx" -gt 0 ] && [ "$tx" -le "$sys" ] &&
        lab_pass "renamed vif: domtop shows $NET's vif 0 as $if, tx_bytes $tx (sysfs $sys a moment later)" ||
        lab_fail "renamed vif: domtop ifname '$if' tx_bytes '$tx' (sysfs tenant-net $sys)"
}

# ---- throttling a real guest's vif, measured with TCP (the network issue on Xen) ----
# guest-net serves TCP (guest/init): 5001 a sink that counts, 5002 a source of zeros, 5000 a
# control port ("quiet" stops its background ping so the measures are TCP alone). Throughput
# is TCP payload counted at the receiver for TPUT_SECS seconds after TPUT_WARM seconds of
# warm-up, in kbit/s. tbf counts Ethernet frames, so a shaped flow reads ~4% under the limit.
# The limit is well under what TCP reaches unthrottled under TCG (4-15 Mbit/s here, varying
# with the host's load): measured throttled to 2mbit, TCP read 1.41-1.95 Mbit/s (up to 30%
# off when the host was loaded), to 1mbit 0.87-0.97, to 500kbit 0.46-0.48.
TPUT_WARM=1
TPUT_SECS=5
LIMIT_KBIT=500

now_cs() { cut -d' ' -f1 /proc/uptime | tr -d .; }
# kbit/s of "BYTES CENTISECONDS"; nothing when the measure failed
kbit() { [ $# = 2 ] && [ "$2" -gt 0 ] 2>/dev/null && echo $(($1 * 8 / ($2 * 10))); }
# TCP dom0 -> guest IP, counted by the guest's sink
tput_to_guest() {
    r=$( { timeout $((TPUT_WARM + TPUT_SECS + 40)) sh -c "{ echo '$TPUT_WARM $TPUT_SECS';
           timeout $((TPUT_WARM + TPUT_SECS + 1)) dd if=/dev/zero bs=64k; } | nc $1 5001"; } 2>/dev/null)
    kbit $r
}
# TCP guest IP -> dom0, counted here
tput_from_guest() {
    r=$( { timeout $((TPUT_WARM + TPUT_SECS + 40)) nc "$1" 5002 </dev/null | {
           timeout $TPUT_WARM cat >/dev/null; t0=$(now_cs)
           n=$(timeout $TPUT_SECS cat | wc -c); t1=$(now_cs); echo "$n $((t1 - t0))"; }; } 2>/dev/null)
    kbit $r
}
guest_ctl() { echo "$2" | timeout 10 nc "$1" 5000 2>/dev/null; }
# within15 X LIMIT: X is within 15% of LIMIT
within15() { d=$(($1 - $2)); [ "${d#-}" -le $(($2 * 15 / 100)) ]; }
# The vif record of domain NAME in a --json file (one vif: its keys are unique in it).
json_vif() { json_domain "$1" "$2" | tr -d '\n' | sed -n 's/.*"vif":\[\(.*\)/\1/p'; }

# Measures both ways into $TO and $FROM (kbit/s), printing them under a label.
measure() {
    TO=$(tput_to_guest "$2"); FROM=$(tput_from_guest "$2")
    echo "$1: TCP to the guest ${TO:-?} kbit/s, from the guest ${FROM:-?} kbit/s"
    [ -n "$TO" ] && [ -n "$FROM" ]
}

# The kernel state a domtop throttle of vif V makes: tbf d07: root and ingress on V, and
# ifb-V with tbf d07: root. Prints what busybox tc shows.
throttled_in_kernel() {
    q=$(tc qdisc show dev "$1" 2>&1); qi=$(tc qdisc show dev "ifb-$1" 2>&1)
    echo "tc qdisc show dev $1:"; echo "$q"; echo "tc qdisc show dev ifb-$1:"; echo "$qi"
    echo "$q" | grep -q '^qdisc tbf d07: root' && echo "$q" | grep -q '^qdisc ingress ffff:' &&
        [ -d "/sys/class/net/ifb-$1" ] && echo "$qi" | grep -q '^qdisc tbf d07: root'
}

# The throttle as domtop reads it back from the kernel (--json), and the sticky record.
throttle_json_is() {  # throttle_json_is FILE DOMAIN BPS STICKY
    v=$(json_vif "$1" "$2")
    got="$(echo "$v" | json_get throttle_to_guest_bps)/$(echo "$v" | json_get throttle_from_guest_bps)"
    got="$got/$(echo "$v" | json_get throttle_sticky)"
    echo "$2 --json vif: ifname $(echo "$v" | json_get ifname), to/from/sticky $got"
    [ "$got" = "$3/$3/$4" ]
}

# vif counters in one domtop sample between two reads of sysfs: before <= domtop <= after.
check_vif_counters() {
    vif=$1
    s=/sys/class/net/$vif/statistics
    b=""; for k in rx_bytes rx_packets rx_errors rx_dropped tx_bytes tx_packets tx_errors tx_dropped; do
        b="$b $(cat $s/$k)"; done
    dt --json -i 1 >"$OUT/counters.json" 2>&1
    a=""; for k in rx_bytes rx_packets rx_errors rx_dropped tx_bytes tx_packets tx_errors tx_dropped; do
        a="$a $(cat $s/$k)"; done
    v=$(json_vif "$OUT/counters.json" "$NET")
    d=""; for k in rx_bytes rx_packets rx_errors rx_drops tx_bytes tx_packets tx_errors tx_drops; do
        d="$d $(echo "$v" | json_get $k)"; done
    echo "$vif counters (rx bytes packets errors drops, tx ...): sysfs before$b; domtop$d; sysfs after$a"
    ok=yes; set -- $b; i=0
    for x in $d; do
        i=$((i + 1)); eval "lo=\${$i}"; hi=$(echo $a | cut -d' ' -f$i)
        [ -n "$x" ] && [ "$lo" -le "$x" ] && [ "$x" -le "$hi" ] || ok=no
    done
    [ $i = 8 ] && [ $ok = yes ] &&
        lab_pass "$vif: all 8 --json counters lie between two sysfs reads around the sample" ||
        lab_fail "$vif: --json counters$d not between sysfs$b and$a"
}

# Unthrottled, throttled to LIMIT_KBIT both ways, unthrottled again; TCP measured each time.
check_throttle() {
    ip=$LAB_GUEST_NET_IP
    id=$(xl domid "$NET" 2>/dev/null); vif=vif$id.0
    ack=$(guest_ctl "$ip" quiet)
    [ "$ack" = "ok quiet" ] && lab_pass "$NET stops its background ping for the measures ($ack)" ||
        { lab_fail "$NET's control port 5000 answered '$ack' (no TCP services in the guest?)"; return; }
    q0=$(tc qdisc show dev "$vif" 2>&1)
    if ! measure unthrottled "$ip"; then
        lab_fail "cannot measure TCP throughput with $NET ($ip ports 5001, 5002)"
        guest_ctl "$ip" chatty >/dev/null; return
    fi
    to0=$TO; from0=$FROM
    [ $TO -ge $((4 * LIMIT_KBIT)) ] && [ $FROM -ge $((4 * LIMIT_KBIT)) ] &&
        lab_pass "unthrottled rates ($to0, $from0 kbit/s) are 4 x the ${LIMIT_KBIT}kbit limit or more" ||
        lab_fail "unthrottled rates $to0/$from0 kbit/s are too slow to test a ${LIMIT_KBIT}kbit throttle"
    check_vif_counters "$vif"
    if do_ok "throttle $NET ${LIMIT_KBIT}kbit"; then
        throttled_in_kernel "$vif" && lab_pass "kernel: tbf d07: and ingress on $vif, ifb-$vif with tbf d07:" ||
            lab_fail "throttle $NET: the kernel does not show domtop's tbf/ingress/ifb on $vif"
        dt --json -i 1 >"$OUT/throttled.json" 2>&1
        throttle_json_is "$OUT/throttled.json" "$NET" ${LIMIT_KBIT}000 true &&
            lab_pass "--json reads the throttle back from the kernel: ${LIMIT_KBIT}000 bit/s both ways, sticky" ||
            lab_fail "--json throttle fields of $NET are not ${LIMIT_KBIT}000/${LIMIT_KBIT}000/true"
        i0=$(cat "/sys/class/net/ifb-$vif/statistics/tx_bytes" 2>/dev/null || echo 0)
        measure "throttled ${LIMIT_KBIT}kbit" "$ip"
        i1=$(cat "/sys/class/net/ifb-$vif/statistics/tx_bytes" 2>/dev/null || echo 0)
        within15 "${TO:-0}" $LIMIT_KBIT && lab_pass "to the guest: $TO kbit/s, within 15% of ${LIMIT_KBIT}kbit (free: $to0)" ||
            lab_fail "to the guest: '$TO' kbit/s throttled to ${LIMIT_KBIT}kbit (free: $to0)"
        within15 "${FROM:-0}" $LIMIT_KBIT && lab_pass "from the guest: $FROM kbit/s, within 15% of ${LIMIT_KBIT}kbit (free: $from0)" ||
            lab_fail "from the guest: '$FROM' kbit/s throttled to ${LIMIT_KBIT}kbit (free: $from0)"
        [ $((i1 - i0)) -ge $((LIMIT_KBIT * 125 * TPUT_SECS / 2)) ] &&
            lab_pass "the guest's traffic went through ifb-$vif ($((i1 - i0)) bytes during the measures)" ||
            lab_fail "only $((i1 - i0)) bytes went through ifb-$vif"
    fi
    do_ok "unthrottle $NET" && {
        q=$(tc qdisc show dev "$vif" 2>&1)
        [ "$q" = "$q0" ] && [ ! -e "/sys/class/net/ifb-$vif" ] &&
            lab_pass "unthrottle: $vif has its qdiscs of before again ($(echo $q0)), ifb-$vif is gone" ||
            lab_fail "unthrottle: $vif now '$q', before '$q0'; ifb-$vif $(ls -d /sys/class/net/ifb-$vif 2>&1)"
        dt --json -i 1 >"$OUT/unthrottled.json" 2>&1
        throttle_json_is "$OUT/unthrottled.json" "$NET" 0 false &&
            lab_pass "--json: no throttle on $NET's vif and no sticky record" ||
            lab_fail "--json still shows a throttle on $NET after unthrottle"
    }
    # back out of the throttled regime; TCG alone varies 3-fold from one measure to the next
    if measure "unthrottled again" "$ip"; then
        [ $TO -ge $((4 * LIMIT_KBIT)) ] && [ $TO -ge $((to0 / 3)) ] &&
            [ $FROM -ge $((4 * LIMIT_KBIT)) ] && [ $FROM -ge $((from0 / 3)) ] &&
            lab_pass "back to full speed: $TO and $FROM kbit/s (before: $to0 and $from0)" ||
            lab_fail "after unthrottle: $TO and $FROM kbit/s (before: $to0 and $from0)"
    else
        lab_fail "cannot measure TCP throughput after unthrottle"
    fi
    ack=$(guest_ctl "$ip" chatty)
    [ "$ack" = "ok chatty" ] || lab_fail "$NET did not resume its ping: '$ack'"
}

# The renamed vif (check_renamed_vif made it tenant-net) is throttled under its new name.
check_renamed_throttle() {
    ip=$LAB_GUEST_NET_IP
    [ -d /sys/class/net/tenant-net ] || { lab_fail "no tenant-net to throttle"; return; }
    ack=$(guest_ctl "$ip" quiet)
    [ "$ack" = "ok quiet" ] || lab_fail "$NET (created again) answered '$ack' on its control port"
    if do_ok "throttle $NET ${LIMIT_KBIT}kbit"; then
        throttled_in_kernel tenant-net && lab_pass "renamed vif: tbf d07: and ingress on tenant-net, ifb-tenant-net with tbf d07:" ||
            lab_fail "renamed vif: the kernel does not show domtop's throttle on tenant-net"
        dt --json -i 1 >"$OUT/renamed-throttled.json" 2>&1
        throttle_json_is "$OUT/renamed-throttled.json" "$NET" ${LIMIT_KBIT}000 true &&
            [ "$(json_vif "$OUT/renamed-throttled.json" "$NET" | json_get ifname)" = tenant-net ] &&
            lab_pass "renamed vif: --json shows tenant-net throttled to ${LIMIT_KBIT}000 bit/s both ways" ||
            lab_fail "renamed vif: --json does not show tenant-net throttled"
        f=$(tput_from_guest "$ip")
        within15 "${f:-0}" $LIMIT_KBIT && lab_pass "renamed vif: from the guest $f kbit/s, within 15% of ${LIMIT_KBIT}kbit" ||
            lab_fail "renamed vif: from the guest '$f' kbit/s throttled to ${LIMIT_KBIT}kbit"
    fi
    do_ok "unthrottle $NET" && {
        ! tc qdisc show dev tenant-net | grep -q 'tbf d07:\|^qdisc ingress' && [ ! -e /sys/class/net/ifb-tenant-net ] &&
            lab_pass "renamed vif: unthrottle removed the tbf, the ingress qdisc and ifb-tenant-net" ||
            lab_fail "renamed vif after unthrottle: $(tc qdisc show dev tenant-net 2>&1 | tr '\n' ' ')"
    }
    guest_ctl "$ip" chatty >/dev/null
}

# A sticky throttle outlives its vif: guest-net destroyed and created again (a new domid, a new
# vif) under a running console gets the throttle back, audited as op=reapply. Then the
# console's flow view of that vif shows the TCP flow running through it.
check_sticky_reapply() {
    old=$(xl domid "$NET" 2>/dev/null)
    do_ok "throttle $NET ${LIMIT_KBIT}kbit" || return
    if ! tmux -u new-session -d -s sticky -x 120 -y 40 "domtop --audit-log $AUDIT"; then
        lab_fail "cannot start the console in tmux"; do_ok "unthrottle $NET"; return
    fi
    sleep 4
    xl destroy "$NET" >/dev/null 2>&1
    xl create "/lab/guests/$NET.cfg" >"$OUT/sticky-create.txt" 2>&1
    new=$(xl domid "$NET" 2>/dev/null); vif=vif$new.0
    t=0
    until throttled_in_kernel "$vif" >/dev/null 2>&1 || [ $t -ge 30 ]; do sleep 1; t=$((t + 1)); done
    tmux capture-pane -t sticky -p >"$OUT/sticky-screen.txt" 2>&1
    if throttled_in_kernel "$vif"; then
        lab_pass "sticky: the console re-applied the throttle to $vif ($NET created again, domid $old -> $new) within ${t}s of xl create returning"
    else
        lab_fail "sticky: no throttle on $vif ${t}s after $NET came back (screen in sticky-screen.txt)"
    fi
    line=$(grep "op=reapply action=throttle domain=$NET domid=$new " "$AUDIT" | tail -n 1)
    case $line in
        *result=ok*) lab_pass "audit: $line" ;;
        *) lab_fail "no op=reapply result=ok for $NET domid $new in $AUDIT: $(tail -n 2 "$AUDIT")" ;;
    esac
    # the flow view (F) of the new vif while TCP runs to the guest, once its services are up
    t=0
    until [ "$(guest_ctl "$LAB_GUEST_NET_IP" quiet)" = "ok quiet" ] || [ $t -ge 60 ]; do sleep 1; t=$((t + 1)); done
    tput_to_guest "$LAB_GUEST_NET_IP" >"$OUT/flows-tput.txt" 2>/dev/null &
    tp=$!
    tmux send-keys -t sticky /
    tmux send-keys -t sticky -l "$NET"
    tmux send-keys -t sticky Enter
    sleep 1
    tmux send-keys -t sticky F
    sleep 5
    tmux capture-pane -t sticky -p >"$OUT/flows-screen.txt" 2>&1
    wait $tp
    cat "$OUT/flows-screen.txt"
    grep -q "Flows of $NET" "$OUT/flows-screen.txt" && grep -q "$LAB_DOM0_IP .* tcp " "$OUT/flows-screen.txt" &&
        lab_pass "flow view (F) of $NET on $vif lists its TCP flow with $LAB_DOM0_IP ($(cat "$OUT/flows-tput.txt") kbit/s throttled)" ||
        lab_fail "flow view of $NET on $vif: no TCP flow with $LAB_DOM0_IP on screen (flows-screen.txt)"
    tmux send-keys -t sticky Escape
    sleep 1
    tmux send-keys -t sticky q
    sleep 2
    tmux kill-session -t sticky 2>/dev/null
    do_ok "unthrottle $NET" && {
        [ ! -e "/sys/class/net/ifb-$vif" ] && ! tc qdisc show dev "$vif" | grep -q 'tbf d07:\|^qdisc ingress' &&
            lab_pass "sticky: unthrottle lifted the re-applied throttle from $vif" ||
            lab_fail "sticky: $vif after unthrottle: $(tc qdisc show dev "$vif" 2>&1 | tr '\n' ' ')"
    }
    guest_ctl "$LAB_GUEST_NET_IP" chatty >/dev/null
}

# Debian's kernel boots with kernel.task_delayacct=0, where the backends' block-IO delay reads
# 0 however long they wait: IOW% must say it is off (JSON null, host io_delay_accounting
# false) rather than 0, and be a number again once accounting is on.
check_iow_accounting() {
    echo 0 >/proc/sys/kernel/task_delayacct
    dt --json -i 1 -d 1 >"$OUT/iow-off.json" 2>"$OUT/iow-off.err"
    rec=$(json_domain "$OUT/iow-off.json" "$NET" | head -n 1)
    tail -n 1 "$OUT/iow-off.json" | grep -q '"io_delay_accounting":false' &&
        echo "$rec" | grep -q '"iow_pct":null' &&
        lab_pass "task_delayacct=0: --json says io_delay_accounting false, $NET iow_pct null" ||
        lab_fail "task_delayacct=0: --json $(echo "$rec" | grep -o '"iow_pct":[^,]*'), $(tail -n 1 "$OUT/iow-off.json" | grep -o '"io_delay_accounting":[a-z]*')"
    dt -b -i 1 -d 1 >"$OUT/iow-off.txt" 2>&1
    last_frame "$OUT/iow-off.txt" | awk -v d="$NET" '$2 == d' | grep -qw off &&
        lab_pass "task_delayacct=0: domtop -b shows IOW% 'off' for $NET" ||
        lab_fail "task_delayacct=0: no 'off' in $NET's row: $(last_frame "$OUT/iow-off.txt" | awk -v d="$NET" '$2 == d')"
    echo 1 >/proc/sys/kernel/task_delayacct
    dt --json -i 1 -d 1 >"$OUT/iow-on.json" 2>"$OUT/iow-on.err"
    rec=$(json_domain "$OUT/iow-on.json" "$NET" | head -n 1)
    tail -n 1 "$OUT/iow-on.json" | grep -q '"io_delay_accounting":true' &&
        echo "$rec" | grep -q '"iow_pct":[0-9]' &&
        lab_pass "task_delayacct=1: io_delay_accounting true, $NET $(echo "$rec" | grep -o '"iow_pct":[0-9.]*')" ||
        lab_fail "task_delayacct=1: --json $(echo "$rec" | grep -o '"iow_pct":[^,]*')"
}

# libxenstat's complaints never reach the terminal or the output: with /sys/bus/xen-backend
# hidden (a tmpfs over it in a mount namespace) libxenstat perror()s at every sample; batch
# domtop says it on stderr, once a sample, prefixed, and goes on without vbd counters.
check_libxenstat_notice() {
    unshare -m sh -c 'mount -t tmpfs none /sys/bus/xen-backend &&
                      exec domtop --read-only -b -i 2 -d 1' >"$OUT/hidden.txt" 2>"$OUT/hidden.err"
    rc=$?
    cat "$OUT/hidden.err"
    [ $rc = 0 ] && grep -q "^domtop: libxenstat: Error opening /sys/bus/xen-backend/devices" "$OUT/hidden.err" &&
        [ "$(grep -c 'Error opening' "$OUT/hidden.err")" = "$(grep -c 'domtop: libxenstat: Error opening' "$OUT/hidden.err")" ] &&
        last_frame "$OUT/hidden.txt" | awk -v d="$NET" '$2 == d' | grep -q . &&
        ! grep -q 'Error opening' "$OUT/hidden.txt" &&
        lab_pass "hidden xen-backend: exit 0, $NET listed, libxenstat's complaint on stderr as a domtop line" ||
        lab_fail "hidden xen-backend: exit $rc, stderr: $(head -c 300 "$OUT/hidden.err")"
}

if check_present; then
    check_libxenstat_notice
    # block-IO delay accounting is off by default in Debian's kernel (it leaves it on)
    check_iow_accounting
    echo "kernel.task_delayacct=$(cat /proc/sys/kernel/task_delayacct 2>/dev/null)"
    check_domains
    check_json
    check_cpu_pct
    check_vif_vbd
    check_qdisk
    check_actions
    check_backend_direct
    check_throttle
    check_churn
    check_renamed_vif
    check_renamed_throttle
    check_sticky_reapply
    tar -C "$OUT" -cf /tmp/domtop-check.tar . 2>/dev/null && lab_export domtop-check.tar /tmp/domtop-check.tar
fi
lab_summary

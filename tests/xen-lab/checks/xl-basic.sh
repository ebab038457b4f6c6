#!/bin/sh
# Xen lab smoke check (runs in dom0, needs no domtop): the toolstack sees both guests, the
# guests do what the lab says (guest-cpu burns CPU, guest-net sends traffic and writes its
# disk), and the CPU actions domtop will use work and read back with xl:
# xl list, xl vcpu-list, xl sched-credit2/credit, xentop -b, xl vcpu-pin, weight and cap,
# xl pause/unpause. Prints PASS/FAIL lines and "xen-lab: N passed, N failed".
. /lab/lib.sh
. /lab/env

CPU=$LAB_GUEST_CPU
NET=$LAB_GUEST_NET
SCHED_CMD=sched-$LAB_SCHED     # sched-credit2 or sched-credit

# Field N of the `xl list` line of a domain.
xl_list_field() { xl list "$1" 2>/dev/null | awk -v f="$2" 'NR == 2 { print $f }'; }

check_xl_list() {
    out=$(xl list 2>&1) || { lab_fail "xl list: $out"; return; }
    echo "$out"
    for d in Domain-0 "$CPU" "$NET"; do
        if echo "$out" | awk -v d="$d" '$1 == d { found = 1 } END { exit !found }'; then
            lab_pass "xl list shows $d"
        else
            lab_fail "xl list does not show $d"
        fi
    done
    id=$(xl_list_field "$CPU" 2)
    [ "$id" = "$LAB_GUEST_CPU_DOMID" ] && lab_pass "xl list: $CPU has domid $id" ||
        lab_fail "xl list: $CPU domid '$id', expected $LAB_GUEST_CPU_DOMID"
    n=$(xl_list_field "$CPU" 4)
    [ "$n" = 2 ] && lab_pass "xl list: $CPU has 2 vcpus" || lab_fail "xl list: $CPU vcpus '$n', expected 2"
}

check_vcpu_list() {
    out=$(xl vcpu-list 2>&1) || { lab_fail "xl vcpu-list: $out"; return; }
    echo "$out"
    n=$(echo "$out" | awk -v d="$CPU" '$1 == d' | wc -l)
    [ "$n" = 2 ] && lab_pass "xl vcpu-list: $CPU has 2 vcpu lines" ||
        lab_fail "xl vcpu-list: $CPU has $n vcpu lines, expected 2"
    n=$(echo "$out" | awk -v d="$NET" '$1 == d' | wc -l)
    [ "$n" = 1 ] && lab_pass "xl vcpu-list: $NET has 1 vcpu line" ||
        lab_fail "xl vcpu-list: $NET has $n vcpu lines, expected 1"
}

check_sched() {
    out=$(xl $SCHED_CMD 2>&1) || { lab_fail "xl $SCHED_CMD: $out"; return; }
    echo "$out"
    w=$(echo "$out" | awk -v d="$CPU" '$1 == d { print $3 }')
    [ "$w" = 256 ] && lab_pass "xl $SCHED_CMD: $CPU has the default weight 256" ||
        lab_fail "xl $SCHED_CMD: $CPU weight '$w', expected 256"
}

# xentop in batch mode, two frames one second apart: guest-cpu busy, guest-net sending.
check_xentop() {
    out=$(xentop -b -i 2 -d 1 2>&1) || { lab_fail "xentop -b: $out"; return; }
    echo "$out"
    # Second frame only: the first CPU(%) of xentop is since domain start.
    frame2=$(echo "$out" | awk '/NAME/ { n++ } n == 2')
    cpu=$(echo "$frame2" | awk -v d="$CPU" '$1 == d { print int($4) }')
    [ -n "$cpu" ] && [ "$cpu" -ge 30 ] && lab_pass "xentop: $CPU burns CPU ($cpu%)" ||
        lab_fail "xentop: $CPU CPU(%) '$cpu', expected >= 30"
    line=$(echo "$frame2" | awk -v d="$NET" '$1 == d')
    # Columns: NAME STATE CPU(sec) CPU(%) MEM(k) MEM(%) MAXMEM(k) MAXMEM(%) VCPUS NETS
    #          NETTX(k) NETRX(k) VBDS VBD_OO VBD_RD VBD_WR ...
    tx=$(echo "$line" | awk '{ print $11 }')
    rx=$(echo "$line" | awk '{ print $12 }')
    wr=$(echo "$line" | awk '{ print $16 }')
    [ -n "$rx" ] && [ "$rx" -gt 0 ] && [ -n "$tx" ] && [ "$tx" -gt 0 ] &&
        lab_pass "xentop: $NET has network traffic (NETTX ${tx}k NETRX ${rx}k)" ||
        lab_fail "xentop: $NET NETTX '$tx' NETRX '$rx', expected > 0"
    [ -n "$wr" ] && [ "$wr" -gt 0 ] && lab_pass "xentop: $NET wrote to its disk (VBD_WR $wr)" ||
        lab_fail "xentop: $NET VBD_WR '$wr', expected > 0"
}

# Hard affinity of vcpu V of domain D as xl vcpu-list prints it.
hard_affinity() { xl vcpu-list "$1" | awk -v v="$2" 'NR > 1 && $3 == v { print $7 }'; }

check_vcpu_pin() {
    if ! out=$(xl vcpu-pin "$CPU" 0 1 2>&1); then lab_fail "xl vcpu-pin $CPU 0 1: $out"; return; fi
    a=$(hard_affinity "$CPU" 0)
    [ "$a" = 1 ] && lab_pass "xl vcpu-pin $CPU 0 1: read back hard affinity 1" ||
        lab_fail "xl vcpu-pin $CPU 0 1: read back hard affinity '$a'"
    sleep 1
    p=$(xl vcpu-list "$CPU" | awk 'NR > 1 && $3 == 0 && $5 ~ /r/ { print $4 }')
    [ -z "$p" ] || [ "$p" = 1 ] && lab_pass "xl vcpu-list: pinned vcpu 0 runs on pcpu ${p:-(not running)}" ||
        lab_fail "xl vcpu-list: pinned vcpu 0 runs on pcpu $p"
    xl vcpu-pin "$CPU" 0 all >/dev/null 2>&1
    a=$(hard_affinity "$CPU" 0)
    [ "$a" = all ] && lab_pass "xl vcpu-pin $CPU 0 all: read back hard affinity all" ||
        lab_fail "xl vcpu-pin $CPU 0 all: read back hard affinity '$a'"
}

check_weight_cap() {
    if ! out=$(xl $SCHED_CMD -d "$CPU" -w 512 2>&1); then
        lab_fail "xl $SCHED_CMD -d $CPU -w 512: $out"; return
    fi
    w=$(xl $SCHED_CMD -d "$CPU" | awk -v d="$CPU" '$1 == d { print $3 }')
    [ "$w" = 512 ] && lab_pass "xl $SCHED_CMD -d $CPU -w 512: read back weight 512" ||
        lab_fail "xl $SCHED_CMD -d $CPU -w 512: read back weight '$w'"
    if ! out=$(xl $SCHED_CMD -d "$CPU" -c 50 2>&1); then
        lab_fail "xl $SCHED_CMD -d $CPU -c 50: $out"; return
    fi
    c=$(xl $SCHED_CMD -d "$CPU" | awk -v d="$CPU" '$1 == d { print $4 }')
    [ "$c" = 50 ] && lab_pass "xl $SCHED_CMD -d $CPU -c 50: read back cap 50" ||
        lab_fail "xl $SCHED_CMD -d $CPU -c 50: read back cap '$c'"
    # A cap of 50% must show in xentop: CPU(%) of the second frame at most about 50.
    cpu=$(xentop -b -i 2 -d 1 | awk '/NAME/ { n++ } n == 2' |
          awk -v d="$CPU" '$1 == d { print int($4) }')
    [ -n "$cpu" ] && [ "$cpu" -le 60 ] && lab_pass "xentop: capped $CPU uses $cpu% (cap 50)" ||
        lab_fail "xentop: capped $CPU uses '$cpu'%, expected <= 60"
    xl $SCHED_CMD -d "$CPU" -w 256 -c 0 >/dev/null 2>&1
    wc=$(xl $SCHED_CMD -d "$CPU" | awk -v d="$CPU" '$1 == d { print $3 "/" $4 }')
    [ "$wc" = 256/0 ] && lab_pass "xl $SCHED_CMD: restored weight 256 cap 0" ||
        lab_fail "xl $SCHED_CMD: restore gave weight/cap '$wc'"
    if out=$(xl $SCHED_CMD -d "$CPU" -w 70000 2>&1); then
        lab_fail "xl $SCHED_CMD -w 70000 was accepted"
    else
        lab_pass "xl $SCHED_CMD refuses weight 70000"
    fi
}

check_pause() {
    xl pause "$CPU" || { lab_fail "xl pause $CPU"; return; }
    s=$(xl_list_field "$CPU" 5)
    case $s in *p*) lab_pass "xl pause $CPU: state $s" ;; *) lab_fail "xl pause $CPU: state '$s'" ;; esac
    xl unpause "$CPU" || { lab_fail "xl unpause $CPU"; return; }
    s=$(xl_list_field "$CPU" 5)
    case $s in *p*|'') lab_fail "xl unpause $CPU: state '$s'" ;; *) lab_pass "xl unpause $CPU: state $s" ;; esac
}

check_network() {
    lab_check "dom0 pings $CPU over $LAB_BRIDGE" ping -c 2 -W 2 "$LAB_GUEST_CPU_IP"
    vif=vif$LAB_GUEST_NET_DOMID.0
    r1=$(awk -v v="$vif:" '$1 == v { print $2 }' /proc/net/dev)
    sleep 1
    r2=$(awk -v v="$vif:" '$1 == v { print $2 }' /proc/net/dev)
    [ -n "$r1" ] && [ -n "$r2" ] && [ "$r2" -gt "$r1" ] &&
        lab_pass "$vif receives $((r2 - r1)) bytes/s from $NET" ||
        lab_fail "$vif RX bytes '$r1' -> '$r2', expected growth"
    b=$(readlink "/sys/class/net/$vif/master" 2>/dev/null)
    [ "${b##*/}" = "$LAB_BRIDGE" ] && lab_pass "$vif is on $LAB_BRIDGE" ||
        lab_fail "$vif master is '${b##*/}', expected $LAB_BRIDGE"
}

echo "scheduler: $LAB_SCHED; $CPU domid $LAB_GUEST_CPU_DOMID, $NET domid $LAB_GUEST_NET_DOMID"
check_xl_list
check_vcpu_list
check_sched
check_xentop
check_vcpu_pin
check_weight_cap
check_pause
check_network
lab_summary

#!/bin/sh
# tests/net/program.sh: end-to-end tests of the domtop binary on real
# interfaces, through the demo host with a vif bound to a veth (scenario
# `vif bind=vif7.0`): --do throttle/unthrottle, --json counters, and the
# full-screen console in tmux (t, u, sticky re-apply, expiry). Needs root,
# ip, tc, iperf3, tmux and python3.
#
#   tests/net/program.sh PATH/TO/domtop
#
# Everything happens in two network namespaces made here: dom0's,
# dtprog-d<pid>, where domtop runs and vif7.0 lives, and the guest's,
# dtprog-g<pid>, with the veth's other end eth0 (198.18.7.1/24 and
# 198.18.7.2/24, the benchmarking range). Nothing is changed in the
# caller's namespace, so this runs beside tests/net/run.sh. The throttle
# state file, audit log and config are in a temporary directory. Every
# namespace (with the veth, ifb devices and qdiscs in it), process and file
# made here is removed on exit, also on failure or ^C.
# Ends with "program: N passed, N failed"; exit status 0 only when none failed.

set -u
. "$(dirname "$0")/lib.sh"
BIN=$(cd "$(dirname "${1:?usage: tests/net/program.sh PATH/TO/domtop}")" && pwd)/$(basename "$1")
VIF=vif7.0
HOST=198.18.7.1
GUEST=198.18.7.2
D=dtprog-d$$
G=dtprog-g$$
SOCK=dtprog-$$
LIMIT=10
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if [ "$1" -eq 0 ]; then ok "$2"; else bad "$2"; fi; }
finished=0
finish() { finished=1; echo "program: $pass passed, $fail failed"; }

if [ "$(id -u)" != 0 ]; then
	echo "program: needs root (network namespaces, qdiscs, captures)"
	finish
	exit 77
fi
for tool in ip tc iperf3 tmux python3 "$BIN"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "program: missing $tool (apt-get install -y iperf3 tmux; build domtop first)"
		finish
		exit 77
	fi
done

TMP=$(mktemp -d /tmp/dtprog.XXXXXX)
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	kill_pidfiles "$TMP"
	left=$(netns_remove "$G" "$D")
	rm -rf "$TMP"
	[ -n "$left" ] && echo "program: cleanup left behind: $left"
}
trap 'rc=$?; cleanup; [ "$finished" = 1 ] || finish; exit $rc' EXIT
trap 'echo "program: interrupted"; fail=$((fail + 1)); exit 130' INT TERM HUP

DX="ip netns exec $D"
GX="ip netns exec $G"
SCN=$TMP/lab.scn
CONF=$TMP/domtop.conf
STATE=$TMP/throttles.state
AUDIT=$TMP/audit.log
DT="$DX $BIN --scenario $SCN --config $CONF --audit-log $AUDIT"

cat > "$SCN" <<EOF
host name=lab pcpus=2 mem=8G
domain web1 id=7 vcpus=1 mem=1G cpu=0.2
vif bind=$VIF
domain other id=8 vcpus=1 mem=1G cpu=0.1
vif rx=1mbit tx=1mbit
EOF
cat > "$CONF" <<EOF
[throttle]
presets = 1mbit,${LIMIT}mbit,100mbit
state = $STATE
EOF

# the veth pair: vif7.0 in dom0's namespace, eth0 in the guest's
make_vif() { netns_veth "$D" "$G" "$VIF" $HOST $GUEST; }

start_iperf() {
	[ -f "$TMP/iperf.pid" ] && kill "$(cat "$TMP/iperf.pid")" 2>/dev/null && sleep 0.3
	$GX iperf3 -s -B $GUEST -D -I "$TMP/iperf.pid" >/dev/null || return 1
	sleep 0.5
}

setup() {
	netns_pair "$D" "$G" && make_vif && start_iperf
}

# ---- helpers ----

# mbps [-R]: TCP throughput to the guest (or from it with -R), Mbit/s at the receiver.
mbps() {
	$DX timeout 30 iperf3 -c $GUEST -t 5 -O 1 -J "$@" > "$TMP/iperf.json" 2>/dev/null
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' "$TMP/iperf.json" 2>/dev/null || echo 0
}
within() { python3 -c 'import sys; m,t,p=map(float,sys.argv[1:]); sys.exit(0 if abs(m-t) <= t*p/100 else 1)' "$@"; }
above() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$@"; }

throttled_in_kernel() {  # the tbf on the vif and the ifb side, both at RATE (e.g. 10Mbit)
	$DX tc qdisc show dev $VIF | grep -q "^qdisc tbf d07: root .*rate $1 " &&
		$DX tc qdisc show dev $VIF ingress | grep -q '^qdisc ingress' &&
		$DX tc qdisc show dev ifb-$VIF | grep -q "^qdisc tbf d07: root .*rate $1 "
}
unthrottled_in_kernel() {
	! $DX ip link show ifb-$VIF >/dev/null 2>&1 && [ -z "$($DX tc qdisc show dev $VIF ingress)" ] &&
		! $DX tc qdisc show dev $VIF | grep -q 'tbf d07:'
}

# json_vif: the vif of web1 in one --json sample, into $TMP/vif.json
json_vif() {
	$DT --json -i 1 -d 0.3 > "$TMP/json" 2> "$TMP/json.err" || return 1
	python3 - "$TMP/json" > "$TMP/vif.json" <<'EOF'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
d = [x for x in s["domains"] if x["name"] == "web1"][0]
print(json.dumps(d["vif"][0]))
EOF
}
vif_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/vif.json" "$1"; }

# ---- tmux ----

screen() { tmux -L "$SOCK" capture-pane -p -t main 2>/dev/null; }
keys() { tmux -L "$SOCK" send-keys -t main "$@"; }
text() { tmux -L "$SOCK" send-keys -t main -l "$1"; }
# wait_for TEXT [SECONDS]: polls the screen until it shows TEXT
wait_for() {
	n=0 limit=$(( ${2:-8} * 10 ))
	while [ $n -lt $limit ]; do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
		n=$((n + 1))
	done
	echo "  timed out waiting for '$1'; the screen was:"
	screen | sed 's/^/  | /'
	return 1
}
console_start() {
	tmux -L "$SOCK" -f /dev/null new-session -d -s main -x 120 -y 30 \
		"$DX env TERM=screen LANG=C.UTF-8 LC_ALL=C.UTF-8 $BIN --scenario $SCN --config $CONF --audit-log $AUDIT -d 1; echo DOMTOP-EXIT=\$?; sleep 600"
	wait_for "web1" 8 || return 1
	keys /; text web1; keys Enter
	wait_for "Search" 2 >/dev/null
	sleep 0.3
}

# ---- the tests ----

# The binary reads [throttle] state from the config (not /var/lib/domtop): an
# entry that expired while no domtop ran is lifted, from this file, at start.
test_state_file_is_the_configs() {
	printf 'vif scope=sim:lab domain=ghost devid=0 to=8000 from=8000 expires=1000 domid=9 ifindex=0 ifname=vif9.0 saved=\n' > "$STATE"
	$DT --json -i 1 -d 0.1 > /dev/null 2>&1
	! grep -q 'domain=ghost' "$STATE" && grep -q 'op=expire action=throttle domain=ghost' "$AUDIT"
	r=$?
	check $r "the throttle state file is the config's ([throttle] state), and an expired entry is lifted at start"
	if [ $r -ne 0 ]; then
		echo "  the binary does not use [throttle] state: tui/app.c must pass cfg.throttle_state to"
		echo "  action_ctx_opts.throttle_state; stopping here rather than touch /var/lib/domtop"
		exit 1
	fi
}

test_json_counters() {
	$DX timeout 20 iperf3 -c $GUEST -t 1 >/dev/null 2>&1
	$DX timeout 20 iperf3 -c $GUEST -t 1 -R >/dev/null 2>&1
	sleep 0.5
	n=0
	while :; do
		json_vif && $DX ip -s -j link show $VIF > "$TMP/ip.json" &&
		python3 - "$TMP/vif.json" "$TMP/ip.json" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))[0]["stats64"]
want = {"rx_bytes": s["rx"]["bytes"], "rx_packets": s["rx"]["packets"], "rx_errors": s["rx"]["errors"],
        "rx_drops": s["rx"]["dropped"], "tx_bytes": s["tx"]["bytes"], "tx_packets": s["tx"]["packets"],
        "tx_errors": s["tx"]["errors"], "tx_drops": s["tx"]["dropped"]}
diff = {k: (v[k], w) for k, w in want.items() if v[k] != w}
if diff or want["rx_bytes"] + want["tx_bytes"] < 1000000 or not v["real"] or v["ifname"] != "vif7.0":
    print("  --json vs ip -s -j link:", diff, v["ifname"], v["real"])
    sys.exit(1)
print("  --json: rx_bytes=%d tx_bytes=%d rx_packets=%d tx_packets=%d, as ip -s -j link" %
      (v["rx_bytes"], v["tx_bytes"], v["rx_packets"], v["tx_packets"]))
EOF
		r=$?
		n=$((n + 1))
		[ $r -eq 0 ] || [ $n -ge 3 ] && break
		sleep 1                     # a late ARP probe may land in between
	done
	check $r "--json shows the bound vif's counters equal to the kernel's (ip -s -j link)"
}

test_do_throttle() {
	base_to=$(mbps); base_from=$(mbps -R)
	echo "  unshaped: to the guest $base_to Mbit/s, from the guest $base_from Mbit/s"
	$DT --do "throttle web1 ${LIMIT}mbit" > "$TMP/out" 2>&1
	r=$?
	grep -q "throttle web1: none -> ${LIMIT}mbit both ways" "$TMP/out"
	check $((r + $?)) "--do 'throttle web1 ${LIMIT}mbit': $(cat "$TMP/out")"
	throttled_in_kernel ${LIMIT}Mbit
	check $? "tc sees the throttle: tbf on $VIF, ingress -> ifb-$VIF with tbf"
	grep -q "^vif scope=sim:lab domain=web1 devid=0 to=${LIMIT}000000 from=${LIMIT}000000 .*saved=shape-saved" "$STATE"
	check $? "the throttle is kept in the state file with the qdisc to restore"
	to=$(mbps); from=$(mbps -R)
	within "$to" $LIMIT 15; check $? "shaped TCP to the guest: $to Mbit/s, within 15% of ${LIMIT}mbit"
	within "$from" $LIMIT 15; check $? "shaped TCP from the guest: $from Mbit/s, within 15% of ${LIMIT}mbit"
	json_vif && [ "$(vif_field throttle_to_guest_bps)" = ${LIMIT}000000 ] &&
		[ "$(vif_field throttle_from_guest_bps)" = ${LIMIT}000000 ] && [ "$(vif_field throttle_sticky)" = True ]
	check $? "--json shows the throttle read back from the kernel, and sticky"
	$DT --do "unthrottle web1" > "$TMP/out" 2>&1
	r=$?
	grep -q "unthrottle web1: ${LIMIT}mbit both ways -> none" "$TMP/out"
	check $((r + $?)) "--do 'unthrottle web1' (another process): $(cat "$TMP/out")"
	unthrottled_in_kernel && $DX tc qdisc show dev $VIF | grep -q '^qdisc noqueue 0: root' &&
		! grep -q '^vif ' "$STATE"
	check $? "unthrottle removed the ifb and ingress, gave back the default qdisc, emptied the state"
	to=$(mbps); from=$(mbps -R)
	above "$to" 200 && above "$from" 200
	check $? "full speed after unthrottle: to the guest $to, from the guest $from Mbit/s"
	grep -q "op=do action=throttle domain=web1 domid=7 old=none new=\"${LIMIT}mbit both ways\" result=ok" "$AUDIT" &&
		grep -q "op=do action=unthrottle domain=web1 domid=7 old=\"${LIMIT}mbit both ways\" new=none result=ok" "$AUDIT"
	check $? "both audited"
}

# t, a preset, then u: a qdisc that was there before comes back exactly.
test_console_undo_restores_qdisc() {
	$DX tc qdisc replace dev $VIF root handle 5: tbf rate 100mbit burst 64kb latency 30ms || {
		bad "cannot set up a pre-existing qdisc"; return; }
	$DX tc -j -d qdisc show dev $VIF > "$TMP/before"
	keys t
	wait_for "Throttle web1" 4 && wait_for "2  ${LIMIT}mbit both ways" 1
	check $? "t opens the throttle menu with the config's presets"
	keys 2
	wait_for "throttle web1: none -> ${LIMIT}mbit both ways" 4 && throttled_in_kernel ${LIMIT}Mbit
	check $? "preset 2 throttles web1 in the kernel"
	to=$(mbps)
	within "$to" $LIMIT 15; check $? "throttled from the console: TCP to the guest $to Mbit/s"
	keys u
	wait_for "undo throttle web1: ${LIMIT}mbit both ways -> none" 4
	check $? "u undoes it"
	$DX tc -j -d qdisc show dev $VIF > "$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" && unthrottled_in_kernel
	check $? "the pre-existing tbf 5: is restored exactly (tc -j qdisc show before = after): $(cat "$TMP/after")"
	$DX tc qdisc del dev $VIF root
}

# A throttle from the console outlives its vif: deleted and made again, it gets it back.
test_console_sticky_reapply() {
	keys t
	wait_for "Throttle web1" 4 && keys 2
	wait_for "throttle web1: none -> ${LIMIT}mbit both ways" 4
	check $? "throttle web1 from the console"
	ip -n "$D" link del $VIF
	keys N
	wait_for "interface absent; sticky ${LIMIT}.0Mbit/s both ways" 6
	check $? "the deleted vif shows as absent, its sticky throttle waiting"
	make_vif && start_iperf
	wait_for "re-applied the throttle of web1 vif 0: ${LIMIT}mbit both ways (its vif is new)" 8 &&
		throttled_in_kernel ${LIMIT}Mbit
	check $? "the console re-applied the throttle to the re-created $VIF"
	grep -q "op=reapply action=throttle domain=web1 domid=7 old=none new=\"${LIMIT}mbit both ways\" result=ok" "$AUDIT"
	check $? "the re-apply is audited"
	to=$(mbps); from=$(mbps -R)
	within "$to" $LIMIT 15 && within "$from" $LIMIT 15
	check $? "re-applied throttle holds: to the guest $to, from the guest $from Mbit/s (limit ${LIMIT})"
	keys N t
	wait_for "Throttle web1" 4 && keys l
	wait_for "throttle web1: ${LIMIT}mbit both ways -> none" 4 && unthrottled_in_kernel
	check $? "lift throttle from the menu"
}

# "for 5s": the running console lifts it when the time comes and audits op=expire.
test_console_expiry() {
	keys t
	wait_for "Throttle web1" 4 && keys o
	wait_for "RATE [in|out|both]" 3 && text "${LIMIT}mbit for 5s" && keys Enter
	wait_for "throttle web1: none -> ${LIMIT}mbit both ways until" 4 && throttled_in_kernel ${LIMIT}Mbit
	check $? "throttle web1 for 5s from the console"
	wait_for "expired: lifted" 12 && unthrottled_in_kernel
	check $? "the console lifted it when it expired"
	grep -q "op=expire action=throttle domain=web1 domid=7 old=\"${LIMIT}mbit both ways until .*\" new=none result=ok" "$AUDIT"
	check $? "the lift is audited as op=expire: $(grep 'op=expire' "$AUDIT" | tail -1 | sed 's/.*op=expire/op=expire/')"
	keys q
	wait_for "DOMTOP-EXIT=0" 4
	check $? "the console quits cleanly"
}

# --do with an expiry; the next domtop to start (a batch run) lifts it first.
test_expiry_at_start() {
	$DT --do "throttle web1 ${LIMIT}mbit for 2s" > /dev/null 2>&1 && throttled_in_kernel ${LIMIT}Mbit
	check $? "--do 'throttle web1 ${LIMIT}mbit for 2s'"
	sleep 3
	json_vif && [ "$(vif_field throttle_to_guest_bps)" = 0 ] && unthrottled_in_kernel &&
		[ "$(grep -c 'op=expire action=throttle domain=web1' "$AUDIT")" -ge 2 ]
	check $? "a batch run started after the expiry lifted it first (and audited it)"
}

test_absent_interface() {
	ip -n "$D" link del $VIF
	json_vif
	r=$?
	[ $r -eq 0 ] && [ "$(vif_field ifindex)" = 0 ] && [ "$(vif_field present)" = False ] &&
		[ "$(vif_field rx_bytes)" = 0 ] && [ "$(vif_field tx_bytes)" = 0 ]
	check $? "a bound interface that does not exist: zero counters, present=false, no crash"
	$DT --do "throttle web1 1mbit" > "$TMP/out" 2>&1
	[ $? -ne 0 ] && grep -q "no network interface named $VIF" "$TMP/out"
	check $? "throttling it is refused with a reason: $(cat "$TMP/out")"
}

if ! setup; then
	bad "setup of $D, $G and $VIF"
	exit 1
fi
test_state_file_is_the_configs
test_json_counters
test_do_throttle
if console_start; then
	test_console_undo_restores_qdisc
	test_console_sticky_reapply
	test_console_expiry
else
	bad "the console did not start"
fi
test_expiry_at_start
test_absent_interface
finish
[ "$fail" -eq 0 ]

#!/bin/sh
# tests/net/run.sh: integration tests of backend/netstats, shape and flows on
# real interfaces. Needs root, ip, tc, iperf3 and python3.
#
#   tests/net/run.sh DIR      DIR holds net_drv and net_send built from tests/net/*.c
#
# It makes two network namespaces: dom0's, dtnet-d<pid>, where the drivers
# run, and the guest's, dtnet-g<pid>, with a veth pair between them: vif7.0
# on dom0's side, eth0 on the guest's, with 198.18.7.1/24 and 198.18.7.2/24
# (the benchmarking range, which exists only on these veths). dom0 also
# holds 198.18.9.1 and 198.18.9.2, the "remote hosts" of the flow tests,
# routed from the guest through the veth. Traffic flows only between the two
# ends; replies to the flood's spoofed sources (198.19.0.0/16) are routed
# back into the veth. Nothing is changed in the caller's namespace, so runs
# do not clash with each other. Every namespace (with the veths, ifb devices
# and qdiscs in it) and process made here is removed on exit, also on
# failure or ^C. Ends with "net: N passed, N failed"; exit status 0 only when
# none failed.

set -u
. "$(dirname "$0")/lib.sh"
BIN=${1:?usage: tests/net/run.sh DIR-with-net_drv-and-net_send}
DRV=$(cd "$BIN" && pwd)/net_drv
SEND=$(cd "$BIN" && pwd)/net_send
VIF=vif7.0
HOST=198.18.7.1
GUEST=198.18.7.2
REMOTE_TX=198.18.9.1     # sends to the guest (on dom0's side, behind the veth)
REMOTE_RX=198.18.9.2     # the guest sends to it
D=dtnet-d$$
G=dtnet-g$$
EVNS=dtnet-ev$$
LIMIT=10mbit
LIMIT_BPS=10000000
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check CONDITION-EXIT-STATUS MESSAGE; returns the condition's status
	if [ "$1" -eq 0 ]; then ok "$2"; else bad "$2"; return 1; fi
}
finished=0
finish() { finished=1; echo "net: $pass passed, $fail failed"; }

if [ "$(id -u)" != 0 ]; then
	echo "net: needs root (network namespaces, qdiscs, raw sockets)"
	finish
	exit 77
fi
for tool in ip tc iperf3 python3 "$DRV" "$SEND"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "net: missing $tool (apt-get install -y iperf3; build the drivers first)"
		finish
		exit 77
	fi
done
VIF2=vif7.1

TMP=$(mktemp -d /tmp/dtnet.XXXXXX)

cleanup() {
	kill_pidfiles "$TMP"
	left=$(netns_remove "$G" "$D" "$EVNS")
	wait 2>/dev/null
	rm -rf "$TMP"
	[ -n "$left" ] && echo "net: cleanup left behind: $left"
}
trap 'rc=$?; cleanup; [ "$finished" = 1 ] || finish; exit $rc' EXIT
trap 'echo "net: interrupted"; fail=$((fail + 1)); exit 130' INT TERM HUP

DX="ip netns exec $D"
GX="ip netns exec $G"

setup() {
	netns_pair "$D" "$G" && netns_veth "$D" "$G" "$VIF" $HOST $GUEST || return 1
	# the remote hosts of the flow tests, on dom0's side of the veth
	ip -n "$D" addr add $REMOTE_TX/32 dev lo && ip -n "$D" addr add $REMOTE_RX/32 dev lo || return 1
	ip -n "$G" route add 198.18.9.0/24 via $HOST || return 1
	# the flood's and the scan's addresses: to dom0 through the veth, and back
	ip -n "$G" route add 198.19.0.0/16 via $HOST || return 1
	ip -n "$D" route add 198.19.0.0/16 dev "$VIF" || return 1
	$GX iperf3 -s -B $GUEST -D -I "$TMP/iperf.pid" >/dev/null || return 1
	sleep 0.5
}

# ---- counters ----

# compare_stats NAMESPACE-PREFIX IF: our counters against ip -s -j link.
compare_stats() {
	prefix=$1 ifname=$2
	$prefix "$DRV" stats "$ifname" > "$TMP/ours" || return 1
	$prefix ip -s -j link show "$ifname" > "$TMP/theirs" || return 1
	python3 - "$TMP/ours" "$TMP/theirs" "$ifname" <<'EOF'
import json, sys
ours = dict(kv.split('=') for kv in open(sys.argv[1]).read().split() if '=' in kv)
s = json.load(open(sys.argv[2]))[0]['stats64']
want = {'rx_bytes': s['rx']['bytes'], 'rx_packets': s['rx']['packets'],
        'rx_errors': s['rx']['errors'], 'rx_drops': s['rx']['dropped'],
        'tx_bytes': s['tx']['bytes'], 'tx_packets': s['tx']['packets'],
        'tx_errors': s['tx']['errors'], 'tx_drops': s['tx']['dropped']}
diff = {k: (int(ours.get(k, -1)), v) for k, v in want.items() if int(ours.get(k, -1)) != v}
if diff or want['rx_bytes'] + want['tx_bytes'] < 1000000:
    print("  %s: ours vs kernel differ: %s (rx+tx bytes %d)" % (sys.argv[3], diff, want['rx_bytes'] + want['tx_bytes']))
    sys.exit(1)
EOF
}

test_counters() {
	$DX timeout 20 iperf3 -c $GUEST -t 1 >/dev/null 2>&1
	$DX timeout 20 iperf3 -c $GUEST -t 1 -R >/dev/null 2>&1
	$GX "$SEND" udp $HOST 9 2000 100 1 >/dev/null
	sleep 0.5
	for side in host guest; do
		if [ $side = host ]; then p=$DX i=$VIF; else p=$GX i=eth0; fi
		n=0
		until compare_stats "$p" $i; do   # a late ARP probe may land in between: retry
			n=$((n + 1)); [ $n -ge 3 ] && break; sleep 1
		done
		check $((n >= 3)) "counters of $i ($side side) equal the kernel's (ip -s -j link)"
	done
	# sysfs, the other view of the same counters
	set -- $($DX "$DRV" stats $VIF | tr ' ' '\n' | grep -E '^(rx|tx)_(bytes|packets)=' | cut -d= -f2)
	[ "$1 $2 $3 $4" = "$($DX cat /sys/class/net/$VIF/statistics/rx_bytes /sys/class/net/$VIF/statistics/rx_packets /sys/class/net/$VIF/statistics/tx_bytes /sys/class/net/$VIF/statistics/tx_packets | tr '\n' ' ' | sed 's/ $//')" ]
	check $? "counters of $VIF equal /sys/class/net/$VIF/statistics"
}

test_events() {
	ip netns add "$EVNS" || { bad "cannot make namespace $EVNS"; return; }
	ip netns exec "$EVNS" "$DRV" events > "$TMP/events" 2>&1
	grep -E '^(PASS|FAIL):' "$TMP/events" | while read -r res what; do echo "$res $what"; done
	p=$(grep -c '^PASS:' "$TMP/events"); f=$(grep -c '^FAIL:' "$TMP/events")
	pass=$((pass + p)); fail=$((fail + f))
	[ "$p" -gt 0 ] || { bad "link events test did not run"; cat "$TMP/events"; }
	ip netns del "$EVNS"
}

# ---- shaping ----

# mbps [-R]: TCP throughput to the guest (or from it with -R), Mbit/s at the receiver.
mbps() {
	$DX timeout 30 iperf3 -c $GUEST -t 5 -O 1 -J "$@" > "$TMP/iperf.json" 2>/dev/null
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' "$TMP/iperf.json" 2>/dev/null || echo 0
}

within() { # within MEASURED TARGET PERCENT
	python3 -c 'import sys; m,t,p=map(float,sys.argv[1:]); sys.exit(0 if abs(m-t) <= t*p/100 else 1)' "$@"
}

above() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$@"; }

field() { tr ' ' '\n' < "$1" | grep "^$2=" | head -1 | cut -d= -f2; }

test_shaping() {
	base_to=$(mbps); base_from=$(mbps -R)
	echo "  unshaped: to the guest $base_to Mbit/s, from the guest $base_from Mbit/s"
	$DX "$DRV" apply $VIF both $LIMIT "$TMP/state" > "$TMP/apply" 2>&1
	check $? "throttle $VIF both ways to $LIMIT through libnl"
	grep -q "to_guest=on to_guest_rate=$LIMIT_BPS " "$TMP/apply" && grep -q "from_guest=on from_guest_rate=$LIMIT_BPS " "$TMP/apply"
	check $? "throttle read back from the kernel: $(grep -o 'to_guest_rate_text=[^ ]*\|from_guest_rate_text=[^ ]*' "$TMP/apply" | tr '\n' ' ')"
	$DX tc qdisc show dev $VIF | grep -q 'tbf d07: root' && $DX tc qdisc show dev $VIF ingress | grep -q ingress &&
		$DX tc filter show dev $VIF ingress | grep -q "Egress Redirect to device ifb-$VIF" &&
		$DX tc qdisc show dev ifb-$VIF | grep -q 'tbf d07: root'
	check $? "tc sees tbf on $VIF, ingress + u32 + mirred to ifb-$VIF, tbf on ifb-$VIF"
	to=$(mbps); from=$(mbps -R)
	within "$to" 10 15; check $? "shaped TCP to the guest: $to Mbit/s, within 15% of $LIMIT"
	within "$from" 10 15; check $? "shaped TCP from the guest: $from Mbit/s, within 15% of $LIMIT"

	$DX "$DRV" apply $VIF both 40mbit "$TMP/state" > "$TMP/apply2" 2>&1
	check $? "change the throttle in place to 40mbit"
	to=$(mbps); from=$(mbps -R)
	within "$to" 40 15; check $? "re-shaped TCP to the guest: $to Mbit/s, within 15% of 40mbit"
	within "$from" 40 15; check $? "re-shaped TCP from the guest: $from Mbit/s, within 15% of 40mbit"

	$DX "$DRV" undo $VIF both "$TMP/state" > "$TMP/undo" 2>&1
	check $? "lift the throttle"
	! $DX ip link show ifb-$VIF >/dev/null 2>&1 && [ -z "$($DX tc qdisc show dev $VIF ingress)" ] &&
		$DX tc qdisc show dev $VIF | grep -q '^qdisc noqueue 0: root'
	check $? "undo removed the ifb and ingress qdisc and gave back the default root qdisc"
	to=$(mbps); from=$(mbps -R)
	above "$to" 200 && above "$from" 200
	check $? "full speed after undo: to the guest $to, from the guest $from Mbit/s (limit was 10)"
	rm -f "$TMP/state"
}

# restore_case NAME TC-ARGS...: a pre-existing root qdisc is put back exactly.
restore_case() {
	name=$1; shift
	if [ "$#" -gt 0 ]; then
		$DX tc qdisc replace dev $VIF root "$@" 2>"$TMP/tcerr" || {
			echo "  skip $name: this kernel refuses it ($(cat "$TMP/tcerr"))"; return; }
	fi
	$DX tc -j -d qdisc show dev $VIF > "$TMP/before"
	rm -f "$TMP/state"
	$DX "$DRV" apply $VIF both 20mbit "$TMP/state" > "$TMP/apply" 2>&1 &&
		grep -q '^root=tbf root_handle=d070000' "$TMP/apply" &&
		$DX "$DRV" undo $VIF both "$TMP/state" > /dev/null 2>&1
	r=$?
	$DX tc -j -d qdisc show dev $VIF > "$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" && [ $r -eq 0 ] && ! $DX ip link show ifb-$VIF >/dev/null 2>&1
	check $? "pre-existing $name restored exactly by undo (tc -j qdisc show before = after)"
	[ "$#" -gt 0 ] && $DX tc qdisc del dev $VIF root 2>/dev/null
	rm -f "$TMP/state"
}

test_restore() {
	restore_case "default noqueue"
	restore_case "tbf 5:" handle 5: tbf rate 100mbit burst 64kb latency 30ms
	restore_case "tbf with peakrate" handle 9: tbf rate 3gbit burst 1mb peakrate 4gbit mtu 2000 limit 3000000
	restore_case "bfifo 6:" handle 6: bfifo limit 30000
	restore_case "pfifo_fast 7:" handle 7: pfifo_fast
	restore_case "htb 8: without classes" handle 8: htb default 10 r2q 5
	restore_case "fq_codel 3:" handle 3: fq_codel limit 1234 flows 512

	# refusals leave everything as it was
	$DX tc qdisc replace dev $VIF root handle 1: htb default 10 &&
		$DX tc class add dev $VIF parent 1: classid 1:10 htb rate 5mbit
	$DX tc -j qdisc show dev $VIF > "$TMP/before"
	$DX "$DRV" apply $VIF both 20mbit "$TMP/state" > "$TMP/out" 2>&1
	r=$?
	$DX tc -j qdisc show dev $VIF > "$TMP/after"
	[ $r -ne 0 ] && cmp -s "$TMP/before" "$TMP/after" && grep -q "classes" "$TMP/out"
	check $? "htb with classes refused, nothing changed: $(sed 's/^net_drv: apply: //' "$TMP/out")"
	$DX tc qdisc del dev $VIF root
	$DX tc qdisc add dev $VIF ingress
	$DX tc -j qdisc show dev $VIF > "$TMP/before"
	$DX "$DRV" apply $VIF both 20mbit "$TMP/state" > "$TMP/out" 2>&1
	r=$?
	$DX tc -j qdisc show dev $VIF > "$TMP/after"
	[ $r -ne 0 ] && cmp -s "$TMP/before" "$TMP/after" && ! $DX ip link show ifb-$VIF >/dev/null 2>&1
	check $? "foreign ingress qdisc refused, nothing changed: $(sed 's/^net_drv: apply: //' "$TMP/out")"
	$DX tc qdisc del dev $VIF ingress
	rm -f "$TMP/state"

	# the saved state lost (domtop restarted): undo still cleans up
	$DX "$DRV" apply $VIF both 20mbit "$TMP/state" > /dev/null 2>&1 &&
		$DX "$DRV" undo $VIF both - > /dev/null 2>&1 &&
		! $DX ip link show ifb-$VIF >/dev/null 2>&1 && [ -z "$($DX tc qdisc show dev $VIF ingress)" ] &&
		$DX tc qdisc show dev $VIF | grep -q '^qdisc noqueue 0: root'
	check $? "undo without the saved state removes everything domtop made"
	rm -f "$TMP/state"
}

# A vif that vanishes while throttled (guest reboot) and comes back.
test_vif_lifecycle() {
	netns_link "$D" "$G" "$VIF2" eth1 || { bad "cannot make $VIF2"; return; }
	rm -f "$TMP/state2"
	$DX "$DRV" apply $VIF2 both 5mbit "$TMP/state2" > /dev/null 2>&1
	check $? "throttle $VIF2"
	ip -n "$D" link del "$VIF2"
	$DX ip link show ifb-$VIF2 >/dev/null 2>&1
	check $? "the kernel keeps ifb-$VIF2 after $VIF2 is deleted (why undo must clean it)"
	netns_link "$D" "$G" "$VIF2" eth1
	rm -f "$TMP/state2"
	$DX "$DRV" apply $VIF2 both 6mbit "$TMP/state2" > "$TMP/apply" 2>&1 &&
		grep -q '^from_guest=on from_guest_rate=6000000 ' "$TMP/apply" &&
		grep -q '^to_guest=on to_guest_rate=6000000 ' "$TMP/apply"
	check $? "throttle re-applied to a re-created $VIF2 (stale ifb replaced)"
	ip -n "$D" link del "$VIF2"
	$DX "$DRV" undo $VIF2 both "$TMP/state2" > /dev/null 2>&1 && ! $DX ip link show ifb-$VIF2 >/dev/null 2>&1
	check $? "undo on a vanished $VIF2 deletes its ifb"
}

# ---- flows ----

test_flows() {
	$DX "$SEND" sink $HOST 14 5001 5002 5003 & echo $! > "$TMP/sink.pid"
	$DX "$DRV" flows $VIF 9 > "$TMP/flows" 2>&1 & cap=$!
	sleep 0.5
	senders=""
	for pr in "5001 100" "5002 200" "5003 400"; do
		set -- $pr
		$GX "$SEND" udp $HOST "$1" "$2" 200 11 > /dev/null & senders="$senders $!"
	done
	wait $cap
	check $? "capture on $VIF for 9 s"
	wait $senders
	for pr in "5001 100" "5002 200" "5003 400"; do
		set -- $pr
		line=$(grep "^flow=$HOST port=$1 proto=udp " "$TMP/flows")
		pps=$(echo "$line" | tr ' ' '\n' | grep '^pps2=' | cut -d= -f2)
		bps=$(echo "$line" | tr ' ' '\n' | grep '^bps10=' | cut -d= -f2)
		want_bps=$(( $2 * 228 * 8 ))
		[ -n "$line" ] && within "${pps:-0}" "$2" 10 && within "${bps:-0}" "$want_bps" 10
		check $? "flow udp $HOST:$1 listed at ${pps:-?} packets/s (sent $2), ${bps:-?} bit/s over 10 s (sent $want_bps)"
	done
	top3=$(grep '^flow=' "$TMP/flows" | head -3 | sed 's/ .*//;s/flow=//' | sort -u)
	[ "$top3" = "$HOST" ] && [ "$(grep '^flow=' "$TMP/flows" | head -3 | cut -d' ' -f2 | tr '\n' ' ')" = "port=5003 port=5002 port=5001 " ]
	check $? "the three generated flows are the top three, in rate order" ||
		grep '^flow=' "$TMP/flows" | cut -d' ' -f1-5 | sed 's/^/  /'
	grep -q '^hints=none' "$TMP/flows"
	check $? "no abuse hint for plain UDP at 700 packets/s"
	kill "$(cat "$TMP/sink.pid")" 2>/dev/null; rm -f "$TMP/sink.pid"

	$DX "$DRV" flows $VIF 5 > "$TMP/hints" 2>&1 & cap=$!
	sleep 0.5
	$GX "$SEND" scan 198.19.1.0/24 250 > /dev/null
	$GX "$SEND" smtp $HOST 3 > /dev/null
	wait $cap
	grep '^hints=' "$TMP/hints" | grep -q 'fanout,' && grep '^hints=' "$TMP/hints" | grep -q 'smtp,' &&
		! grep '^hints=' "$TMP/hints" | grep -q 'flood,'
	check $? "abuse hints for a scan of 250 hosts and SMTP: $(grep '^hints=' "$TMP/hints")"
}

# flow_field FILE ADDR PORT KEY: KEY of the flow listed with remote end ADDR:PORT (udp)
flow_field() {
	grep "^flow=$2 port=$3 proto=udp " "$1" | head -1 | tr ' ' '\n' | grep "^$4=" | cut -d= -f2
}

# Traffic both ways at known rates, from and to known ports: each flow is
# listed once, in its own direction, with the remote end as the guest sees
# it (the sender's address and port for traffic to the guest, the receiver's
# for traffic from it) and the guest's port beside it.
test_flows_both_ways() {
	$GX "$SEND" sink $GUEST 14 6001 & echo $! > "$TMP/gsink.pid"
	$DX "$SEND" sink $REMOTE_RX 14 6002 & echo $! > "$TMP/dsink.pid"
	$DX "$DRV" flows $VIF 9 > "$TMP/both" 2>&1 & cap=$!
	sleep 0.5
	$DX "$SEND" udp $GUEST 6001 100 200 11 $REMOTE_TX:7001 > /dev/null & s1=$!
	$GX "$SEND" udp $REMOTE_RX 6002 200 200 11 $GUEST:7002 > /dev/null & s2=$!
	wait $cap
	check $? "capture on $VIF for 9 s, UDP both ways"
	wait $s1 $s2
	kill "$(cat "$TMP/gsink.pid")" "$(cat "$TMP/dsink.pid")" 2>/dev/null; rm -f "$TMP/gsink.pid" "$TMP/dsink.pid"
	bytes=228    # IP length: 20 + 8 + 200
	# dom0 -> guest: 100/s from 198.18.9.1:7001 to the guest's port 6001
	f=$TMP/both a=$REMOTE_TX p=7001
	in=$(flow_field $f $a $p in_pps2) out=$(flow_field $f $a $p out_pps2)
	bin=$(flow_field $f $a $p in_bps10) lp=$(flow_field $f $a $p local_port)
	[ -n "$in" ] && within "$in" 100 10 && [ "$out" = 0.0 ] && within "${bin:-0}" $((100 * bytes * 8)) 10 &&
		[ "$lp" = 6001 ]
	check $? "to the guest: flow $a:$p udp listed IN at ${in:-?} packets/s (sent 100), OUT ${out:-?}, ${bin:-?} bit/s IN over 10 s (sent $((100 * bytes * 8))), guest port ${lp:-?} (6001)"
	# guest -> dom0: 200/s from the guest's port 7002 to 198.18.9.2:6002
	a=$REMOTE_RX p=6002
	in=$(flow_field $f $a $p in_pps2) out=$(flow_field $f $a $p out_pps2)
	bout=$(flow_field $f $a $p out_bps10) lp=$(flow_field $f $a $p local_port)
	[ -n "$out" ] && within "$out" 200 10 && [ "$in" = 0.0 ] && within "${bout:-0}" $((200 * bytes * 8)) 10 &&
		[ "$lp" = 7002 ]
	check $? "from the guest: flow $a:$p udp listed OUT at ${out:-?} packets/s (sent 200), IN ${in:-?}, ${bout:-?} bit/s OUT over 10 s (sent $((200 * bytes * 8))), guest port ${lp:-?} (7002)"
	! grep -q "^flow=$GUEST " "$f" && [ "$(grep -c '^flow=' "$f")" = 2 ]
	check $? "exactly these two flows, and none with the guest itself as the remote end: $(grep '^flow=' "$f" | cut -d' ' -f1-3 | tr '\n' ' ')"
	set -- $(grep '^totals ' "$f" | tr ' ' '\n' | grep -E '^(in|out)_pps2=' | cut -d= -f2)
	[ $# = 2 ] && within "$1" 100 10 && within "$2" 200 10
	check $? "totals: ${1:-?} packets/s to the guest (sent 100), ${2:-?} from it (sent 200)"
}

# The vif of an open capture is deleted (the guest shut down): the capture says so.
test_capture_vanishes() {
	netns_link "$D" "$G" "$VIF2" eth1 || { bad "cannot make $VIF2"; return; }
	$DX "$DRV" flows $VIF2 6 > "$TMP/gone" 2>&1 & cap=$!
	sleep 1
	ip -n "$D" link del "$VIF2"
	wait $cap
	r=$?
	[ $r -ne 0 ] && grep -q "capture on $VIF2 stopped: " "$TMP/gone"
	check $? "a capture whose vif is deleted stops and says why: $(grep 'stopped' "$TMP/gone" | sed 's/^net_drv: read: //')"
}

test_flood() {
	for mem in 33554432 4194304; do
		$DX "$DRV" flows $VIF 8 $mem 3 > "$TMP/flood" 2>&1 & cap=$!
		sleep 0.5
		$GX "$SEND" spoof 198.19.0.0/16 198.19.0.0/16 1500000 6 > "$TMP/sent"
		wait $cap
		growth=$(field "$TMP/flood" rss_growth_kb)
		evicted=$(field "$TMP/flood" evicted)
		captured=$(field "$TMP/flood" captured)
		drops=$(field "$TMP/flood" kernel_drops)
		[ -n "$growth" ] && [ "$growth" -lt $((mem / 1024)) ] && [ "${evicted:-0}" -gt 0 ] &&
			grep -q 'summarising=1' "$TMP/flood"
		check $? "spoofed flood ($(sed 's/sent=//;s/ .*//' "$TMP/sent") packets, $(sed 's/.*pps=//' "$TMP/sent") pps): memory grew ${growth:-?} KiB, under the bound of $((mem / 1024)) KiB; summarising; captured $captured, kernel drops $drops"
	done
}

if ! setup; then
	bad "setup of $G and $VIF"
	exit 1
fi
test_counters
test_events
test_shaping
test_restore
test_vif_lifecycle
test_flows
test_flows_both_ways
test_capture_vanishes
test_flood
finish
[ "$fail" -eq 0 ]

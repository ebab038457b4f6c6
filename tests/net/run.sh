#!/bin/sh
# tests/net/run.sh: integration tests of backend/netstats, shape and flows on
# real interfaces. Needs root, ip, tc, iperf3 and python3.
#
#   tests/net/run.sh DIR      DIR holds net_drv and net_send built from tests/net/*.c
#
# It makes a guest namespace dtnet-g<pid> and a veth pair: vif7.0 in this
# namespace (dom0's side), eth0 in the guest's, with 198.18.7.1/24 and
# 198.18.7.2/24 (the benchmarking range, which exists only on these veths).
# Traffic flows only between the two ends; replies to the flood's spoofed
# sources (198.19.0.0/16) are routed back into the veth. Every namespace,
# veth, ifb and qdisc made here is removed on exit, also on failure or ^C.
# Ends with "net: N passed, N failed"; exit status 0 only when none failed.

set -u
BIN=${1:?usage: tests/net/run.sh DIR-with-net_drv-and-net_send}
DRV=$(cd "$BIN" && pwd)/net_drv
SEND=$(cd "$BIN" && pwd)/net_send
VIF=vif7.0
HOST=198.18.7.1
GUEST=198.18.7.2
G=dtnet-g$$
EVNS=dtnet-ev$$
LIMIT=10mbit
LIMIT_BPS=10000000
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check CONDITION-EXIT-STATUS MESSAGE
	if [ "$1" -eq 0 ]; then ok "$2"; else bad "$2"; fi
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
if ip link show "$VIF" >/dev/null 2>&1 || ip link show ifb-$VIF >/dev/null 2>&1 ||
   ip link show "$VIF2" >/dev/null 2>&1 || ip link show ifb-$VIF2 >/dev/null 2>&1; then
	echo "net: $VIF, $VIF2 or their ifb-* already exist here; not touching interfaces this test did not make"
	finish
	exit 1
fi

TMP=$(mktemp -d /tmp/dtnet.XXXXXX)
made_veth=0

cleanup() {
	for f in "$TMP"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$made_veth" = 1 ]; then
		ip link del "$VIF" 2>/dev/null      # also deletes its peer and the qdiscs on it
		ip link del "ifb-$VIF" 2>/dev/null
		ip link del "$VIF2" 2>/dev/null
		ip link del "ifb-$VIF2" 2>/dev/null
	fi
	ip netns del "$G" 2>/dev/null
	ip netns del "$EVNS" 2>/dev/null
	rm -rf "$TMP"
	left=$(ip -br link 2>/dev/null | grep -E "^($VIF|ifb-$VIF|$VIF2|ifb-$VIF2)[ @]"; ip netns list | grep -E "^($G|$EVNS)( |$)")
	[ -n "$left" ] && echo "net: cleanup left behind: $left"
}
trap 'rc=$?; cleanup; [ "$finished" = 1 ] || finish; exit $rc' EXIT
trap 'echo "net: interrupted"; fail=$((fail + 1)); exit 130' INT TERM HUP

GX="ip netns exec $G"

setup() {
	ip netns add "$G" || return 1
	ip link add "$VIF" type veth peer name eth0 netns "$G" || return 1
	made_veth=1
	echo 1 > /proc/sys/net/ipv6/conf/$VIF/disable_ipv6
	$GX sh -c 'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6;
	           echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6;
	           echo 0 > /proc/sys/net/ipv4/ip_forward' || return 1
	ip addr add $HOST/24 dev "$VIF" && ip link set "$VIF" up || return 1
	ip -n "$G" addr add $GUEST/24 dev eth0 && ip -n "$G" link set eth0 up &&
		ip -n "$G" link set lo up || return 1
	# the flood's and the scan's addresses: to dom0 through the veth, and back
	ip -n "$G" route add 198.19.0.0/16 via $HOST || return 1
	ip route add 198.19.0.0/16 dev "$VIF" || return 1
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
	timeout 20 iperf3 -c $GUEST -t 1 >/dev/null 2>&1
	timeout 20 iperf3 -c $GUEST -t 1 -R >/dev/null 2>&1
	$GX "$SEND" udp $HOST 9 2000 100 1 >/dev/null
	sleep 0.5
	for side in host guest; do
		if [ $side = host ]; then p="" i=$VIF; else p=$GX i=eth0; fi
		n=0
		until compare_stats "$p" $i; do   # a late ARP probe may land in between: retry
			n=$((n + 1)); [ $n -ge 3 ] && break; sleep 1
		done
		check $((n >= 3)) "counters of $i ($side side) equal the kernel's (ip -s -j link)"
	done
	# sysfs, the other view of the same counters
	set -- $("$DRV" stats $VIF | tr ' ' '\n' | grep -E '^(rx|tx)_(bytes|packets)=' | cut -d= -f2)
	[ "$1 $2 $3 $4" = "$(cat /sys/class/net/$VIF/statistics/rx_bytes /sys/class/net/$VIF/statistics/rx_packets /sys/class/net/$VIF/statistics/tx_bytes /sys/class/net/$VIF/statistics/tx_packets | tr '\n' ' ' | sed 's/ $//')" ]
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
	timeout 30 iperf3 -c $GUEST -t 5 -O 1 -J "$@" > "$TMP/iperf.json" 2>/dev/null
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
	"$DRV" apply $VIF both $LIMIT "$TMP/state" > "$TMP/apply" 2>&1
	check $? "throttle $VIF both ways to $LIMIT through libnl"
	grep -q "to_guest=on to_guest_rate=$LIMIT_BPS " "$TMP/apply" && grep -q "from_guest=on from_guest_rate=$LIMIT_BPS " "$TMP/apply"
	check $? "throttle read back from the kernel: $(grep -o 'to_guest_rate_text=[^ ]*\|from_guest_rate_text=[^ ]*' "$TMP/apply" | tr '\n' ' ')"
	tc qdisc show dev $VIF | grep -q 'tbf d07: root' && tc qdisc show dev $VIF ingress | grep -q ingress &&
		tc filter show dev $VIF ingress | grep -q "Egress Redirect to device ifb-$VIF" &&
		tc qdisc show dev ifb-$VIF | grep -q 'tbf d07: root'
	check $? "tc sees tbf on $VIF, ingress + u32 + mirred to ifb-$VIF, tbf on ifb-$VIF"
	to=$(mbps); from=$(mbps -R)
	within "$to" 10 15; check $? "shaped TCP to the guest: $to Mbit/s, within 15% of $LIMIT"
	within "$from" 10 15; check $? "shaped TCP from the guest: $from Mbit/s, within 15% of $LIMIT"

	"$DRV" apply $VIF both 40mbit "$TMP/state" > "$TMP/apply2" 2>&1
	check $? "change the throttle in place to 40mbit"
	to=$(mbps); from=$(mbps -R)
	within "$to" 40 15; check $? "re-shaped TCP to the guest: $to Mbit/s, within 15% of 40mbit"
	within "$from" 40 15; check $? "re-shaped TCP from the guest: $from Mbit/s, within 15% of 40mbit"

	"$DRV" undo $VIF both "$TMP/state" > "$TMP/undo" 2>&1
	check $? "lift the throttle"
	! ip link show ifb-$VIF >/dev/null 2>&1 && [ -z "$(tc qdisc show dev $VIF ingress)" ] &&
		tc qdisc show dev $VIF | grep -q '^qdisc noqueue 0: root'
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
		tc qdisc replace dev $VIF root "$@" 2>"$TMP/tcerr" || {
			echo "  skip $name: this kernel refuses it ($(cat "$TMP/tcerr"))"; return; }
	fi
	tc -j -d qdisc show dev $VIF > "$TMP/before"
	rm -f "$TMP/state"
	"$DRV" apply $VIF both 20mbit "$TMP/state" > "$TMP/apply" 2>&1 &&
		grep -q '^root=tbf root_handle=d070000' "$TMP/apply" &&
		"$DRV" undo $VIF both "$TMP/state" > /dev/null 2>&1
	r=$?
	tc -j -d qdisc show dev $VIF > "$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" && [ $r -eq 0 ] && ! ip link show ifb-$VIF >/dev/null 2>&1
	check $? "pre-existing $name restored exactly by undo (tc -j qdisc show before = after)"
	[ "$#" -gt 0 ] && tc qdisc del dev $VIF root 2>/dev/null
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
	tc qdisc replace dev $VIF root handle 1: htb default 10 &&
		tc class add dev $VIF parent 1: classid 1:10 htb rate 5mbit
	tc -j qdisc show dev $VIF > "$TMP/before"
	"$DRV" apply $VIF both 20mbit "$TMP/state" > "$TMP/out" 2>&1
	r=$?
	tc -j qdisc show dev $VIF > "$TMP/after"
	[ $r -ne 0 ] && cmp -s "$TMP/before" "$TMP/after" && grep -q "classes" "$TMP/out"
	check $? "htb with classes refused, nothing changed: $(sed 's/^net_drv: apply: //' "$TMP/out")"
	tc qdisc del dev $VIF root
	tc qdisc add dev $VIF ingress
	tc -j qdisc show dev $VIF > "$TMP/before"
	"$DRV" apply $VIF both 20mbit "$TMP/state" > "$TMP/out" 2>&1
	r=$?
	tc -j qdisc show dev $VIF > "$TMP/after"
	[ $r -ne 0 ] && cmp -s "$TMP/before" "$TMP/after" && ! ip link show ifb-$VIF >/dev/null 2>&1
	check $? "foreign ingress qdisc refused, nothing changed: $(sed 's/^net_drv: apply: //' "$TMP/out")"
	tc qdisc del dev $VIF ingress
	rm -f "$TMP/state"

	# the saved state lost (domtop restarted): undo still cleans up
	"$DRV" apply $VIF both 20mbit "$TMP/state" > /dev/null 2>&1 &&
		"$DRV" undo $VIF both - > /dev/null 2>&1 &&
		! ip link show ifb-$VIF >/dev/null 2>&1 && [ -z "$(tc qdisc show dev $VIF ingress)" ] &&
		tc qdisc show dev $VIF | grep -q '^qdisc noqueue 0: root'
	check $? "undo without the saved state removes everything domtop made"
	rm -f "$TMP/state"
}

# A vif that vanishes while throttled (guest reboot) and comes back.
test_vif_lifecycle() {
	ip link add "$VIF2" type veth peer name eth1 netns "$G" && ip link set "$VIF2" up || {
		bad "cannot make $VIF2"; return; }
	rm -f "$TMP/state2"
	"$DRV" apply $VIF2 both 5mbit "$TMP/state2" > /dev/null 2>&1
	check $? "throttle $VIF2"
	ip link del "$VIF2"
	ip link show ifb-$VIF2 >/dev/null 2>&1
	check $? "the kernel keeps ifb-$VIF2 after $VIF2 is deleted (why undo must clean it)"
	ip link add "$VIF2" type veth peer name eth1 netns "$G" && ip link set "$VIF2" up
	rm -f "$TMP/state2"
	"$DRV" apply $VIF2 both 6mbit "$TMP/state2" > "$TMP/apply" 2>&1 &&
		grep -q '^from_guest=on from_guest_rate=6000000 ' "$TMP/apply" &&
		grep -q '^to_guest=on to_guest_rate=6000000 ' "$TMP/apply"
	check $? "throttle re-applied to a re-created $VIF2 (stale ifb replaced)"
	ip link del "$VIF2"
	"$DRV" undo $VIF2 both "$TMP/state2" > /dev/null 2>&1 && ! ip link show ifb-$VIF2 >/dev/null 2>&1
	check $? "undo on a vanished $VIF2 deletes its ifb"
}

# ---- flows ----

test_flows() {
	"$SEND" sink $HOST 14 5001 5002 5003 & echo $! > "$TMP/sink.pid"
	"$DRV" flows $VIF 9 > "$TMP/flows" 2>&1 & cap=$!
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
	[ "$top3" = "$HOST" ] && [ "$(grep '^flow=' "$TMP/flows" | head -3 | grep -o 'port=[0-9]*' | tr '\n' ' ')" = "port=5003 port=5002 port=5001 " ]
	check $? "the three generated flows are the top three, in rate order"
	grep -q '^hints=none' "$TMP/flows"
	check $? "no abuse hint for plain UDP at 700 packets/s"
	kill "$(cat "$TMP/sink.pid")" 2>/dev/null; rm -f "$TMP/sink.pid"

	"$DRV" flows $VIF 5 > "$TMP/hints" 2>&1 & cap=$!
	sleep 0.5
	$GX "$SEND" scan 198.19.1.0/24 250 > /dev/null
	$GX "$SEND" smtp $HOST 3 > /dev/null
	wait $cap
	grep '^hints=' "$TMP/hints" | grep -q 'fanout,' && grep '^hints=' "$TMP/hints" | grep -q 'smtp,' &&
		! grep '^hints=' "$TMP/hints" | grep -q 'flood,'
	check $? "abuse hints for a scan of 250 hosts and SMTP: $(grep '^hints=' "$TMP/hints")"
}

test_flood() {
	for mem in 33554432 4194304; do
		"$DRV" flows $VIF 8 $mem 3 > "$TMP/flood" 2>&1 & cap=$!
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
test_flood
finish
[ "$fail" -eq 0 ]

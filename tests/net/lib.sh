# tests/net/lib.sh: the network namespaces of the tests on real interfaces,
# sourced by tests/net/run.sh, tests/net/program.sh and
# tests/bench/capture_bench.sh: dom0's namespace and the guest's, a veth pair
# between them named like a vif on dom0's side, and the removal of it all
# with the processes started in it.
# Nothing here touches the caller's namespace. Needs root and ip.

# netns_pair D G: makes the namespaces D (dom0's) and G (the guest's), each
# with lo up, IPv6 off and no forwarding.
netns_pair() {
	ip netns add "$1" && ip netns add "$2" || return 1
	for _ns in "$1" "$2"; do
		ip netns exec "$_ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6;
		    echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6; echo 0 > /proc/sys/net/ipv4/ip_forward;
		    ip link set lo up' || return 1
	done
}

# netns_veth D G VIF HOST GUEST: a veth pair, VIF in D with HOST/24 and eth0
# in G with GUEST/24, IPv6 off before either end comes up.
netns_veth() {
	ip -n "$1" link add "$3" type veth peer name eth0 netns "$2" || return 1
	ip netns exec "$1" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$3/disable_ipv6" || return 1
	ip netns exec "$2" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6' || return 1
	ip -n "$1" addr add "$4/24" dev "$3" && ip -n "$1" link set "$3" up || return 1
	ip -n "$2" addr add "$5/24" dev eth0 && ip -n "$2" link set eth0 up
}

# netns_link D G VIF PEER: a bare veth pair, VIF in D (up) and PEER in G
# (down), with no address: a vif whose guest has not configured its end.
netns_link() {
	ip -n "$1" link add "$3" type veth peer name "$4" netns "$2" && ip -n "$1" link set "$3" up
}

# kill_pidfiles DIR: ends the processes whose pids are in DIR/*.pid.
kill_pidfiles() {
	for _pidfile in "$1"/*.pid; do
		[ -f "$_pidfile" ] && kill "$(cat "$_pidfile")" 2>/dev/null
	done
	return 0
}

# netns_kill NS [SIGNAL]: signals (TERM by default) every process in NS.
netns_kill() {
	ip netns pids "$1" 2>/dev/null | xargs -r kill ${2:+-"$2"} 2>/dev/null
}

# netns_remove NS...: ends every process in the namespaces (TERM, then KILL
# for those still there), then deletes them, and with them the veths, ifb
# devices and qdiscs in them. Prints the names of those left behind.
netns_remove() {
	for _ns in "$@"; do netns_kill "$_ns"; done
	sleep 0.3
	for _ns in "$@"; do netns_kill "$_ns" KILL; done
	for _ns in "$@"; do ip netns del "$_ns" 2>/dev/null; done
	for _ns in "$@"; do
		ip netns list | grep -qE "^$_ns( |$)" && printf '%s ' "$_ns"
	done
	return 0
}

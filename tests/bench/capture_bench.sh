#!/bin/sh
# tests/bench/capture_bench.sh: domtop's flow capture beside iftop's, on a
# flood of random spoofed sources at the highest packet rate a veth carries
# here: each capturer's drop rate and peak memory, and the ratios. Needs
# root, ip, taskset, iftop (Debian's iftop) and python3 (3.9 or later).
#
#   tests/bench/capture_bench.sh DIR [SECONDS]
#       DIR holds net_drv and net_send built from tests/net/*.c;
#       SECONDS is each flood's length (default 6)
#
# domtop's capture is tests/net/net_drv's "flows" command: backend/flows.c's
# capture and flow table with the default bound (32 MiB), run through the
# event loop as domtop's flow view runs them. iftop runs in text mode
# (iftop -t -s N -n -N -P -B -i vif7.0), under a 4 GiB address-space limit.
#
# Everything happens in two network namespaces made here: dom0's,
# dtnet-bd<pid>, with vif7.0 (198.18.7.1/24) and the capturers, and the
# guest's, dtnet-bg<pid>, with the veth's other end eth0 (198.18.7.2/24),
# where net_send floods UDP from random sources to random destinations in
# 198.19.0.0/16 (the benchmarking range) through vif7.0, as fast as it can,
# on CPU 0; dom0 neither forwards nor answers them. Three runs: the flood
# alone, to find the rate the veth carries; with domtop capturing; with
# domtop and iftop capturing the same flood, both on CPU 1.
#
# The figures: "arrived" is what the kernel counted in on vif7.0
# (rx_packets) during the flood. A capturer's drop rate is its socket's
# kernel count of packets that found its ring full (what pcap_stats calls
# ps_drop) over the packets its filter took, read from each capturer's
# socket the same way (PACKET_STATISTICS on a copy of its fd, pidfd_getfd)
# a second after the flood. domtop also says how many it parsed. iftop
# prints its totals only on a packet after its time is up; a trickle of 5
# packets/s follows the flood for up to 30 s, and iftop is reported as
# not finished if it has not printed by then. Peak memory is VmHWM.
# Every namespace and process made here is removed on exit, also on ^C.

set -u
. "$(dirname "$0")/../net/lib.sh"
BIN=${1:?usage: tests/bench/capture_bench.sh DIR-with-net_drv-and-net_send [SECONDS]}
FLOOD_S=${2:-6}
DRV=$(cd "$BIN" && pwd)/net_drv
SEND=$(cd "$BIN" && pwd)/net_send
VIF=vif7.0
HOST=198.18.7.1
GUEST=198.18.7.2
NET=198.19.0.0/16
D=dtnet-bd$$
G=dtnet-bg$$
DX="ip netns exec $D"
GX="ip netns exec $G"
MEM=33554432

die() { echo "capture_bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "capture_bench: needs root (namespaces, captures)"; exit 77; }
for tool in ip iftop python3 taskset "$DRV" "$SEND"; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "capture_bench: missing $tool (apt-get install -y iftop; build the net drivers first)"
		exit 77; }
done
case $FLOOD_S in
''|*[!0-9]*) die "SECONDS must be a whole number" ;;
esac
[ "$FLOOD_S" -ge 2 ] && [ "$FLOOD_S" -le 30 ] || die "SECONDS must be 2..30"
[ "$(nproc)" -ge 2 ] || die "needs two CPUs (the flood on one, the capturers on the other)"

TMP=$(mktemp -d /tmp/dtbench.XXXXXX)
cleanup() {
	left=$(netns_remove "$G" "$D")
	rm -rf "$TMP"
	if [ -n "$left" ]; then echo "capture_bench: cleanup left behind: $left"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

setup() {
	netns_pair "$D" "$G" && netns_veth "$D" "$G" "$VIF" $HOST $GUEST || return 1
	ip -n "$G" route add $NET via $HOST || return 1
	$GX "$SEND" udp $HOST 9 10 0 0.3 > /dev/null    # the guest learns dom0's MAC
}

# The kernel's counters of a process's packet sockets: "PACKETS DROPS" (summed).
cat > "$TMP/sockstats.py" <<'PYEOF'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_getfd, SOL_PACKET, PACKET_STATISTICS = 438, 263, 6
pid = int(sys.argv[1])
inodes = {l.split()[8] for l in open("/proc/%d/net/packet" % pid).read().splitlines()[1:]}
pidfd = os.pidfd_open(pid)
packets = drops = 0
for fd in os.listdir("/proc/%d/fd" % pid):
    try:
        link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
    except OSError:
        continue
    if not (link.startswith("socket:[") and link[8:-1] in inodes):
        continue
    mine = libc.syscall(SYS_pidfd_getfd, pidfd, int(fd), 0)
    if mine < 0:
        sys.exit("pidfd_getfd: " + os.strerror(ctypes.get_errno()))
    buf, n = ctypes.create_string_buffer(12), ctypes.c_uint32(12)
    if libc.getsockopt(mine, SOL_PACKET, PACKET_STATISTICS, buf, ctypes.byref(n)) < 0:
        sys.exit("PACKET_STATISTICS: " + os.strerror(ctypes.get_errno()))
    p, d, _ = struct.unpack("III", buf.raw)   # tp_packets counts the drops too
    packets, drops = packets + p, drops + d
    os.close(mine)
print(packets, drops)
PYEOF

rx_packets() { $DX cat /sys/class/net/$VIF/statistics/rx_packets; }
now() { python3 -c 'import time; print("%.6f" % time.monotonic())'; }

# flood SECONDS: the flood from the guest, on CPU 0; prints "PACKETS-ARRIVED SECONDS"
flood() {
	r0=$(rx_packets) t0=$(now)
	$GX taskset -c 0 "$SEND" spoof $NET $NET 5000000 "$1" > "$TMP/sent" || return 1
	r1=$(rx_packets) t1=$(now)
	echo "$((r1 - r0)) $(python3 -c "print($t1 - $t0)")"
}

# peak PID FILE: VmHWM (peak resident memory, KiB) of PID, into FILE until it exits
peak() {
	while kill -0 "$1" 2>/dev/null; do
		v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/"$1"/status 2>/dev/null)
		[ -n "$v" ] && echo "$v" > "$2"
		sleep 0.2
	done
}

start_domtop() {
	$DX taskset -c 1 "$DRV" flows $VIF $((FLOOD_S + 5)) $MEM 3 > "$TMP/$1" 2> "$TMP/$1.err" & dpid=$!
	peak $dpid "$TMP/$1.hwm" &
}

# run NAME WITH-IFTOP: one flood with the capturers on; writes $TMP/NAME.*
run() {
	start_domtop "$1"
	if [ "$2" = 1 ]; then
		$DX taskset -c 1 sh -c "ulimit -v 4194304; exec iftop -t -s $((FLOOD_S + 3)) -n -N -P -B -L 3 -i $VIF" \
			> "$TMP/iftop" 2> "$TMP/iftop.err" & ipid=$!
		peak $ipid "$TMP/iftop.hwm" &
	fi
	sleep 1
	out=$(flood "$FLOOD_S") || die "the flood failed: $(cat "$TMP/sent")"
	echo "$out" > "$TMP/$1.arrived"
	cp "$TMP/sent" "$TMP/$1.sent"
	sleep 1
	python3 "$TMP/sockstats.py" $dpid > "$TMP/$1.sock" || die "cannot read domtop's socket counters"
	if [ "$2" = 1 ]; then
		python3 "$TMP/sockstats.py" $ipid > "$TMP/iftop.sock" || die "cannot read iftop's socket counters"
		n=0
		while kill -0 $ipid 2>/dev/null && [ $n -lt 150 ]; do
			$GX "$SEND" udp $HOST 9 5 0 0.2 > /dev/null 2>&1
			n=$((n + 1))
		done
		kill $ipid 2>/dev/null
	fi
	wait $dpid
	wait
}

setup || die "cannot set up $D, $G and $VIF"
out=$(flood 3) || die "the flood failed: $(cat "$TMP/sent")"
echo "$out" > "$TMP/alone.arrived"
run solo 0
run both 1

python3 - "$TMP" "$MEM" <<'PYEOF'
import re, sys
tmp, mem = sys.argv[1], int(sys.argv[2])

def read(name):
    try:
        return open("%s/%s" % (tmp, name)).read()
    except OSError:
        return ""

def nums(name):
    return [float(x) for x in read(name).split()]

def rate(name):
    n, s = nums(name + ".arrived")
    return n, s, n / s

def mib(name):
    return int(read(name + ".hwm").strip() or 0) / 1024

def capturer(label, name, parsed=None):
    packets, drops = nums(name + ".sock")
    line = "  %-24s %8.2f%%   %7.1f MiB" % (label, 100 * drops / packets if packets else 0, mib(name))
    if parsed is not None:
        line += "   parsed %d of %d arrived" % (parsed, arrived)
    print(line)
    return drops / packets if packets else 0

def parsed(name):
    d = dict(kv.split("=", 1) for kv in read(name).split() if "=" in kv)
    return int(d.get("parsed", 0))

_, _, alone = rate("alone")
print("capture bench: UDP from random spoofed sources to random destinations (198.19.0.0/16),")
print("64-byte frames, into a veth (vif7.0), sender on CPU 0, capturers on CPU 1")
print("  the veth alone carries %.0f packets/s" % alone)
arrived, secs, pps = rate("solo")
print("  domtop capturing: %.0f packets/s arrived (%d in %.1f s)" % (pps, arrived, secs))
print("  %-24s %9s   %11s" % ("", "drop rate", "peak memory"))
capturer("domtop alone", "solo", parsed("solo"))
arrived, secs, pps = rate("both")
print("  domtop and iftop capturing the same flood: %.0f packets/s arrived (%d in %.1f s)"
      % (pps, arrived, secs))
d = capturer("domtop beside iftop", "both", parsed("both"))
i = capturer("iftop beside domtop", "iftop")
m = re.search(r"^Cumulative \(sent/received/total\):\s+(\S+)\s+(\S+)", read("iftop"), re.M)
if m:
    print("  iftop printed its totals: %s received" % m.group(2))
else:
    print("  iftop did not print its totals within 30 s after the flood (still working through it)")
print("  ratio of drop rates, iftop / domtop: %s" % ("%.1f" % (i / d) if d > 0 else
      "domtop dropped nothing, iftop %.2f%%" % (100 * i)))
print("  ratio of peak memory, iftop / domtop: %.2f (domtop's bound: %d MiB)"
      % (mib("iftop") / mib("both") if mib("both") else 0, mem >> 20))
PYEOF

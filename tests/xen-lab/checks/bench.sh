#!/bin/sh
# Xen lab benchmark (runs in dom0): CPU time per refresh of domtop and of `xentop -b` for the
# same domains, and their ratio, measured in one run.
#
# Each round runs `domtop -b -d 1` and `xentop -b -d 1` side by side, for 1 + BENCH_N
# refreshes (default 30), so both see the same machine: under TCG emulation the speed of the
# emulated CPUs varies by a factor of 2-3 from one minute to the next with the host's load and
# with what the guests do, which made tools run one after the other disagree by that much.
# The CPU time of a tool is its utime + stime: read from /proc/<pid>/stat (fields 14, 15) as
# soon as its first refresh is printed (start-up plus one refresh), and at its exit from the
# cutime + cstime of the shell that waited for it (fields 16, 17; less what that shell's
# polling for the first refresh used). The cost of one refresh is
# the difference over the BENCH_N later refreshes, so start-up is not in it; it is printed
# apart. Times are in clock ticks of 10 ms (USER_HZ).
#
# BENCH_N, BENCH_ROUNDS and BENCH_DOMTOP (the domtop binary) may be set in the environment.
# Prints "bench-xen: ..." lines and PASS/FAIL (each run exits 0 and prints every refresh with
# every domain), then "xen-lab: N passed, N failed".
. /lab/lib.sh
. /lab/env

N=${BENCH_N:-30}
ROUNDS=${BENCH_ROUNDS:-3}
DOMTOP=${BENCH_DOMTOP:-domtop}   # another build to compare (run.sh --add it)
OUT=/tmp/bench-xen
HZ=100
mkdir -p "$OUT"

# cpu_run OUTFILE HEADER CMD...: runs CMD with its output in OUTFILE; prints "FIRST TOTAL RC":
# its CPU ticks when its first frame (a line matching HEADER) was out, at its exit, and its
# exit status.
cpu_run() {
    sh -c 'o=$1; pat=$2; shift 2
        "$@" >"$o" 2>&1 &
        pid=$! first=x
        while kill -0 $pid 2>/dev/null; do
            if grep -qE "$pat" "$o" 2>/dev/null; then
                read -r l </proc/$pid/stat && set -- ${l##*) } && first=$((${12} + ${13}))
                break
            fi
            sleep 0.1
        done
        read -r l </proc/$$/stat; set -- ${l##*) }; polls=$((${14} + ${15}))
        wait $pid; rc=$?
        read -r l </proc/$$/stat; set -- ${l##*) }
        echo "$first $((${14} + ${15} - polls)) $rc"' cpu_run "$@"
}

# ms TICKS COUNT: TICKS / COUNT in ms, one decimal
ms() { v=$(($1 * 10000 / HZ / $2)); echo "$((v / 10)).$((v % 10))"; }
# ratio A B: A / B with two decimals
ratio() { q=$(($1 * 100 / $2)); echo "$((q / 100)).$(printf '%02d' $((q % 100)))"; }

# frames FILE HEADER: how many frames a run printed, and how many Domain-0 rows
frames() { echo "$(grep -cE "$2" "$1")/$(grep -c 'Domain-0' "$1")"; }

ndom=$(xl list | awk 'NR > 1' | wc -l)
echo "bench-xen: $ndom domains ($(xl list | awk 'NR > 1 { printf "%s ", $1 }')), $ROUNDS rounds of" \
     "domtop -b and xentop -b side by side, 1 + $N refreshes 1 s apart"
dt_first=0 dt_rest=0 xt_first=0 xt_rest=0 rounds="" bad=0
round=1
while [ $round -le "$ROUNDS" ]; do
    cpu_run "$OUT/domtop-$round.txt" '^ *ID +NAME' $DOMTOP -b -d 1 -i $((N + 1)) >"$OUT/dt.cpu" &
    cpu_run "$OUT/xentop-$round.txt" '^ *NAME +STATE' xentop -b -d 1 -i $((N + 1)) >"$OUT/xt.cpu"
    wait
    read -r df dt drc <"$OUT/dt.cpu"
    read -r xf xt xrc <"$OUT/xt.cpu"
    fd=$(frames "$OUT/domtop-$round.txt" '^ *ID +NAME'); fx=$(frames "$OUT/xentop-$round.txt" '^ *NAME +STATE')
    echo "bench-xen: round $round: domtop $df ticks to its first refresh, $((dt - df)) for $N more" \
         "(exit $drc, $fd frames/dom0 rows); xentop $xf and $((xt - xf)) (exit $xrc, $fx)"
    if [ "$drc/$xrc" != 0/0 ] || [ "$df" = x ] || [ "$xf" = x ] ||
       [ "$fd/$fx" != "$((N + 1))/$((N + 1))/$((N + 1))/$((N + 1))" ]; then
        bad=$((bad + 1))
    else
        dt_first=$((dt_first + df)) dt_rest=$((dt_rest + dt - df))
        xt_first=$((xt_first + xf)) xt_rest=$((xt_rest + xt - xf))
        [ $((xt - xf)) -gt 0 ] && rounds="$rounds $(ratio $((dt - df)) $((xt - xf)))"
    fi
    round=$((round + 1))
done
[ $bad = 0 ] && lab_pass "every run exited 0 and printed its $((N + 1)) refreshes with Domain-0" ||
    lab_fail "$bad of $ROUNDS rounds had a run that failed or printed too few refreshes (see $OUT)"
ok=$((ROUNDS - bad))
if [ $ok -gt 0 ] && [ $dt_rest -gt 0 ] && [ $xt_rest -gt 0 ]; then
    echo "bench-xen: domtop -b: $(ms $dt_first $ok) ms CPU to its first refresh (start-up), $(ms $dt_rest $((ok * N))) ms CPU per refresh"
    echo "bench-xen: xentop -b: $(ms $xt_first $ok) ms CPU to its first refresh (start-up), $(ms $xt_rest $((ok * N))) ms CPU per refresh"
    echo "bench-xen: CPU per refresh, domtop / xentop -b: $(ratio $dt_rest $xt_rest) (rounds:$rounds; same $ndom domains, same run)"
    lab_pass "CPU per refresh measured for both tools over $((ok * N)) refreshes"
else
    lab_fail "CPU per refresh not measurable: domtop $dt_rest, xentop $xt_rest ticks over $ok rounds"
fi
lab_summary

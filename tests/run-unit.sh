#!/bin/sh
# Runs each cmocka unit-test binary: one line per binary, the whole output of
# a binary that fails, and a closing line "unit: N passed, N failed" counting
# test cases.
pass=0; fail=0; bad=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	"$t" > "$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log")
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log")
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		bad=$((bad + 1))
		[ -n "$f" ] || fail=$((fail + 1))   # crashed before cmocka could count
		cat "$log"
		echo "FAILED: $(basename "$t") (exit $rc)"
	else
		echo "ok: $(basename "$t"): ${p:-0} tests"
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$bad" -eq 0 ]

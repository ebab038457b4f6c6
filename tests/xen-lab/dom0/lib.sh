# Xen lab helpers for check scripts run in dom0 (source /lab/lib.sh). POSIX sh (busybox ash).
#   lab_pass MSG / lab_fail MSG   print "PASS: MSG" / "FAIL: MSG" and count it
#   lab_check MSG CMD...          run CMD; PASS if it exits 0, else FAIL with its output
#   lab_summary                   print "xen-lab: N passed, N failed"; returns 1 if any failed
#   lab_export NAME FILE          print FILE base64-encoded between markers; run.sh on the host
#                                 writes it to tests/xen-lab/work/files/NAME
# Environment set by /init (also in /lab/env): LAB_BRIDGE, LAB_DOM0_IP, LAB_GUESTS,
# LAB_GUEST_CPU, LAB_GUEST_NET, LAB_GUEST_CPU_IP, LAB_GUEST_NET_IP, LAB_GUEST_CPU_DOMID,
# LAB_GUEST_NET_DOMID, LAB_SCHED.

LAB_PASSED=0
LAB_FAILED=0

lab_pass() { LAB_PASSED=$((LAB_PASSED + 1)); echo "PASS: $*"; }
lab_fail() { LAB_FAILED=$((LAB_FAILED + 1)); echo "FAIL: $*"; }

lab_check() {
    _msg=$1; shift
    if _out=$("$@" 2>&1); then
        lab_pass "$_msg"
    else
        lab_fail "$_msg (exit $?): $(echo "$_out" | tail -n 3 | tr '\n' ' ')"
    fi
}

lab_summary() {
    echo "xen-lab: $LAB_PASSED passed, $LAB_FAILED failed"
    [ "$LAB_FAILED" -eq 0 ]
}

lab_export() {
    if [ ! -r "$2" ]; then
        lab_fail "lab_export: cannot read $2"
        return 1
    fi
    echo "XEN-LAB: FILE BEGIN $1"
    base64 <"$2"
    echo "XEN-LAB: FILE END $1"
}

#!/bin/bash
# Xen lab runner: boots the images made by build.sh under qemu-system-x86_64 (TCG), with
# dom0 bringing up two PV guests and running one check script, then powering off.
#
# Usage: run.sh [--check FILE] [options]
#   --check FILE        POSIX sh script to run in dom0 once the guests are up (default:
#                       tests/xen-lab/checks/xl-basic.sh; "none" runs no check)
#   --add SRC[:DEST]    also put file SRC into dom0 at DEST (default /lab/files/NAME); repeatable
#   --sched NAME        Xen scheduler: credit2 (Xen's default) or credit
#   --check-timeout S   limit for the check script inside dom0 (default 300)
#   --timeout S         limit for the whole boot on the host (default check-timeout + 180)
#   --shell             after the check, a shell on the console (interactive; type exit)
#   -v, --verbose       show the whole serial console, not only the lab's lines
# Results: work/console.log (whole serial console), work/check.out (the check's output),
# work/files/NAME (files a check exported with lab_export).
# Exit status: 0 check passed, 1 check failed, 2 lab setup failed in dom0, 3 crash or no
# result, 4 timeout, 5 bad usage or missing images.
# XEN_LAB_ACCEL (default tcg,thread=single) is passed to qemu's -accel.
set -uo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$LAB/work
CHECK=$LAB/checks/xl-basic.sh
SCHED=""
CHECK_TIMEOUT=300
TIMEOUT=""
SHELL_AFTER=0
# One host thread emulates both pCPUs: measured 2-3 times faster than multi-threaded TCG
# here when anything else runs on the host (Xen's cross-CPU waits spin on a preempted
# thread), and it leaves a core free. XEN_LAB_ACCEL=tcg gives multi-threaded TCG.
ACCEL=${XEN_LAB_ACCEL:-tcg,thread=single}
VERBOSE=0
ADDS=()
QEMU_PID=""

say() { printf 'xen-lab run: %s\n' "$*"; }
die() { printf 'xen-lab run: ERROR: %s\n' "$*" >&2; exit "${2:-5}"; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

need_arg() { [ $# -ge 2 ] || die "$1 needs an argument (try --help)"; }

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --check) need_arg "$@"; CHECK=$2; shift ;;
            --check=*) CHECK=${1#*=} ;;
            --add) need_arg "$@"; ADDS+=("$2"); shift ;;
            --sched) need_arg "$@"; SCHED=$2; shift ;;
            --check-timeout) need_arg "$@"; CHECK_TIMEOUT=$2; shift ;;
            --timeout) need_arg "$@"; TIMEOUT=$2; shift ;;
            --shell) SHELL_AFTER=1 ;;
            -v|--verbose) VERBOSE=1 ;;
            -h|--help) usage; exit 0 ;;
            *) die "unknown argument '$1' (try --help)" ;;
        esac
        shift
    done
    case $SCHED in ""|credit|credit2) ;; *) die "--sched must be credit or credit2" ;; esac
    case $CHECK_TIMEOUT in ''|*[!0-9]*) die "--check-timeout needs whole seconds" ;; esac
    [ -n "$TIMEOUT" ] || TIMEOUT=$((CHECK_TIMEOUT + 180))
    case $TIMEOUT in ''|*[!0-9]*) die "--timeout needs whole seconds" ;; esac
    if [ "$CHECK" != none ]; then
        [ -f "$CHECK" ] && [ -r "$CHECK" ] || die "check script '$CHECK' is not a readable file"
    fi
}

check_images() {
    local f
    for f in xen vmlinuz dom0-initrd.gz; do
        [ -s "$WORK/$f" ] || die "work/$f is missing: run tests/xen-lab/build.sh first"
    done
    command -v qemu-system-x86_64 >/dev/null ||
        die "qemu-system-x86_64 is not installed: run tests/xen-lab/build.sh (it installs it)"
}

# Second cpio archive appended to dom0's initramfs: the check, its settings, extra files.
make_overlay() {
    local ov=$WORK/overlay a src dst
    rm -rf "$ov"; mkdir -p "$ov/lab/files"
    if [ "$CHECK" != none ]; then
        cp "$CHECK" "$ov/lab/check.sh"
    fi
    {
        echo "LAB_CHECK_NAME='$(basename "$CHECK")'"
        echo "LAB_CHECK_TIMEOUT=$CHECK_TIMEOUT"
        echo "LAB_SHELL=$SHELL_AFTER"
    } >"$ov/lab/run.conf"
    for a in "${ADDS[@]+"${ADDS[@]}"}"; do
        src=${a%%:*}
        dst=/lab/files/$(basename "$src")
        [ "$a" != "$src" ] && dst=${a#*:}
        [ -f "$src" ] || die "--add: '$src' is not a file"
        case $dst in /*) ;; *) die "--add: destination '$dst' must be an absolute path" ;; esac
        mkdir -p "$ov$(dirname "$dst")"
        cp -p "$src" "$ov$dst"
    done
    (cd "$ov" && find . -mindepth 1 | cpio -o -H newc --owner=0:0 --quiet) | gzip -1 \
        >"$WORK/overlay.cpio.gz" || die "cannot pack the overlay"
    cat "$WORK/dom0-initrd.gz" "$WORK/overlay.cpio.gz" >"$WORK/dom0-run.gz"
}

stop_qemu() {
    local pid=${QEMU_PID:-}
    [ -z "$pid" ] && [ -s "$WORK/qemu.pid" ] && pid=$(cat "$WORK/qemu.pid" 2>/dev/null)
    [ -n "$pid" ] || return 0
    # Only our own qemu: its command line names this lab's work dir image.
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "qemu-system-x86_64.*dom0-run.gz"; then
        kill "$pid" 2>/dev/null
        sleep 1
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$WORK/qemu.pid"
}

# Reads the serial console: writes it all to console.log, shows the lab's lines, and stops
# qemu at once when Xen or dom0 has crashed (Xen would otherwise sit until the timeout).
watch_console() {
    local line in_check=0 in_file=0
    while IFS= read -r line; do
        line=${line%$'\r'}
        printf '%s\n' "$line" >>"$WORK/console.log"
        if [ -z "$QEMU_PID" ] && [ -s "$WORK/qemu.pid" ]; then QEMU_PID=$(cat "$WORK/qemu.pid"); fi
        case $line in
            *"Kernel panic - not syncing"*|*"Panic on CPU"*|*"Manual reset required"*|\
            *"dom0 crashed"*|*"Domain 0 crashed"*)
                printf '%s\n' "$line"
                echo "XEN-LAB-HOST: CRASH: $line" >>"$WORK/console.log"
                sleep 2; stop_qemu; continue ;;
        esac
        if [ $VERBOSE = 1 ]; then printf '%s\n' "$line"; continue; fi
        case $line in
            "XEN-LAB: FILE BEGIN "*) in_file=1; printf '%s\n' "$line"; continue ;;
            "XEN-LAB: FILE END "*) in_file=0; printf '%s\n' "$line"; continue ;;
            "XEN-LAB: CHECK BEGIN"*|"XEN-LAB: SETUP FAILED"*) in_check=1 ;;
            "XEN-LAB: CHECK END"*|"XEN-LAB: RESULT"*) in_check=0; printf '%s\n' "$line"; continue ;;
        esac
        [ $in_file = 1 ] && continue
        case $line in
            "(XEN)"*) [ $in_check = 1 ] && continue ;;
        esac
        case $line in
            xen-lab:*|XEN-LAB:*|"(XEN) Xen version"*|"(XEN) "*"cheduler"*) printf '%s\n' "$line" ;;
            *) [ $in_check = 1 ] && printf '%s\n' "$line" ;;
        esac
    done
}

boot() {
    local append="console=com1 com1=115200,8n1 dom0_mem=768M,max:768M dom0_max_vcpus=2 noreboot"
    [ -n "$SCHED" ] && append="$append sched=$SCHED"
    local -a qemu=(qemu-system-x86_64 -accel "$ACCEL" -cpu qemu64 -m 2048 -smp 2
        -display none -monitor none -serial stdio -nic none -no-reboot
        -pidfile "$WORK/qemu.pid"
        -kernel xen -append "$append"
        -initrd "vmlinuz console=hvc0 earlyprintk=xen rdinit=/init,dom0-run.gz")
    : >"$WORK/console.log"
    rm -f "$WORK/qemu.pid"
    say "booting (timeout ${TIMEOUT}s): ${qemu[*]}"
    cd "$WORK" || die "cannot enter $WORK"
    if [ $SHELL_AFTER = 1 ]; then
        timeout --foreground -k 5 "$TIMEOUT" "${qemu[@]}" 2>&1 | tee -a "$WORK/console.log"
        QEMU_RC=${PIPESTATUS[0]}
    else
        # In the background so that `wait` returns at once on Ctrl-C or kill, and the trap
        # stops qemu (timeout runs it in a process group of its own).
        rm -f "$WORK/qemu.rc"
        { timeout -k 5 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1; echo $? >"$WORK/qemu.rc"; } |
            watch_console &
        wait $!
        QEMU_RC=$(cat "$WORK/qemu.rc" 2>/dev/null || echo unknown)
    fi
    stop_qemu
}

extract_results() {
    local log=$WORK/clean.log
    tr -d '\r' <"$WORK/console.log" >"$log"
    awk '/^XEN-LAB: CHECK BEGIN/ { on = 1; next } /^XEN-LAB: CHECK END/ { on = 0 }
         on && !/^\(XEN\)/' "$log" >"$WORK/check.out"
    rm -rf "$WORK/files"; mkdir -p "$WORK/files"
    awk -v dir="$WORK/files" '
        /^XEN-LAB: FILE BEGIN / { name = $4; gsub(/[^A-Za-z0-9._-]/, "_", name);
                                  out = dir "/" name ".b64"; printf "" > out; next }
        /^XEN-LAB: FILE END / { close(out); out = ""; next }
        out != "" && !/^\(XEN\)/ { print >> out }' "$log"
    local f
    for f in "$WORK"/files/*.b64; do
        [ -e "$f" ] || continue
        base64 -d <"$f" >"${f%.b64}" 2>/dev/null || say "WARNING: file ${f%.b64} was cut short"
        rm -f "$f"
    done
}

verdict() {
    local log=$WORK/clean.log result check_rc
    result=$(sed -n 's/^XEN-LAB: RESULT rc=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    check_rc=$(sed -n 's/^XEN-LAB: CHECK END rc=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if grep -q '^XEN-LAB-HOST: CRASH' "$log"; then
        say "FAILED: the lab crashed: $(sed -n 's/^XEN-LAB-HOST: CRASH: //p' "$log" | head -n 1)"
        say "see $WORK/console.log"; return 3
    fi
    if [ -z "$result" ]; then
        if [ "$QEMU_RC" = 124 ] || [ "$QEMU_RC" = 137 ]; then
            say "FAILED: timeout: no result after ${TIMEOUT}s (last console line: $(grep -v -e '^$' -e '^qemu-system' "$log" | tail -n 1))"
            say "see $WORK/console.log"; return 4
        fi
        say "FAILED: qemu exited (status $QEMU_RC) without a result; see $WORK/console.log"
        return 3
    fi
    if grep -q '^XEN-LAB: SETUP FAILED' "$log"; then
        say "FAILED: $(grep '^XEN-LAB: SETUP FAILED' "$log" | head -n 1 | sed 's/^XEN-LAB: //')"
        say "see $WORK/console.log"; return 2
    fi
    if [ "$result" != 0 ]; then
        say "FAILED: check $(basename "$CHECK") exited ${check_rc:-$result}; output in $WORK/check.out"
        return 1
    fi
    say "check $(basename "$CHECK") passed; output in $WORK/check.out"
    return 0
}

main() {
    parse_args "$@"
    check_images
    exec 9>"$WORK/.run.lock"
    flock -n 9 || die "another run.sh is using $WORK"
    trap 'say "interrupted: stopping qemu"; stop_qemu; exit 130' INT TERM
    trap 'stop_qemu' EXIT
    local t0=$SECONDS rc
    make_overlay
    boot
    extract_results
    verdict; rc=$?
    say "took $((SECONDS - t0)) s (qemu status $QEMU_RC); console log: $WORK/console.log"
    exit $rc
}

main "$@"

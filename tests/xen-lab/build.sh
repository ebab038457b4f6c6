#!/bin/bash
# Xen lab image builder: turns Debian 12 packages into a bootable Xen lab.
#
# Output in tests/xen-lab/work/ (see README.md):
#   xen                  the hypervisor (gunzipped /boot/xen-4.17-amd64.gz, a multiboot ELF)
#   vmlinuz              the Debian kernel (dom0's; its ELF payload, vmlinux, is the guests')
#   dom0-initrd.gz       dom0's root: busybox, Xen 4.17 tools and libraries, qemu for Xen
#                        (the qdisk backend), kernel modules, lab scripts, tmux, the guest
#                        images and (if it built) domtop
#   guest-initrd.gz      the PV guests' root: busybox, xen-netfront, xen-blkfront
# Packages are fetched once with `apt-get download` into tests/xen-lab/cache/; a second run
# downloads nothing. Usage: build.sh [--domtop=auto|require|none|PATH] [-h]
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TREE=$(cd "$LAB/../.." && pwd)
CACHE=$LAB/cache
WORK=$LAB/work
ARCH=x86_64-linux-gnu

# Debian packages unpacked into dom0's root. The kernel package is added at run time (the one
# linux-image-amd64 depends on); libgcc-s1 is needed although nothing links it: glibc dlopens
# libgcc_s.so.1 for pthread_cancel, and xl aborts without it.
DOM0_PKGS="busybox-static xen-utils-4.17 xen-utils-common xenstore-utils
  libxencall1 libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1
  libxenmisc4.17 libxenstore4 libxentoolcore1 libxentoollog1 libyajl2
  libc6 libc-bin libgcc-s1 libuuid1 zlib1g liblzma5 libzstd1 libncurses6 libtinfo6 ncurses-base
  tmux libevent-core-2.1-7 libutempter0"
HV_PKG=xen-hypervisor-4.17-amd64
# qemu for Xen: serves the lab's qdisk disks (backendtype=qdisk). Its binary is unpacked,
# its libraries come from the host (install_qemu); of qemu-system-data only the en-us
# keymap, which qemu loads even with -vnc none (it exits without it).
QEMU_PKG=qemu-system-xen
QEMU_DATA_PKG=qemu-system-data

# Kernel modules loaded or loadable in dom0 (dependencies are added from modules.dep).
DOM0_MODS="xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-netback xen-blkback
  bridge loop tun veth ifb sch_tbf sch_htb sch_ingress sch_prio cls_u32 cls_matchall act_mirred
  dm-mod dm-snapshot bfq ext4 crc32c_generic"
GUEST_MODS="xen-netfront xen-blkfront"

# Binaries whose shared libraries must all resolve inside dom0's root.
DOM0_CHECK_BINS="usr/lib/xen-4.17/bin/xl usr/lib/xen-4.17/bin/xentop
  usr/lib/xen-4.17/bin/xenstored usr/lib/xen-4.17/bin/xenconsoled
  usr/lib/xen-4.17/bin/xen-init-dom0 usr/lib/xen-4.17/bin/libxl-save-helper
  usr/lib/xen-4.17/bin/xenconsole usr/bin/xenstore usr/bin/tmux
  usr/libexec/xen-qemu-system-i386"

DOMTOP_MODE=auto

say()  { printf 'xen-lab build: %s\n' "$*"; }
die()  { printf 'xen-lab build: ERROR: %s\n' "$*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

parse_args() {
    local a
    for a in "$@"; do
        case $a in
            --domtop=*) DOMTOP_MODE=${a#--domtop=}
                        case $DOMTOP_MODE in
                            auto|require|none) ;;
                            *) [ -f "$DOMTOP_MODE" ] && [ -x "$DOMTOP_MODE" ] ||
                                   die "--domtop=$DOMTOP_MODE is not an executable file" ;;
                        esac ;;
            -h|--help) usage; exit 0 ;;
            *) die "unknown argument '$a' (try --help)" ;;
        esac
    done
}

# Host tools: qemu and cpio come from apt if missing; the rest is in every Debian.
ensure_host_tools() {
    local missing="" t
    for t in dpkg-deb apt-get readelf ldd ldconfig gzip xz; do
        command -v $t >/dev/null || die "host tool '$t' is missing"
    done
    command -v qemu-system-x86_64 >/dev/null || missing="$missing qemu-system-x86"
    command -v cpio >/dev/null || missing="$missing cpio"
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "missing host packages:$missing (install them as root)"
    say "installing host packages:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
        --no-install-recommends $missing >"$WORK/apt-install.log" 2>&1 ||
        die "apt-get install$missing failed: see $WORK/apt-install.log"
}

apt_lists_ready=no
apt_lists() {
    [ $apt_lists_ready = yes ] && return 0
    if ! apt-cache show busybox-static >/dev/null 2>&1; then
        say "apt lists are empty: running apt-get update"
        apt-get update >"$WORK/apt-update.log" 2>&1 ||
            die "apt-get update failed: see $WORK/apt-update.log"
    fi
    apt_lists_ready=yes
}

# The newest cached .deb of a package, or nothing.
cached_deb() {
    ls "$CACHE/$1"_*.deb 2>/dev/null | sort -V | tail -n 1
}

# Fetch a package into the cache unless some version of it is there already.
fetch() {
    local pkg=$1
    [ -n "$(cached_deb "$pkg")" ] && return 0
    apt_lists
    say "downloading $pkg"
    (cd "$CACHE" && apt-get -o APT::Sandbox::User=root -q download "$pkg") \
        >>"$WORK/apt-download.log" 2>&1 ||
        die "apt-get download $pkg failed: see $WORK/apt-download.log"
    [ -n "$(cached_deb "$pkg")" ] || die "apt-get download $pkg left no .deb in $CACHE"
}

# The kernel package that linux-image-amd64 depends on, remembered in the cache so that a
# cached build needs neither the network nor apt lists.
kernel_pkg() {
    local f=$CACHE/kernel-package name
    if [ ! -s "$f" ]; then
        apt_lists
        name=$(apt-cache depends linux-image-amd64 |
               sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
        [ -n "$name" ] || die "cannot tell which kernel linux-image-amd64 depends on"
        echo "$name" >"$f"
    fi
    cat "$f"
}

unpack() {  # unpack PKG into DIR
    dpkg-deb -x "$(cached_deb "$1")" "$2"
}

# Closure of modules (names like xen-netback) over modules.dep, as paths relative to the
# module dir. Builtin modules are skipped; an unknown module is an error.
module_closure() {
    local moddir=$1; shift
    local m path
    for m in "$@"; do
        path=$(awk -v m="$m" -F: '{ n = $1; sub(".*/", "", n); sub("\\.ko$", "", n);
                                    gsub("_", "-", n); t = m; gsub("_", "-", t);
                                    if (n == t) { print; exit } }' "$moddir/modules.dep")
        if [ -z "$path" ]; then
            sed 's#.*/##; s#\.ko$##; s#_#-#g' "$moddir/modules.builtin" |
                grep -qx "$(echo "$m" | tr _ -)" && continue
            die "kernel module '$m' is neither in modules.dep nor builtin"
        fi
        echo "$path" | tr -d ':' | tr ' ' '\n' | grep .
    done | sort -u
}

# Kernel: unpack once into work/kernel and index its modules with busybox's depmod.
prepare_kernel() {
    local kpkg=$1
    KVER=${kpkg#linux-image-}
    KDIR=$WORK/kernel
    if [ ! -f "$KDIR/.done-$kpkg" ]; then
        rm -rf "$KDIR"; mkdir -p "$KDIR"
        say "unpacking $kpkg"
        unpack "$kpkg" "$KDIR"
        "$BB" depmod -b "$KDIR" "$KVER" || die "depmod of $kpkg failed"
        touch "$KDIR/.done-$kpkg"
    fi
    cp "$KDIR/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
    guest_kernel
}

# The PV guests boot the same kernel, but as the ELF inside the bzImage: libxc would otherwise
# unpack the xz payload in dom0 at every `xl create`, about 4 s each under TCG.
guest_kernel() {
    local off
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$WORK/vmlinuz" | head -n 1 | cut -d: -f1)
    [ -n "$off" ] || die "no xz payload in vmlinuz-$KVER (is the kernel still xz-compressed?)"
    tail -c +$((off + 1)) "$WORK/vmlinuz" >"$WORK/vmlinuz.xz"
    xz -dcq --single-stream "$WORK/vmlinuz.xz" >"$WORK/vmlinux" ||
        die "cannot unpack the xz payload of vmlinuz-$KVER"
    rm -f "$WORK/vmlinuz.xz"
    [ "$(head -c 4 "$WORK/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] ||
        die "the payload of vmlinuz-$KVER is not an ELF file"
}

copy_modules() {  # copy_modules ROOT MODULE...
    local root=$1; shift
    local src=$KDIR/lib/modules/$KVER dst=$root/lib/modules/$KVER rel
    mkdir -p "$dst"
    for rel in $(module_closure "$src" "$@"); do
        mkdir -p "$dst/$(dirname "$rel")"
        cp "$src/$rel" "$dst/$rel"
    done
    cp "$src/modules.builtin" "$src/modules.order" "$dst/"
    "$BB" depmod -b "$root" "$KVER" || die "depmod in $root failed"
}

# busybox applets as symlinks in /bin.
install_busybox() {
    local root=$1 a
    mkdir -p "$root/bin" "$root/sbin"
    [ -x "$root/bin/busybox" ] || cp "$BB" "$root/bin/busybox"
    for a in $("$BB" --list); do
        [ -e "$root/bin/$a" ] || [ -e "$root/sbin/$a" ] || [ -e "$root/usr/bin/$a" ] ||
            [ -e "$root/usr/sbin/$a" ] || ln -s busybox "$root/bin/$a"
    done
    # Paths the kernel itself runs: modprobe for module autoloading, poweroff and reboot for
    # a PV guest's `xl shutdown` / `xl reboot`.
    for a in modprobe poweroff reboot halt; do
        [ -e "$root/sbin/$a" ] || ln -s ../bin/busybox "$root/sbin/$a"
    done
}

cpio_gz() {  # cpio_gz DIR OUT
    (cd "$1" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
        cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$2.tmp"
    mv "$2.tmp" "$2"
}

lib_found() {  # lib_found ROOT SONAME
    local d
    for d in lib/$ARCH usr/lib/$ARCH lib64 usr/lib/xen-4.17/lib/$ARCH; do
        [ -e "$1/$d/$2" ] || [ -L "$1/$d/$2" ] && return 0
    done
    return 1
}

# Every NEEDED library of the given binaries (and of those libraries) exists in ROOT.
verify_libs() {
    local root=$1; shift
    local todo="$*" seen=" " missing="" f n d
    while [ -n "$todo" ]; do
        set -- $todo; f=$1; shift; todo="$*"
        case $seen in *" $f "*) continue ;; esac
        seen="$seen$f "
        [ -e "$root/$f" ] || { missing="$missing $f"; continue; }
        for n in $(readelf -d "$root/$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            if lib_found "$root" "$n"; then
                for d in lib/$ARCH usr/lib/$ARCH; do
                    [ -e "$root/$d/$n" ] && { todo="$todo $d/$n"; break; }
                done
            else
                missing="$missing $n(needed by $f)"
            fi
        done
    done
    [ -z "$missing" ] || die "libraries missing in $root:$missing"
}

prune_root() {
    local root=${1:?}
    rm -rf "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info \
        "$root"/usr/share/lintian "$root"/usr/share/bug "$root"/usr/share/python3 \
        "$root"/usr/share/bash-completion "$root"/usr/lib/xen-4.17/lib/python \
        "$root"/usr/lib/xen-4.17/boot "$root"/usr/share/initramfs-tools "${root:?}"/boot
    rm -rf "$root/usr/share/locale"
    if [ -d "$root/usr/lib/locale" ]; then
        find "$root/usr/lib/locale" -mindepth 1 -maxdepth 1 ! -name C.utf8 -exec rm -rf {} +
    fi
}

# domtop from this tree: built with make into work/, or a given binary.
build_domtop() {
    DOMTOP_BIN=""
    case $DOMTOP_MODE in
        none) say "domtop: left out (--domtop=none)"; return 0 ;;
        auto|require) ;;
        *) [ -x "$DOMTOP_MODE" ] || die "--domtop=$DOMTOP_MODE is not an executable file"
           DOMTOP_BIN=$(cd "$(dirname "$DOMTOP_MODE")" && pwd)/$(basename "$DOMTOP_MODE")
           return 0 ;;
    esac
    [ -f "$TREE/Makefile" ] || (cd "$TREE" && ./configure) >"$WORK/configure.log" 2>&1 ||
        die "./configure failed: see $WORK/configure.log"
    say "domtop: building with make (log: work/domtop-build.log)"
    if make -C "$TREE" -j2 BUILD="$WORK/build" BIN="$WORK/domtop" all \
            >"$WORK/domtop-build.log" 2>&1; then
        DOMTOP_BIN=$WORK/domtop
        return 0
    fi
    rm -f "$WORK/domtop"
    tail -n 15 "$WORK/domtop-build.log" | sed 's/^/    /' >&2
    [ "$DOMTOP_MODE" = require ] && die "domtop did not build (--domtop=require)"
    say "WARNING: domtop did not build; the lab image has NO domtop (see work/domtop-build.log)"
}

# Copies every shared library that `ldd BIN` lists and ROOT lacks from the host (Debian 12
# like the lab); a library the Debian packages already put in ROOT is kept as it is. TAG names
# the records: work/TAG-ldd.txt, work/TAG-libs.txt (all it links), work/TAG-host-libs.txt
# (those copied). HINT says how to get a library the host lacks.
install_host_libs() {  # install_host_libs ROOT BIN TAG HINT
    local root=$1 bin=$2 tag=$3 hint=$4 line path
    ldd "$bin" >"$WORK/$tag-ldd.txt" || die "ldd $bin failed"
    if grep -q 'not found' "$WORK/$tag-ldd.txt"; then
        die "$tag links libraries the host does not have ($hint): $(grep 'not found' "$WORK/$tag-ldd.txt" | tr -s ' \t' ' ')"
    fi
    : >"$WORK/$tag-libs.txt"; : >"$WORK/$tag-host-libs.txt"
    while read -r line; do
        case $line in
            *'=> /'*) path=${line#*=> }; path=${path%% (*} ;;
            /*) path=${line%% (*} ;;
            *) continue ;;
        esac
        echo "$path" >>"$WORK/$tag-libs.txt"
        if [ -e "$root$path" ] || [ -L "$root$path" ] || lib_found "$root" "${path##*/}"; then
            continue
        fi
        install -D -m 0755 "$(readlink -f "$path")" "$root$path"
        echo "$path" >>"$WORK/$tag-host-libs.txt"
    done <"$WORK/$tag-ldd.txt"
}

# domtop, with its libraries from the host, themes and scenarios.
install_domtop() {
    local root=$1
    [ -n "$DOMTOP_BIN" ] || { echo none >"$root/lab/domtop-status"; return 0; }
    install -D -m 0755 "$DOMTOP_BIN" "$root/usr/bin/domtop"
    install_host_libs "$root" "$DOMTOP_BIN" domtop "build deps: tools/deps.sh"
    mkdir -p "$root/usr/local/share/domtop"
    cp -r "$TREE/themes" "$TREE/scenarios" "$root/usr/local/share/domtop/" 2>/dev/null || true
    echo "built from $TREE" >"$root/lab/domtop-status"
    verify_libs "$root" usr/bin/domtop
}

# The libraries qemu-system-xen depends on (Debian package names from its Depends, without
# the Xen libraries, which the image has, and without qemu's firmware and data packages,
# which a xenpv qemu does not load). They are installed on the host when missing, so that
# install_host_libs can copy them; qemu-system-x86 (the lab's host tool) brings most.
qemu_host_pkgs() {
    dpkg-deb -f "$(cached_deb "$QEMU_PKG")" Depends | tr ',' '\n' |
        sed 's/^ *//; s/[ (].*//' | grep '^lib' | grep -v -e '^libxen' -e '^libc6$' -e '^libgcc-s1$'
}

ensure_qemu_host_libs() {
    local p missing=""
    for p in $(qemu_host_pkgs); do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "qemu-system-xen needs host packages:$missing (install them as root)"
    apt_lists
    say "installing host packages for qemu-system-xen's libraries:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
        --no-install-recommends $missing >"$WORK/apt-install.log" 2>&1 ||
        die "apt-get install$missing failed: see $WORK/apt-install.log"
}

# The qdisk backend: Debian's qemu for Xen at the path libxl runs for a PV guest's device
# model (/usr/libexec/xen-qemu-system-i386, from `strings libxenlight`), with its libraries.
install_qemu() {
    local root=$1 bin=usr/libexec/xen-qemu-system-i386
    unpack "$QEMU_PKG" "$root"
    [ -x "$root/$bin" ] || die "$QEMU_PKG has no /$bin: libxl runs that path for qdisk"
    rm -rf "$WORK/qemu-data"; unpack "$QEMU_DATA_PKG" "$WORK/qemu-data"
    install -D -m 0644 "$WORK/qemu-data/usr/share/qemu/keymaps/en-us" \
        "$root/usr/share/qemu/keymaps/en-us" || die "$QEMU_DATA_PKG has no keymaps/en-us"
    rm -rf "$WORK/qemu-data"
    install_host_libs "$root" "$root/$bin" qemu "apt-get install $(qemu_host_pkgs | tr '\n' ' ')"
    verify_libs "$root" "$bin"
}

build_guest() {
    local root=$WORK/guest-root
    say "guest initramfs"
    rm -rf "$root"; mkdir -p "$root"/{dev,proc,sys,tmp,run,etc}
    install_busybox "$root"
    copy_modules "$root" $GUEST_MODS
    install -m 0755 "$LAB/guest/init" "$root/init"
    cpio_gz "$root" "$WORK/guest-initrd.gz"
}

build_dom0() {
    local root=$WORK/dom0-root p
    say "dom0 initramfs"
    rm -rf "$root"; mkdir -p "$root"
    for p in $DOM0_PKGS; do unpack "$p" "$root"; done
    prune_root "$root"
    install_busybox "$root"
    mkdir -p "$root"/{dev,proc,sys,tmp,run,root,mnt} "$root"/var/{lib/xen,log/xen/console} \
        "$root"/etc/ld.so.conf.d "$root"/lab/guests
    ln -sfn /run "$root/var/run"; ln -sfn /run/lock "$root/var/lock"
    printf '/lib/%s\n/usr/lib/%s\n/usr/lib/xen-4.17/lib/%s\n' $ARCH $ARCH $ARCH \
        >"$root/etc/ld.so.conf.d/lab.conf"
    printf 'include /etc/ld.so.conf.d/*.conf\n' >"$root/etc/ld.so.conf"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\ntty:x:5:\nutmp:x:43:\n' >"$root/etc/group"
    copy_modules "$root" $DOM0_MODS
    install -m 0755 "$LAB/dom0/init" "$root/init"
    install -m 0644 "$LAB/dom0/lib.sh" "$root/lab/lib.sh"
    install -m 0755 "$LAB/dom0/vif-bridge" "$root/etc/xen/scripts/vif-bridge"
    install -m 0755 "$LAB/dom0/block" "$root/etc/xen/scripts/block"
    install -m 0644 "$LAB"/dom0/guests/*.cfg "$root/lab/guests/"
    cp "$WORK/vmlinux" "$root/lab/vmlinux"
    cp "$WORK/guest-initrd.gz" "$root/lab/guest-initrd.gz"
    install_domtop "$root"
    install_qemu "$root"
    prune_root "$root"
    verify_libs "$root" $DOM0_CHECK_BINS
    [ -e "$root/lib/$ARCH/libgcc_s.so.1" ] || die "libgcc_s.so.1 is missing from dom0's root"
    ldconfig -r "$root" 2>/dev/null || die "ldconfig -r $root failed"
    cpio_gz "$root" "$WORK/dom0-initrd.gz"
}

main() {
    parse_args "$@"
    local t0=$SECONDS kpkg p
    mkdir -p "$CACHE" "$WORK"
    : >"$WORK/apt-download.log"
    ensure_host_tools
    kpkg=$(kernel_pkg)
    for p in $DOM0_PKGS $HV_PKG $QEMU_PKG $QEMU_DATA_PKG "$kpkg"; do fetch "$p"; done
    ensure_qemu_host_libs
    BB=$WORK/busybox
    rm -rf "$WORK/bb"; unpack busybox-static "$WORK/bb"
    cp "$WORK/bb/bin/busybox" "$BB"; rm -rf "$WORK/bb"
    unpack "$HV_PKG" "$WORK/hv"
    gunzip -c "$WORK"/hv/boot/xen-4.17-amd64.gz >"$WORK/xen"; rm -rf "$WORK/hv"
    prepare_kernel "$kpkg"
    build_domtop
    build_guest
    build_dom0
    {
        echo "kernel=$kpkg"
        for p in $DOM0_PKGS $HV_PKG $QEMU_PKG $QEMU_DATA_PKG "$kpkg"; do basename "$(cached_deb "$p")"; done
    } >"$WORK/manifest.txt"
    say "done in $((SECONDS - t0)) s: work/xen, work/vmlinuz, work/dom0-initrd.gz ($(du -h "$WORK/dom0-initrd.gz" | cut -f1)), work/guest-initrd.gz; domtop: ${DOMTOP_BIN:-none}"
}

main "$@"

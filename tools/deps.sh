#!/bin/sh
# deps.sh: installs domtop's dependencies from Debian 12's archive.
#   tools/deps.sh build   what building and running domtop needs
#   tools/deps.sh test    that, plus what the whole test suite needs
# Uses sudo when not run as root.
set -eu
build="build-essential pkg-config libncurses-dev libxen-dev libnl-3-dev
       libnl-route-3-dev libpcap-dev libinih-dev libjansson-dev"
test="$build libcmocka-dev tmux python3 python3-pil fonts-dejavu-core iproute2 clang-14 libclang-rt-14-dev
      iperf3 tcpdump iftop qemu-system-x86 cpio busybox-static"
case "${1:-}" in
build) pkgs=$build ;;
test) pkgs=$test ;;
*) echo "usage: tools/deps.sh build|test" >&2; exit 2 ;;
esac
as_root=""
[ "$(id -u)" -eq 0 ] || as_root=sudo
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -q
# shellcheck disable=SC2086
$as_root apt-get install -y -q --no-install-recommends $pkgs

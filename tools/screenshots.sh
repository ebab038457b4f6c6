#!/bin/sh
# screenshots.sh: PNGs of the real binary on the demo host, drawn from what
# tmux's terminal holds (cells and colours), by tools/ansi2png.py.
# Usage: screenshots.sh DOMTOP OUTDIR
set -eu
bin=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
sock=domtop-shots-$$
tmp=$(mktemp -d)
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out"
printf 'set -g status off\nset -g default-terminal xterm-256color\n' > "$tmp/tmux.conf"

# shot NAME COLS ROWS KEYS...: start domtop at that size, send keys, capture
shot() {
	name=$1 cols=$2 rows=$3
	shift 3
	tmux -L "$sock" -f "$tmp/tmux.conf" new-session -d -s shot -x "$cols" -y "$rows" \
		"TERM=xterm-256color DOMTOP_THEMES=$here/../themes $bin --demo --seed 7 -d 1 --audit-log $tmp/audit.log"
	sleep 3.5            # three samples, so every rate is filled in
	for k in "$@"; do
		tmux -L "$sock" send-keys -t shot "$k"
		sleep 0.5
	done
	tmux -L "$sock" capture-pane -t shot -e -p > "$tmp/$name.txt"
	tmux -L "$sock" kill-session -t shot
	/usr/bin/python3 "$here/ansi2png.py" "$tmp/$name.txt" "$out/$name.png" "$cols" "$rows"
	echo "screenshots: $out/$name.png (${cols}x$rows)"
}

shot main-120x40 120 40
shot main-80x24 80 24
shot help 120 40 F1

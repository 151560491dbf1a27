#!/usr/bin/env bash
# The load benchmark's smoke test (meson suite bench-smoke): sb_load with 4 sub-surfaces for 1 s
# against syncbridge headless, then weston 10 and sway 1.7 where installed (else a skip with the
# reason). Each must start, and every surface must get frame callbacks (sb_load exits 0) at
# about the output's rate. Does not measure anything: run-load-bench.sh does.
#   load-smoke.sh SB_LOAD SYNCBRIDGE
set -u
load_here=$(cd "$(dirname "$0")" && pwd)
load_root=$(cd "$load_here/../.." && pwd)
sb_load=$1
load_syncbridge=$2
. "$load_here/load-peers.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/load-smoke.XXXXXX")
chmod 755 "$work"
trap 'load_stop; rm -rf "$work"' EXIT
n=0
failed=0
echo "TAP version 13"
for peer in syncbridge weston sway; do
	n=$((n + 1))
	if [ "$peer" != syncbridge ] && ! command -v "$peer" >/dev/null; then
		echo "ok $n - $peer: 4 surfaces get frames for 1 s # SKIP $peer not installed"
		continue
	fi
	if [ "$peer" = sway ] && [ "$(id -u)" != 0 ]; then
		echo "ok $n - $peer: 4 surfaces get frames for 1 s # SKIP sway is run as nobody: needs root"
		continue
	fi
	if ! load_start "$peer" "$work/$peer-xdg" "$work/$peer.log" 0; then
		echo "not ok $n - $peer: 4 surfaces get frames for 1 s (did not start)"
		sed 's/^/# /' "$work/$peer.log"
		failed=$((failed + 1))
		load_stop
		continue
	fi
	out=$(WAYLAND_DISPLAY=$load_socket XDG_RUNTIME_DIR=$work/$peer-xdg \
		timeout 60 "$sb_load" -n 2 -m 2 -w 0.3 -t 1 -l "$peer" 2>&1)
	status=$?
	frames=$(sed -n 's/.* frames=\([0-9]*\) .*/\1/p' <<<"$out")
	# 4 surfaces for 1 s at 60 Hz: 240 frames; a quarter of that proves the loop runs.
	if [ $status -eq 0 ] && [ "${frames:-0}" -ge 60 ]; then
		echo "ok $n - $peer: 4 surfaces get frames for 1 s"
	else
		echo "not ok $n - $peer: 4 surfaces get frames for 1 s (exit $status, frames ${frames:-none})"
		failed=$((failed + 1))
	fi
	sed 's/^/# /' <<<"$out"
	load_stop
	status=$?
	if [ "$peer" = syncbridge ]; then
		n=$((n + 1))
		if [ $status -eq 0 ]; then
			echo "ok $n - syncbridge: exits cleanly after the load client"
		else
			echo "not ok $n - syncbridge: exits cleanly after the load client (status $status)"
			sed 's/^/# /' "$work/$peer.log" | tail -20
			failed=$((failed + 1))
		fi
	fi
done
echo "1..$n"
[ $failed -eq 0 ]

#!/bin/sh
# The load benchmark's guest side (run by run-load-bench.sh through tests/vm/run, or directly on
# a machine with udmabuf and sw_sync). For each surface count: syncbridge headless (1024x768,
# 60 Hz, pixman) pinned to CPU 0 and sb_load pinned to CPU 1, 30 sub-surfaces per client, at
# 60 Hz, once per buffer kind (LOAD_GUEST_MODES, sb_load -b): shm (all wl_shm: the baseline),
# implicit (all udmabuf with an implicit sw_sync write fence), explicit (all udmabuf with a
# zwp_linux_explicit_synchronization_v1 acquire fence) and mix (a third of each): what each sync
# form costs per commit over wl_shm under the same TCG guest, after the guest's own
# floor (a 60 Hz timer on CPU 0, as in run-load-bench.sh). Prints TAP; writes summary.txt (one
# line per run, with the compositor's CPU time) and the per-surface CSVs into OUT_DIR.
#   tests/bench/load-bench-session.sh OUT_DIR BUILD_DIR SURFACES...
set -u
out=$1
build=$2
shift 2
surfaces=${*:-6 15 30 60 120 240}
warmup=${LOAD_WARMUP:-3}
seconds=${LOAD_SECONDS:-5}
syncbridge=$build/compositor/syncbridge
sb_load=$build/tests/bench/sb_load
root=$(cd "$(dirname "$0")/../.." && pwd)
runtime=$(mktemp -d)
export XDG_RUNTIME_DIR="$runtime"
unset WAYLAND_DISPLAY DISPLAY
# Every udmabuf is an fd in the client and, imported, in the compositor.
ulimit -n 65536 2>/dev/null || ulimit -n 4096
mkdir -p "$out"
rm -f "$out"/*.csv "$out"/summary.txt
modes=${LOAD_GUEST_MODES:-shm implicit explicit mix}
set -- $modes
n_modes=$#
set -- $surfaces
echo "1..$(($# * (n_modes + 1)))"
t=0
hz=$(getconf CLK_TCK)
for s in $surfaces; do
	n=$((s / 30))
	m=30
	if [ "$n" -lt 1 ]; then
		n=1
		m=$s
	fi
	t=$((t + 1))
	floor=$(taskset -c 0 /usr/bin/python3 "$root/tests/bench/load_floor.py" "$seconds")
	echo "where=guest sweep=floor-guest compositor=floor rep=1 status=0 loadavg=$(cut -d' ' -f1 /proc/loadavg) surfaces=$((n * m)) rate_hz=60 $floor" >>"$out/summary.txt"
	echo "ok $t - guest floor before $((n * m)) surfaces: $floor"
	for mode in $modes; do
		t=$((t + 1))
		label=guest-$mode-syncbridge-s$((n * m))-r60
		log=$runtime/$label.log
		rm -f "$runtime/sb-load"
		taskset -c 0 "$syncbridge" -c "$root/weston-ini/conformance.ini" --output-size 1024x768 \
			--refresh 60 --socket sb-load >"$log" 2>&1 &
		comp=$!
		i=0
		while [ ! -S "$runtime/sb-load" ] && [ $i -lt 600 ] && kill -0 $comp 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		sleep 1
		WAYLAND_DISPLAY=sb-load timeout 600 taskset -c 1 "$sb_load" -b "$mode" -n "$n" \
			-m "$m" -r 60 -w "$warmup" -t "$seconds" -o "$out/$label.csv" -l "$label" \
			>"$runtime/out" 2>"$runtime/$label.err" &
		client=$!
		# The compositor's CPU time over about the measured window.
		sleep "$warmup"
		c0=$(awk '{ print $14 + $15 }' /proc/$comp/stat)
		sleep "$seconds"
		c1=$(awk '{ print $14 + $15 }' /proc/$comp/stat)
		wait $client
		status=$?
		res=$(cat "$runtime/out")
		cpu=$(awk -v a="$c0" -v b="$c1" -v t="$seconds" -v hz="$hz" 'BEGIN { printf "%.1f", 100 * (b - a) / hz / t }')
		kill -TERM $comp 2>/dev/null
		wait $comp
		cstatus=$?
		echo "where=guest sweep=$mode compositor=syncbridge status=$status loadavg=$(cut -d' ' -f1 /proc/loadavg) compositor_cpu_pct=$cpu $res" >>"$out/summary.txt"
		if [ $status -le 1 ] && [ $cstatus -eq 0 ]; then
			echo "ok $t - $label: ran ($res)"
		else
			echo "not ok $t - $label: sb_load exit $status, syncbridge exit $cstatus"
			sed 's/^/# /' "$runtime/$label.err" | tail -5
			tail -20 "$log" | sed 's/^/# /'
		fi
		cp "$log" "$out/" 2>/dev/null
	done
done
rm -rf "$runtime"

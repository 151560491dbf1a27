#!/bin/sh
# The trace benchmark's guest side (run by tests/bench/run-trace-bench.sh through tests/vm/run, or
# directly on a machine with udmabuf and sw_sync). Prints TAP; writes raw results into OUT_DIR.
#   tests/bench/trace-bench-session.sh OUT_DIR BUILD_DIR BASELINE_BUILD_DIR [N_FRAMES ROUNDS]
#
# Three compositors, the same client: BASELINE_BUILD_DIR's syncbridge (built with -Dtrace=false:
# the trace hooks compiled out), BUILD_DIR's without --trace ("off") and with --trace to the
# guest's tmpfs ("on"). In each of ROUNDS rounds the three run side by side, each with its own
# sb-client (N_FRAMES 64x64 udmabuf frames at 20 Hz, each with a write fence signalled 5 ms after
# its commit, so that every commit is held by the gate): whatever else loads the emulated machine
# (TCG threads of other VMs on the host, the guest's own work) then weighs on the three alike, and
# each round gives one ratio per variant. The start order is rotated from round to round.
#   cpu.csv                  variant,round,frames,cpu_ns: each compositor's CPU time (its process
#                            CPU clock, utime + stime in ns) from just before the clients start to
#                            just after the last one exits
#   frames-VARIANT-ROUND.csv sb-client --csv
#   trace-ROUND.json         the "on" compositors' traces
set -u
out=$1
build=$2
baseline=$3
n_frames=${4:-200}
rounds=${5:-6}

runtime=$(mktemp -d)
export XDG_RUNTIME_DIR="$runtime"
unset WAYLAND_DISPLAY DISPLAY
mkdir -p "$out"
rm -f "$out"/*.csv "$out"/*.json "$out"/*.log "$out"/*.txt
echo "1..$((rounds + 1))"
t=0

result() { # STATUS DESCRIPTION
	t=$((t + 1))
	if [ "$1" = 0 ]; then
		echo "ok $t - $2"
	else
		echo "not ok $t - $2 (exit $1)"
	fi
}

# Another process's CPU clock (clock_getcpuclockid: CPUCLOCK_SCHED of the process, in ns):
# finer than /proc/PID/stat's clock ticks.
cpu_ns() { # PID
	python3 -c 'import sys, time; print(time.clock_gettime_ns((~int(sys.argv[1]) << 3) | 2))' "$1"
}

echo "variant,round,frames,cpu_ns" >"$out/cpu.csv"
start() { # VARIANT ROUND: its pid in $runtime/pid-VARIANT
	variant=$1
	round=$2
	sock=sb-trace-bench-$variant-$round
	set -- "$build/compositor/syncbridge"
	case $variant in
	compiled-out) set -- "$baseline/compositor/syncbridge" ;;
	on) set -- "$@" --trace "$runtime/trace-$round.json" ;;
	esac
	"$@" --backend headless --renderer pixman --output-size 320x240 --implicit snapshot \
		--socket "$sock" 2>"$runtime/syncbridge-$variant-$round.log" &
	echo $! >"$runtime/pid-$variant"
	i=0
	while [ ! -S "$runtime/$sock" ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done
}

client() { # VARIANT ROUND
	csv=$out/frames-$1-$2.csv
	WAYLAND_DISPLAY=sb-trace-bench-$1-$2 timeout 600 "$build/clients/sb-client/sb-client" \
		--buffer udmabuf --size 64x64 --buffers 3 --drain 2000 --fence-delay 5 --rate 20 \
		--frames "$n_frames" --csv "$csv" >"${csv%.csv}.txt" 2>&1
}

r=1
while [ $r -le "$rounds" ]; do
	case $((r % 3)) in
	1) order="compiled-out off on" ;;
	2) order="off on compiled-out" ;;
	0) order="on compiled-out off" ;;
	esac
	for v in $order; do
		start "$v" $r
	done
	for v in $order; do
		cpu_ns "$(cat "$runtime/pid-$v")" >"$runtime/before-$v"
	done
	clients=
	for v in $order; do
		client "$v" $r &
		clients="$clients $!"
	done
	status=0
	for c in $clients; do
		wait "$c" || status=$?
	done
	for v in $order; do
		pid=$(cat "$runtime/pid-$v")
		after=$(cpu_ns "$pid")
		before=$(cat "$runtime/before-$v")
		echo "$v,$r,$n_frames,$((after - before))" >>"$out/cpu.csv"
		kill "$pid"
		wait "$pid"
		cp "$runtime/syncbridge-$v-$r.log" "$out/"
	done
	cp "$runtime/trace-$r.json" "$out/"
	cpu=$(tail -n 3 "$out/cpu.csv" | awk -F, '{ printf "%s %d ", $1, $4 / 1000000 }')
	result $status "round $r ($order side by side): $n_frames commits each, CPU (ms): $cpu"
	r=$((r + 1))
done

status=0
for f in "$out"/syncbridge-*.log; do
	grep -q "ERROR\|AddressSanitizer\|runtime error" "$f" && {
		echo "# $f:"
		grep "ERROR\|AddressSanitizer\|runtime error" "$f" | head -5 | sed 's/^/#   /'
		status=1
	}
done
result "$status" "no errors in the compositors' logs"
rm -rf "$runtime"

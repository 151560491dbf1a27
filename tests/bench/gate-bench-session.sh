#!/bin/sh
# The commit-gate benchmark's guest side (run by tests/bench/run-gate-bench.sh through
# tests/vm/run, or directly on a machine with udmabuf and sw_sync). Prints TAP; writes raw CSVs
# and strace summaries into OUT_DIR.
#   tests/bench/gate-bench-session.sh OUT_DIR BUILD_DIR [N_ACQUIRE N_SWEEP N_STRACE N_FLOOR]
# (N_ACQUIRE 0: only the floor and the strace runs.)
#
# For each mode, one syncbridge (headless, pixman, 320x240) and sb-client runs on 64x64 udmabuf
# buffers. snapshot, poll, none: the compositor's --implicit mode, the acquire fence a write fence
# in the dma-buf; syncobj: wp_linux_drm_syncobj_v1, a sw_sync fence imported into each frame's
# acquire point (sb-client --syncobj); explicit: the sync_file of
# zwp_linux_explicit_synchronization_v1 (sb-client --explicit); both under --implicit snapshot.
#   acquire-MODE.csv     N_ACQUIRE frames at 25 Hz, each with an acquire fence signalled 5 ms
#                        after its commit (--fence-delay 5)
#   later-MODE-L.csv     (snapshot, poll, none) N_SWEEP frames per L in LATER_DELAYS: the
#                        acquire fence after 30 ms
#                        (time for the client to import the later fence while the commit is
#                        held), and a later write fence imported once the compositor handled the
#                        commit, signalled L ms after it (--later-fence-delay L); the period is
#                        L + 90 ms, so that no buffer is reused while its later fence is pending
# "Applied" is when the client receives wl_buffer.release of the previous frame's buffer: under
# pixman wlroots 0.15 drops the last lock on it when the next state is applied (see README.md).
# The floor is wake_floor: floor.csv with its waiter asleep 2 ms, and floor-MODE.csv and
# floor-MODE-after.csv around each mode's acquire run with it asleep fence_delay ms, as the
# compositor is when the fence signals (it went back to sleep after handling the commit): a
# longer sleep makes a slower wakeup.
# Syscalls: strace -C -f on syncbridge for N_STRACE commits at 1 Hz, gated (udmabuf, fence
# 500 ms, snapshot and poll) and ungated (the same under none; shm), as
# strace-NAME.strace (calls, then the -C summary). N_SWEEP 0 or N_STRACE 0 skips those parts;
# SB_GATE_BENCH_MODES (e.g. "syncobj explicit", passed into the guest by tests/vm/run) limits the
# modes.
set -u
out=$1
build=$2
n_acquire=${3:-300}
n_sweep=${4:-40}
n_strace=${5:-30}
n_floor=${6:-1000}
LATER_DELAYS="0 5 10 25 50 100 150 200"
MODES=${SB_GATE_BENCH_MODES:-snapshot poll none syncobj explicit}
[ "$n_sweep" = 0 ] && LATER_DELAYS=

syncbridge=$build/compositor/syncbridge
client=$build/clients/sb-client/sb-client
floor=$build/tests/bench/wake_floor
runtime=$(mktemp -d)
export XDG_RUNTIME_DIR="$runtime"
unset WAYLAND_DISPLAY DISPLAY
mkdir -p "$out"
rm -f "$out"/*.csv "$out"/*.log "$out"/*.txt "$out"/*.strace
n_sweep_runs=$(echo $LATER_DELAYS | wc -w)
n_strace_runs=4
[ "$n_strace" = 0 ] && n_strace_runs=0
# N_ACQUIRE 0: the floor and the strace runs only.
[ "$n_acquire" = 0 ] && MODES=
n_tests=$((1 + n_strace_runs + 1))
# Each mode also gets a floor of its own, measured just before its acquire run and again just
# after it (floor-MODE.csv, floor-MODE-after.csv): the load of an emulated machine drifts, and the
# report compares each mode with the floor around it.
n_floor_mode=300
# The acquire fence signals this long after each commit; the floor next to each mode sleeps as long.
fence_delay=5
for bench in $MODES; do
	n_tests=$((n_tests + 2))
	case $bench in
	syncobj | explicit) n_tests=$((n_tests + 1)) ;;
	*) n_tests=$((n_tests + 1 + n_sweep_runs)) ;;
	esac
done
echo "1..$n_tests"
t=0

result() { # STATUS DESCRIPTION
	t=$((t + 1))
	if [ "$1" = 0 ]; then
		echo "ok $t - $2"
	else
		echo "not ok $t - $2 (exit $1)"
	fi
}

# The compositor logs to the guest's tmpfs (a write to OUT_DIR is a 9p round trip to the host),
# copied to OUT_DIR once it has exited.
start_compositor() { # MODE SOCKET [-d] [WRAPPER...]: sets comp (the pid started) and log
	mode=$1
	sock=$2
	shift 2
	debug=
	if [ "${1:-}" = -d ]; then
		debug=-d
		shift
	fi
	log=$runtime/syncbridge-$sock.log
	"$@" "$syncbridge" $debug --backend headless --renderer pixman --output-size 320x240 \
		--implicit "$mode" --socket "$sock" 2>"$log" &
	comp=$!
	i=0
	while [ ! -S "$runtime/$sock" ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done
	export WAYLAND_DISPLAY=$sock
}

stop_compositor() { # [PID]: SIGTERM, then wait for the process we started ($comp)
	kill "${1:-$comp}" 2>/dev/null
	wait "$comp"
	cp "$log" "$out/"
}

run_client() { # CSV ARGS...
	csv=$1
	shift
	timeout 900 "$client" --buffer udmabuf --size 64x64 --buffers 3 --drain 2000 --csv "$csv" "$@" \
		>"${csv%.csv}.txt" 2>&1
}

"$floor" "$n_floor" "$out/floor.csv" >"$out/floor.txt" 2>&1
status=$?
result $status "wake floor: $(tail -1 "$out/floor.txt")"

floor_next_to() { # NAME WHEN: the floor around mode $bench, to NAME.csv (the report reads it)
	"$floor" "$n_floor_mode" "$out/$1.csv" "$fence_delay" >"$out/$1.txt" 2>&1
	result $? "wake floor $2 $bench: $(tail -1 "$out/$1.txt")"
}

# -d: the gate logs each held commit and when it was applied (CLOCK_MONOTONIC); the runs of one
# compositor are listed in order in runs-MODE.txt so the report can pair commits with frames.
# The explicit modes run beside a snapshot compositor, the implicit mode they would fall back
# to; the later-fence sweep is about implicit fences only. (The loop is over bench: start_compositor
# sets mode.)
for bench in $MODES; do
	sweep=$LATER_DELAYS
	case $bench in
	syncobj)
		comp_mode=snapshot sync_args=--syncobj sweep=''
		what="acquire point, its sw_sync fence"
		;;
	explicit)
		comp_mode=snapshot sync_args=--explicit sweep=''
		what="acquire sync_file"
		;;
	*) comp_mode=$bench sync_args='' what="write fence" ;;
	esac
	floor_next_to "floor-$bench" before
	start_compositor "$comp_mode" "sb-bench-$bench" -d
	echo "acquire-$bench.csv" >"$out/runs-$bench.txt"
	# shellcheck disable=SC2086 # sync_args: none or one word
	run_client "$out/acquire-$bench.csv" $sync_args --fence-delay "$fence_delay" --rate 25 \
		--frames "$n_acquire"
	result $? "$bench: $n_acquire commits, $what signalled $fence_delay ms after each"
	# The floor again, the compositor idle: the mode's floor brackets its acquire run.
	floor_next_to "floor-$bench-after" after
	for later in $sweep; do
		echo "later-$bench-$later.csv" >>"$out/runs-$bench.txt"
		rate=$(awk "BEGIN { print 1000 / ($later + 90) }")
		run_client "$out/later-$bench-$later.csv" --fence-delay 30 \
			--later-fence-delay "$later" --rate "$rate" --frames "$n_sweep"
		result $? "$bench: $n_sweep commits, later write fence $later ms after each"
	done
	stop_compositor
done

# Syscalls of the compositor: strace follows syncbridge (and any thread), not the client. -C:
# the -c summary and the calls themselves, so that ioctls can be told apart by request.
strace_run() { # NAME MODE CLIENT_ARGS...
	name=$1
	mode=$2
	shift 2
	start_compositor "$mode" "sb-strace-$name" strace -C -f -o "$runtime/strace-$name.strace"
	tracer=$comp
	run_client "$out/strace-$name.csv" --rate 1 --frames "$n_strace" "$@"
	status=$?
	# SIGTERM the compositor itself (strace's child): strace writes its summary when the
	# tracee exits.
	pid=$(grep -l "^PPid:[[:space:]]*$tracer\$" /proc/[0-9]*/status 2>/dev/null | head -1 |
		cut -d/ -f3)
	stop_compositor "${pid:-$tracer}"
	cp "$runtime/strace-$name.strace" "$out/"
	result $status "strace $name: $n_strace commits, $mode ($*)"
}
# One commit a second, its fence signalled 500 ms after it: traced under TCG, the compositor
# takes hundreds of ms per commit, and a commit whose fence already signalled is not held.
if [ "$n_strace" != 0 ]; then
	strace_run gated-snapshot snapshot --fence-delay 500
	strace_run gated-poll poll --fence-delay 500
	strace_run ungated-none none --fence-delay 500
	strace_run ungated-shm snapshot --buffer shm
fi

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

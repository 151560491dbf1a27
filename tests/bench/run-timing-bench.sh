#!/usr/bin/env bash
# The commit-timing benchmark (tests/bench/README.md, "Commit timing"): how far from its target
# time a frame is presented, with wp_commit_timing_v1 (sb_timing --mode timed: committed LEAD ms
# ahead with set_timestamp) and without it (at-target: the client sleeps until the target and
# commits; ahead: commits LEAD ms ahead with no time). Headless on the host, then on the DRM
# backend (vkms, 640x480) in the project's VM, one boot; then timing_report.py writes
# tests/bench/timing.csv, doc/bench-timing.png and the tables in tests/bench/README.md and
# README.md.
#   tests/bench/run-timing-bench.sh [BUILD_DIR [N_FRAMES [RATE [LEAD_MS]]]]
# (defaults: build 240 24 30; the guest runs N_FRAMES / 2 per mode: TCG is slow)
# BUILD_DIR must be built and under the repo, not /tmp: the guest runs its programs and writes
# the raw results to BUILD_DIR/bench-timing/raw. The guest side is this script too:
#   tests/bench/run-timing-bench.sh --session OUT_DIR BUILD_DIR BACKEND N RATE LEAD_MS
set -euo pipefail
modes="timed at-target ahead"

# One syncbridge on BACKEND (headless or drm), the three modes' clients one after the other.
session() {
	local out=$1 build=$2 backend=$3 n=$4 rate=$5 lead=$6
	local runtime card c sock=sb-timing-bench comp i t=0 status args
	runtime=$(mktemp -d)
	export XDG_RUNTIME_DIR=$runtime XDG_CONFIG_HOME=$runtime LIBSEAT_BACKEND=builtin
	unset WAYLAND_DISPLAY DISPLAY
	mkdir -p "$out"
	echo "1..4"
	args=(--backend headless --renderer pixman --output-size 640x480)
	if [ "$backend" = drm ]; then
		# The card numbers follow probe order: vkms is found by its driver.
		card=
		for c in /sys/class/drm/card[0-9]*; do
			case ${c##*/} in *-*) continue ;; esac
			[ "$(basename "$(readlink -f "$c/device")")" = vkms ] && card=/dev/dri/${c##*/}
		done
		[ -n "$card" ] || {
			echo "Bail out! no vkms card"
			exit 1
		}
		export WLR_DRM_DEVICES=$card
		args=(--backend drm --renderer pixman --output-size 640x480)
	fi
	"$build/compositor/syncbridge" "${args[@]}" --socket "$sock" \
		>"$runtime/syncbridge-$backend.log" 2>&1 &
	comp=$!
	i=0
	while [ ! -S "$runtime/$sock" ] && [ $i -lt 6000 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	for mode in $modes; do
		t=$((t + 1))
		status=0
		timeout 900 "$build/tests/bench/sb_timing" --display "$sock" --mode "$mode" \
			--frames "$n" --rate "$rate" --lead-ms "$lead" \
			--csv "$out/$backend-$mode.csv" >"$out/client-$backend-$mode.txt" 2>&1 ||
			status=$?
		if [ "$status" = 0 ]; then
			echo "ok $t - $backend $mode: $(tail -1 "$out/client-$backend-$mode.txt")"
		else
			echo "not ok $t - $backend $mode: exit $status"
			sed 's/^/# /' "$out/client-$backend-$mode.txt" | tail -5
		fi
	done
	kill "$comp" 2>/dev/null
	status=0
	wait "$comp" || status=$?
	cp "$runtime/syncbridge-$backend.log" "$out/"
	if [ "$status" = 0 ] && ! grep -q "AddressSanitizer\|runtime error" \
		"$out/syncbridge-$backend.log"; then
		echo "ok 4 - syncbridge ($backend) exits cleanly"
	else
		echo "not ok 4 - syncbridge ($backend) exits with status $status"
		tail -5 "$out/syncbridge-$backend.log" | sed 's/^/# /'
	fi
	rm -rf "$runtime"
}

if [ "${1:-}" = --session ]; then
	shift
	session "$@"
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=$(cd "${1:-build}" && pwd)
n=${2:-240}
rate=${3:-24}
lead=${4:-30}
for prog in compositor/syncbridge tests/bench/sb_timing; do
	[ -x "$build/$prog" ] || {
		echo "run-timing-bench: $build/$prog missing: build it" >&2
		exit 2
	}
done
raw=$build/bench-timing/raw
rm -rf "$raw"
mkdir -p "$raw"
status=0
"$0" --session "$raw" "$build" headless "$n" "$rate" "$lead" | tee "$build/bench-timing/host.tap"
tests/vm/run --out "$raw" --log-dir "$build/bench-timing/vm" --timeout-per-test 1800 \
	"$root/tests/bench/run-timing-bench.sh --session $raw $build drm $((n / 2)) $rate $lead" |
	tee "$build/bench-timing/guest.tap" || status=$?
/usr/bin/python3 tests/bench/timing_report.py "$raw" tests/bench/timing.csv \
	doc/bench-timing.png tests/bench/README.md README.md --rate "$rate" --lead-ms "$lead"
exit $status

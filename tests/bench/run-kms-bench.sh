#!/usr/bin/env bash
# The acquire=kms benchmark (tests/bench/README.md, "acquire=kms vs acquire=cpu"): boots the
# project's VM once (the kernel and initramfs are cached) and runs, in that one guest, syncbridge
# on vkms (DRM backend, pixman, 640x480) with --acquire kms then --acquire cpu, each with one
# fullscreen sb-client of N_FRAMES frames: udmabuf buffers scanned out directly, each frame's
# explicit acquire fence (zwp_linux_explicit_synchronization_v1, sw_sync) signalled FENCE_MS
# after its commit, at RATE Hz. Then kms_report.py writes tests/bench/kms-*.csv,
# doc/bench-kms.png and the table in tests/bench/README.md, and prints the table.
#   tests/bench/run-kms-bench.sh [BUILD_DIR [N_FRAMES [FENCE_MS [RATE]]]]
# (defaults: build 1000 20 25)
# BUILD_DIR must be built and under the repo, not /tmp: the guest runs its programs and writes
# the raw results to BUILD_DIR/bench-kms/raw. The guest side is this script too:
#   tests/bench/run-kms-bench.sh --guest OUT_DIR BUILD_DIR N_FRAMES FENCE_MS RATE
set -euo pipefail

guest() {
	local out=$1 build=$2 n=$3 fence_ms=$4 rate=$5
	local runtime card c mode sock comp i t=0 status
	runtime=$(mktemp -d)
	export XDG_RUNTIME_DIR=$runtime XDG_CONFIG_HOME=$runtime LIBSEAT_BACKEND=builtin
	unset WAYLAND_DISPLAY DISPLAY
	mkdir -p "$out"
	rm -f "$out"/*.csv "$out"/*.log "$out"/*.txt
	echo "1..3"
	# The card numbers follow probe order: vkms is found by its driver.
	card=
	for c in /sys/class/drm/card[0-9]*; do
		case ${c##*/} in *-*) continue ;; esac
		# vkms is a platform device of its own, bound to no driver: devices/platform/vkms.
		[ "$(basename "$(readlink -f "$c/device")")" = vkms ] && card=/dev/dri/${c##*/}
	done
	[ -n "$card" ] || {
		echo "Bail out! no vkms card"
		exit 1
	}
	for mode in kms cpu; do
		t=$((t + 1))
		sock=sb-kms-bench-$mode
		# The log goes to the guest's tmpfs (a write to OUT_DIR is a 9p round trip), copied
		# after. -d: one line per handed-off or held commit, for the report's counts.
		WLR_DRM_DEVICES=$card "$build/compositor/syncbridge" -d --backend drm \
			--renderer pixman --output-size 640x480 --acquire "$mode" --socket "$sock" \
			>"$runtime/syncbridge-$mode.log" 2>&1 &
		comp=$!
		i=0
		while [ ! -S "$runtime/$sock" ] && [ $i -lt 6000 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		status=0
		timeout 1800 "$build/clients/sb-client/sb-client" --display "$sock" --fullscreen \
			--buffer udmabuf --buffers 3 --explicit --fence-delay "$fence_ms" \
			--rate "$rate" --frames "$n" --drain 5000 --csv "$out/kms-$mode.csv" \
			>"$out/client-$mode.txt" 2>&1 || status=$?
		kill "$comp" 2>/dev/null
		wait "$comp" || status=$((status ? status : $?))
		cp "$runtime/syncbridge-$mode.log" "$out/"
		if [ "$status" = 0 ]; then
			echo "ok $t - acquire=$mode: $(tail -1 "$out/client-$mode.txt")"
		else
			echo "not ok $t - acquire=$mode: exit $status"
			tail -5 "$out/client-$mode.txt" "$out/syncbridge-$mode.log" | sed 's/^/# /'
		fi
	done
	# wlroots 0.15 on vkms now and then has a page flip refused with EBUSY (in both modes: a
	# frame lost, counted in the report's table); any other error fails the run.
	status=0
	for f in "$out"/syncbridge-*.log; do
		grep "Atomic commit failed (pageflip): Device or resource busy" "$f" |
			sed "s|^|# ${f##*/}: |" || true
		if grep "\[ERROR\]\|AddressSanitizer\|runtime error" "$f" |
			grep -qv "Atomic commit failed (pageflip): Device or resource busy"; then
			grep "\[ERROR\]\|AddressSanitizer\|runtime error" "$f" | head -5 | sed 's/^/# /'
			status=1
		fi
	done
	[ "$status" = 0 ] && echo "ok 3 - no errors in the compositors' logs" ||
		echo "not ok 3 - errors in the compositors' logs"
	rm -rf "$runtime"
}

if [ "${1:-}" = --guest ]; then
	shift
	guest "$@"
	exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=$(cd "${1:-build}" && pwd)
n=${2:-1000}
fence_ms=${3:-20}
rate=${4:-25}
for prog in compositor/syncbridge clients/sb-client/sb-client; do
	[ -x "$build/$prog" ] || {
		echo "run-kms-bench: $build/$prog missing: build it" >&2
		exit 2
	}
done
raw=$build/bench-kms/raw
rm -rf "$raw"
mkdir -p "$raw"
status=0
tests/vm/run --out "$raw" --log-dir "$build/bench-kms/vm" --timeout-per-test 3600 \
	"$root/tests/bench/run-kms-bench.sh --guest $raw $build $n $fence_ms $rate" |
	tee "$build/bench-kms/result.tap" || status=$?
if [ ! -f "$raw/kms-kms.csv" ] || [ ! -f "$raw/kms-cpu.csv" ]; then
	echo "run-kms-bench: no results in $raw: nothing reported" >&2
	exit 1
fi
/usr/bin/python3 tests/bench/kms_report.py "$raw" tests/bench doc/bench-kms.png \
	tests/bench/README.md --fence-ms "$fence_ms" --rate "$rate"
exit $status

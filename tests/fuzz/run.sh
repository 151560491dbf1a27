#!/usr/bin/env bash
# Builds the fuzz targets with clang's libFuzzer (+ ASan and UBSan) and runs each for a bounded
# number of executions, printing TAP. A crash fails the run; its input is kept under
# build-fuzz/crashes/TARGET/ — fix it, then add the input to tests/fuzz/regressions/TARGET/ so the
# replay test runs it in every build from then on.
#   tests/fuzz/run.sh                    every target, FUZZ_RUNS executions each (default: per target)
#   FUZZ_RUNS=-1 FUZZ_TIME=3600 tests/fuzz/run.sh config    a long run: one hour on one target
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-fuzz
# Executions per target unless FUZZ_RUNS says: the protocol target runs a whole client per
# input (about 1,500 a second here), the config reader over 40,000.
declare -A default_runs=([config]=200000 [protocol]=20000)
time_limit=${FUZZ_TIME:-0}
cc=${CLANG:-clang}

# target name -> its sources (the target file first)
declare -A sources=(
	[config]="tests/fuzz/config_fuzz.c compositor/config.c compositor/keybinding.c"
	[protocol]="tests/fuzz/protocol_fuzz.c $(grep -v '^#' "$root/tests/fuzz/protocol-server.sources")
		bridge/dmabuf.c bridge/log.c bridge/sync_file.c bridge/syncobj.c bridge/util.c bridge/waiter.c
		tests/common/kdev.c build-fuzz/protocols/*.c"
)
# Each target's flags; those that link wlroots use the wayland-scanner output (gen_protocols).
wl_pkgs="wlroots wayland-server pixman-1 libdrm xkbcommon"
declare -A flags=(
	[config]="$(pkg-config --cflags --libs xkbcommon 2>/dev/null)"
	[protocol]="-DWLR_USE_UNSTABLE -Ibridge/include -Itests/common -Ibuild-fuzz/protocols
		$(pkg-config --cflags --libs $wl_pkgs 2>/dev/null) -lrt"
)
gen_protocols() {
	local pd xml name
	pd=$(pkg-config --variable=pkgdatadir wayland-protocols)
	mkdir -p "$out/protocols"
	for xml in "$pd/stable/xdg-shell/xdg-shell.xml" \
		"$pd/unstable/linux-dmabuf/linux-dmabuf-unstable-v1.xml" \
		"$pd/unstable/linux-explicit-synchronization/linux-explicit-synchronization-unstable-v1.xml" \
		"$pd/stable/presentation-time/presentation-time.xml" \
		"$root/protocols/linux-drm-syncobj-v1.xml" "$root/protocols/fifo-v1.xml" \
		"$root/protocols/commit-timing-v1.xml"; do
		name=$(basename "$xml" .xml)
		wayland-scanner server-header "$xml" "$out/protocols/$name-protocol.h"
		wayland-scanner private-code "$xml" "$out/protocols/$name-protocol.c"
	done
}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${!sources[@]}")

if ! command -v "$cc" >/dev/null; then
	echo "fuzz: $cc not found: run scripts/deps.sh" >&2
	exit 1
fi
mkdir -p "$out"
n=0
status=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	src=${sources[$t]:-}
	if [ -z "$src" ]; then
		echo "not ok $n - fuzz/$t: no such target"
		status=1
		continue
	fi
	echo "fuzz: building $t with $cc -fsanitize=fuzzer,address,undefined" >&2
	[ "$t" != protocol ] || gen_protocols
	(cd "$root" && $cc -std=c11 -D_GNU_SOURCE -g -O1 -Icompositor -Itests/fuzz \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$src ${flags[$t]:-} -o "$out/${t}_fuzz")
	corpus=$out/corpus/$t
	crashes=$out/crashes/$t
	mkdir -p "$corpus" "$crashes"
	# The working corpus grows across runs; the seeds and regressions join it each time.
	seeds=("$root/tests/fuzz/corpus/$t")
	[ -d "$root/tests/fuzz/regressions/$t" ] && seeds+=("$root/tests/fuzz/regressions/$t")
	runs=${FUZZ_RUNS:-${default_runs[$t]:-20000}}
	echo "fuzz: running $t: $runs executions (time limit ${time_limit}s, 0 = none)" >&2
	start=$(date +%s)
	log=$out/$t.log
	# A fixed seed by default: the test command's bounded run is the same run every time.
	if ASAN_OPTIONS=detect_leaks=1 "$out/${t}_fuzz" -seed="${FUZZ_SEED:-1}" -runs="$runs" \
		-max_total_time="$time_limit" \
		-artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "${seeds[@]}" \
		>"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok $n - fuzz/$t: ${execs:-?} executions in $(($(date +%s) - start)) s, 0 crashes," \
			"corpus $(ls "$corpus" | wc -l) inputs"
	else
		echo "not ok $n - fuzz/$t: crashed, input(s) in $crashes (log $log)"
		grep -m5 -E "ERROR|SUMMARY|runtime error" "$log" | sed 's/^/# /'
		status=1
	fi
done
echo "1..$n"
exit $status

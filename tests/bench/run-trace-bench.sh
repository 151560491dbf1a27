#!/usr/bin/env bash
# The trace benchmark (tests/bench/README.md, "What --trace costs"): what the commit gate costs
# per commit with the trace hooks compiled out (-Dtrace=false), built in but off, and on. Boots
# the project's VM once (the kernel and initramfs are cached), runs trace-bench-session.sh there,
# then writes tests/bench/results/trace.csv, doc/bench-trace.png and the table in
# tests/bench/README.md, and prints the table.
#   tests/bench/run-trace-bench.sh [BUILD_DIR [BASELINE_BUILD_DIR [N_FRAMES ROUNDS]]]
# BUILD_DIR (default build) must be built and under the repo, not /tmp (the guest runs its
# programs and writes the raw results to BUILD_DIR/bench-trace/raw). BASELINE_BUILD_DIR (default
# BUILD_DIR-notrace) is configured with -Dtrace=false and its syncbridge built if needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=$(cd "${1:-build}" && pwd)
baseline=${2:-$build-notrace}
shift 2 || shift $#
for prog in compositor/syncbridge clients/sb-client/sb-client; do
	[ -x "$build/$prog" ] || { echo "run-trace-bench: $build/$prog missing: build it" >&2; exit 2; }
done
if [ ! -f "$baseline/build.ninja" ]; then
	meson setup "$baseline" -Dwerror=true -Dtrace=false >/dev/null
fi
ninja -C "$baseline" compositor/syncbridge >/dev/null
baseline=$(cd "$baseline" && pwd)
if nm "$baseline/compositor/syncbridge" | grep -q sb_trace_instant; then
	echo "run-trace-bench: $baseline was not built with -Dtrace=false" >&2
	exit 2
fi
raw=$build/bench-trace/raw
rm -rf "$raw"
mkdir -p "$raw"
status=0
tests/vm/run --out "$raw" --log-dir "$build/bench-trace/vm" --timeout-per-test 1200 \
	"$root/tests/bench/trace-bench-session.sh $raw $build $baseline $*" |
	tee "$build/bench-trace/result.tap" || status=$?
/usr/bin/python3 tests/bench/trace_report.py "$raw" tests/bench/results/trace.csv \
	doc/bench-trace.png tests/bench/README.md
exit $status

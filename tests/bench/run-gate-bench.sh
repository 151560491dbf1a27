#!/usr/bin/env bash
# The commit-gate benchmark (tests/bench/README.md): boots the project's VM once (the kernel and
# initramfs are cached), runs gate-bench-session.sh there for every --implicit mode, then writes
# tests/bench/results/gate.csv (+ gate-syscalls.csv), doc/bench-gate.png and the table in
# tests/bench/README.md, and prints the table; then SB_GATE_BENCH_REPEATS (default 3) more boots
# of the acquire part, pooled with it (results/gate-pooled.csv, the README's second table).
#   tests/bench/run-gate-bench.sh [BUILD_DIR [N_ACQUIRE N_SWEEP N_STRACE N_FLOOR]]
# BUILD_DIR (default build) must be built (ninja -C BUILD_DIR) and under the repo, not /tmp:
# the guest runs its programs and writes the raw results to BUILD_DIR/bench-gate/raw.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=$(cd "${1:-build}" && pwd)
shift || true
for prog in compositor/syncbridge clients/sb-client/sb-client tests/bench/wake_floor; do
	[ -x "$build/$prog" ] || { echo "run-gate-bench: $build/$prog missing: build it" >&2; exit 2; }
done
raw=$build/bench-gate/raw
rm -rf "$raw"
mkdir -p "$raw"
status=0
tests/vm/run --out "$raw" --log-dir "$build/bench-gate/vm" --timeout-per-test 1800 \
	"$root/tests/bench/gate-bench-session.sh $raw $build $*" | tee "$build/bench-gate/result.tap" ||
	status=$?
/usr/bin/python3 tests/bench/gate_report.py "$raw" tests/bench/results/gate.csv \
	doc/bench-gate.png tests/bench/README.md
# One run's medians move by +-30 % with the emulated machine's load: REPEATS more boots of the
# acquire part alone (snapshot, syncobj, explicit: 300 commits each, floors around each), then
# the ratios per run and pooled (gate_pool.py -> results/gate-pooled.csv and the README).
repeats=${SB_GATE_BENCH_REPEATS:-3}
samples=(tests/bench/results/gate.csv)
for k in $(seq 1 "$repeats"); do
	echo "[gate-bench $(date +%T)] repeat $k of $repeats: acquire part only" >&2
	rraw=$build/bench-gate/repeat-$k
	rm -rf "$rraw"
	mkdir -p "$rraw"
	SB_GATE_BENCH_MODES="snapshot syncobj explicit" tests/vm/run --out "$rraw" \
		--log-dir "$build/bench-gate/vm-repeat-$k" --timeout-per-test 1800 \
		"$root/tests/bench/gate-bench-session.sh $rraw $build ${1:-300} 0 0 300" \
		>"$build/bench-gate/repeat-$k.tap" || status=$?
	/usr/bin/python3 tests/bench/gate_report.py "$rraw" "$build/bench-gate/repeat-$k.csv" \
		"$build/bench-gate/repeat-$k.png" >/dev/null
	samples+=("$build/bench-gate/repeat-$k.csv")
done
/usr/bin/python3 tests/bench/gate_pool.py tests/bench/results/gate-pooled.csv \
	tests/bench/README.md "${samples[@]}"
exit $status

#!/usr/bin/env bash
# The main job: syncbridge headless with three clients (wl_shm; a dma-buf held by a slow write
# fence; a dma-buf with a later write fence the commit-time snapshot ignores). Writes
# out/demo.png (a screenshot) and out/timeline.png, and prints where they are. On a machine
# without dma-buf sources (no /dev/udmabuf) it runs inside the project's VM: the first run
# builds the kernel (about 12 minutes on 2 cores, with progress).
#   scripts/demo.sh            the demo
#   scripts/demo.sh --probe    only what the kernel offers for sync
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "${1:-}" = "--probe" ]; then
	scripts/deps.sh
	scripts/build.sh
	exec build/bridge/sb-probe
fi

out=$root/out
if [ -e /dev/udmabuf ] && [ -e /sys/kernel/debug/sync/sw_sync ]; then
	scripts/deps.sh
	scripts/build.sh
	echo "demo: this machine has dma-buf sources: running here" >&2
	scripts/demo-session.sh "$out" "$root/build" | tee "$root/build/demo.tap"
else
	scripts/deps.sh --vm
	scripts/build.sh
	echo "demo: no /dev/udmabuf or sw_sync here: running in the project's VM" >&2
	if ! kernel/build.sh >/dev/null; then
		echo "demo: the project's kernel could not be built, so the demo cannot run; the" \
			"[kernel] ERROR above says why. If a patch no longer applies to Debian's" \
			"linux-source-6.12, rebase the series with kernel/refresh-patches.sh (kernel/README.md)."
		exit 1
	fi
	mkdir -p "$out" build/demo-vm
	tests/vm/run --out "$out" --log-dir build/demo-vm --timeout-per-test 120 \
		"$root/scripts/demo-session.sh $out $root/build" | tee build/demo.tap
fi
grep -q '^not ok' build/demo.tap && exit 1
# From the trace: 800 ms once all three clients run.
/usr/bin/python3 scripts/trace-timeline.py "$out/trace.json" "$out/timeline.png" --window-ms 800 \
	--labels "$out/roles.tsv"
echo "demo: screenshot $out/demo.png"
echo "demo: timeline   $out/timeline.png"
echo "demo: trace      $out/trace.json (Perfetto's UI or chrome://tracing)"
echo "demo: per-client CSVs and summaries in $out/"

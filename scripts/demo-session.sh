#!/bin/sh
# The demo's session, on a machine with dma-buf sources (the VM, or a real one): syncbridge
# headless and three clients, each with its own kind of buffer and fence. Prints TAP.
#   scripts/demo-session.sh OUT_DIR BUILD_DIR
set -u
out=$1
build=$2
root=$(cd "$(dirname "$0")/.." && pwd)
runtime=$(mktemp -d)
export XDG_RUNTIME_DIR="$runtime"
unset WAYLAND_DISPLAY DISPLAY
mkdir -p "$out"
rm -f "$out"/demo.png "$out"/*.csv "$out"/*trace*.json "$out"/ftrace.txt

echo "1..6"
# The kernel's dma_fence events beside the compositor's trace, where tracefs is ours (the VM).
ftrace=false
"$root/scripts/ftrace-fences.sh" start 2>"$out/ftrace.log" && ftrace=true
ctl="$runtime/control"
"$build/compositor/syncbridge" -c "$root/weston-ini/headless-ci.ini" --socket sb-demo \
	--control "$ctl" --trace "$out/syncbridge-trace.json" 2>"$out/syncbridge.log" &
comp=$!
i=0
while { [ ! -S "$runtime/sb-demo" ] || [ ! -S "$ctl" ]; } && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
export WAYLAND_DISPLAY=sb-demo SYNCBRIDGE_CONTROL="$ctl"
sbctl=$build/clients/sb-ctl/sb-ctl
: >"$out/roles.tsv"

# NAME X ROLE LABEL ARGS...: one client for 3 s, its window titled NAME at (X, 210) with LABEL
# drawn in it; its CSV and summary in OUT; ROLE names its row of the timeline (by its pid).
client() {
	name=$1 x=$2 role=$3 label=$4
	shift 4
	"$build/clients/sb-client/sb-client" --duration 3 --size 400x300 --csv "$out/$name.csv" \
		--title "$name" --label "$label" "$@" >"$out/$name.txt" 2>&1 &
	pid=$!
	printf '%s\t%s\n' "$pid" "$role" >>"$out/roles.tsv"
	# Side by side, whatever order they mapped in: the picture says who is who.
	"$sbctl" wait mapped "window=title=$name" timeout=5000 >/dev/null &&
		"$sbctl" move "$x" 210 "window=title=$name" >/dev/null
	wait $pid
	echo $? >"$out/$name.status"
}
# wl_shm: no fences at all.
client shm 20 "shm: wl_shm, no fence" "shm|wl_shm|no fence: nothing to wait for" \
	--buffer shm --pattern counter --color 2e8b57 &
sleep 0.3
# A dma-buf whose write fence the client signals 40 ms after each commit: held that long.
client slow-fence 440 "slow-fence: write fence +40 ms" \
	"slow-fence|dma-buf, write fence|signalled 40 ms after commit|HELD until it signals" \
	--buffer udmabuf --pattern counter --color 1e64c8 --fence-delay 40 &
sleep 0.3
# A dma-buf ready at commit, with a later write fence 300 ms after it: the snapshot ignores it.
client later-fence 860 "later-fence: later fence +300 ms" \
	"later-fence|dma-buf, ready at commit|later write fence +300 ms|IGNORED: snapshot at commit" \
	--buffer udmabuf --pattern counter --color c8501e --fence-delay 0 \
	--later-fence-delay 300 &
# The picture: the capture trigger at the last client's 15th presented frame, all three running
# (the VM runs QEMU without KVM: about 10 frames a second there).
"$sbctl" wait frame:15 window=title=later-fence timeout=10000 "shot=$out/demo.png" \
	>"$out/capture.txt" 2>&1
wait %2 %3 %4 2>/dev/null
sleep 0.2
n=1
for name in shm slow-fence later-fence; do
	status=$(cat "$out/$name.status" 2>/dev/null || echo missing)
	if [ "$status" = 0 ]; then
		echo "ok $n - $name: $(tail -1 "$out/$name.txt")"
	else
		echo "not ok $n - $name: exit $status"
		sed 's/^/# /' "$out/$name.txt" | tail -5
	fi
	n=$((n + 1))
done
"$sbctl" quit >/dev/null || kill $comp
wait $comp
status=$?
[ $status -eq 0 ] && echo "ok 4 - syncbridge exited cleanly" || echo "not ok 4 - syncbridge exit $status"
if [ -s "$out/demo.png" ]; then
	echo "ok 5 - screenshot $out/demo.png: $(cat "$out/capture.txt")"
else
	echo "not ok 5 - no screenshot: $(cat "$out/capture.txt")"
fi
if $ftrace && "$root/scripts/ftrace-fences.sh" stop "$out/ftrace.txt" &&
	python3 "$root/scripts/trace-merge.py" "$out/syncbridge-trace.json" "$out/ftrace.txt" \
		-o "$out/trace.json" 2>>"$out/ftrace.log"; then
	echo "ok 6 - trace $out/trace.json with the kernel's dma_fence events"
elif ! $ftrace && cp "$out/syncbridge-trace.json" "$out/trace.json"; then
	echo "ok 6 - trace $out/trace.json (no tracefs here: without kernel events)"
else
	echo "not ok 6 - no trace"
	sed 's/^/# /' "$out/ftrace.log"
fi
rm -rf "$runtime"

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
"$build/compositor/syncbridge" -c "$root/weston-ini/headless-ci.ini" --socket sb-demo \
	--screenshot "$out/demo.png" --trace "$out/syncbridge-trace.json" 2>"$out/syncbridge.log" &
comp=$!
i=0
while [ ! -S "$runtime/sb-demo" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
export WAYLAND_DISPLAY=sb-demo

client() { # NAME ARGS...: one client for 3 s, its CSV and summary in OUT
	name=$1
	shift
	"$build/clients/sb-client/sb-client" --duration 3 --size 320x240 --csv "$out/$name.csv" \
		"$@" >"$out/$name.txt" 2>&1
	echo $? >"$out/$name.status"
}
# wl_shm: no fences at all.
client shm --buffer shm --pattern counter --color 2e8b57 &
sleep 0.3
# A dma-buf whose write fence the client signals 40 ms after each commit: held that long.
client slow-fence --buffer udmabuf --pattern counter --color 1e64c8 --fence-delay 40 &
sleep 0.3
# A dma-buf ready at commit, with a later write fence 300 ms after it: the snapshot ignores it.
client later-fence --buffer udmabuf --pattern counter --color c8501e --fence-delay 0 \
	--later-fence-delay 300 &
sleep 1.5
kill -USR1 $comp
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
kill $comp
wait $comp
status=$?
[ $status -eq 0 ] && echo "ok 4 - syncbridge exited cleanly" || echo "not ok 4 - syncbridge exit $status"
[ -s "$out/demo.png" ] && echo "ok 5 - screenshot $out/demo.png" || echo "not ok 5 - no screenshot"
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

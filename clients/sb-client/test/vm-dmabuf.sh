#!/bin/sh
# Guest test for tests/vm/run: sb-client's dma-buf buffers (udmabuf, heaps, vgem, GBM) and fences
# (sw_sync, vgem; implicit and explicit) against sb-fake-compositor, which gates each commit on
# a DMA_BUF_IOCTL_EXPORT_SYNC_FILE snapshot taken at commit; and GBM buffers against syncbridge
# itself (headless, pixman). Prints TAP.
#   SB_CLIENT=build/clients/sb-client/sb-client \
#   SB_FAKE_COMPOSITOR=build/clients/sb-client/sb-fake-compositor \
#   SB_SYNCBRIDGE=build/compositor/syncbridge \
#   tests/vm/run clients/sb-client/test/vm-dmabuf.sh
#   tests/vm/run 'clients/sb-client/test/vm-dmabuf.sh SB_CLIENT SB_FAKE_COMPOSITOR [SYNCBRIDGE]'
# SYNCBRIDGE defaults to the one in the client's build dir.
# Checks are passed as functions and awk programs: single quotes are meant.
# shellcheck disable=SC2016,SC2317
set -u
build=$(cd "$(dirname "$0")/../../.." && pwd)/build/clients/sb-client
# Arguments (from the meson-generated guest list) win over the environment and the default.
client=${1:-${SB_CLIENT:-$build/sb-client}}
fake=${2:-${SB_FAKE_COMPOSITOR:-$build/sb-fake-compositor}}
syncbridge=${3:-${SB_SYNCBRIDGE:-$(dirname "$client")/../../compositor/syncbridge}}
tmp=${TMPDIR:-/tmp}
# ASan builds: Mesa's and libgbm's own leaks (--buffer gbm) are not sb-client's. LeakSanitizer
# reads one suppressions file: join ours to the one the caller gave (tests/lsan.supp: wlroots').
mesa_supp=$(cd "$(dirname "$0")" && pwd)/lsan-mesa.supp
given_supp=$(printf '%s\n' "${LSAN_OPTIONS:-}" | tr ':' '\n' | sed -n 's/^suppressions=//p' | tail -1)
cat "$mesa_supp" ${given_supp:+"$given_supp"} >"$tmp/lsan-vm-dmabuf.supp"
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$tmp/lsan-vm-dmabuf.supp"
export LSAN_OPTIONS
: "${XDG_RUNTIME_DIR:?needs XDG_RUNTIME_DIR}"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok DESCRIPTION [DIAGNOSTIC FILE...]
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/#   /' "$f" | tail -20; done
}

# run NAME [FAKE ARGS...] -- [CLIENT ARGS...]: starts the fake, runs the client to the end.
# Leaves rc, $out (client stdout+stderr), $flog (fake's stderr), $csv.
run() {
	name=$1
	shift
	fake_args=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do fake_args="$fake_args $1"; shift; done
	shift
	sock=sbc-$name
	out=$tmp/$name.out
	flog=$tmp/$name.fake
	csv=$tmp/$name.csv
	rm -f "$csv"
	# shellcheck disable=SC2086
	"$fake" --socket "$sock" -d $fake_args 2>"$flog" &
	fake_pid=$!
	i=0
	while [ ! -S "$XDG_RUNTIME_DIR/$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	"$client" --display "$sock" --csv "$csv" "$@" >"$out" 2>&1
	rc=$?
	# Exit 77 comes before the client connects; the fake exits only when its client leaves.
	[ "$rc" -eq 77 ] && kill "$fake_pid" 2>/dev/null
	wait "$fake_pid"
}

summary_has() { grep -q "$1" "$out"; }

# csv_all AWK-CONDITION: every frame line satisfies it.
csv_all() { [ -f "$csv" ] && awk -F, -v bad=0 "NR > 1 && !($1) { bad++ } END { exit bad > 0 }" "$csv"; }
csv_count() { awk -F, "NR > 1 && ($1) { c++ } END { print c + 0 }" "$csv"; }

# CSV columns: 1 surface 2 frame 3 buffer 4 commit_ns 5 acquire_signal_ns 6 later_import_ns
# 7 later_signal_ns 8 frame_done_ns 9 feedback 10 presented_ns 11 flags 12 refresh_ns 13 msc
# 14 release_ns 15 explicit_release_ns 16 explicit_release 17 syncobj_release_ns
expect() { # expect DESCRIPTION CONDITION-COMMAND...
	desc=$1
	shift
	if [ "$rc" -eq 0 ] && "$@"; then ok "$desc"; else not_ok "$desc (exit $rc)" "$out" "$flog" "$csv"; fi
}

echo "TAP version 13"
pixels_written() { summary_has 'committed 20, presented 20' && grep -q 'pixel 0xff112233' "$flog"; }
for buffer in udmabuf "heap --heap system" "heap --heap reserved" vgem; do
	tag=$(echo "$buffer" | tr -c 'a-z\n' '-')
	# shellcheck disable=SC2086
	run "plain-$tag" -- --buffer $buffer --frames 20 --color 112233
	expect "$buffer: 20 frames presented, pixels written through mmap + DMA_BUF_IOCTL_SYNC" \
		pixels_written
done

# --buffer gbm picks the first node where Mesa's GBM makes a linear bo. In the VM that is a
# card node (kms_swrast: dumb buffers); renderD128 (vgem, no Mesa driver) and renderD129
# (virtio-gpu without virgl) are passed over. The node it chose is in its log.
gbm_node() { sed -n 's/^sb-client: --buffer gbm: \(\/dev\/dri\/[a-zA-Z0-9]*\) .*/\1/p' "$out"; }
run plain-gbm -- --buffer gbm --frames 20 --color 112233
expect "gbm: 20 frames presented, pixels written through mmap + DMA_BUF_IOCTL_SYNC" \
	pixels_written
echo "# gbm: $(grep -- '--buffer gbm:' "$out")"
gbm_default=$(gbm_node)

run gbm-fence -- --buffer gbm --fence-delay 30 --frames 10
expect "gbm bo with an implicit sw_sync fence: every frame presented after it signalled" \
	csv_all '$9 == "presented" && $5 != "" && $10 >= $5 && $10 - $4 >= 30000000'

# Every node, named: which ones GBM can use (exit 0) and which it cannot (exit 77, a message).
for node in /dev/dri/renderD* /dev/dri/card*; do
	[ -e "$node" ] || continue
	tag=gbm-$(basename "$node")
	run "$tag" -- --buffer gbm --gbm-device "$node" --frames 3 --color 112233
	case $rc in
	0) if summary_has 'committed 3, presented 3' && grep -q 'pixel 0xff112233' "$flog"; then
		ok "--gbm-device $node: 3 frames presented with the pixels written"
	   else
		not_ok "--gbm-device $node: exit 0 without the frames or pixels" "$out" "$flog"
	   fi ;;
	77) if grep -q "no linear XR24 bo from GBM" "$out" && [ "$node" != "$gbm_default" ]; then
		ok "--gbm-device $node: no GBM bo there, exit 77 with a message"
	    else
		not_ok "--gbm-device $node: exit 77 without the message, or the default node" "$out"
	    fi ;;
	*) not_ok "--gbm-device $node: exit $rc" "$out" "$flog" ;;
	esac
done

run implicit-sw-sync -- --buffer udmabuf --fence-delay 30 --frames 10
expect "implicit sw_sync fence: every frame presented after the client signalled it" \
	csv_all '$9 == "presented" && $5 != "" && $10 >= $5 && $10 - $4 >= 30000000'

run implicit-vgem -- --buffer vgem --fence vgem --fence-delay 30 --frames 10
expect "implicit vgem fence: every frame presented after the client signalled it" \
	csv_all '$9 == "presented" && $5 != "" && $10 >= $5 && $10 - $4 >= 30000000'

explicit_ok() {
	csv_all '$9 == "presented" && $5 != "" && $10 >= $5' &&
		[ "$(csv_count '$16 == "immediate"')" -ge 9 ]
}
run explicit -- --buffer heap --explicit --fence-delay 30 --frames 10
expect "explicit acquire fence: presented after it signalled; zwp_linux_buffer_release_v1 events" \
	explicit_ok

run later -- --buffer udmabuf --fence-delay 0 --later-fence-delay 400 --frames 6
expect "a later write fence (imported once the commit was processed) delays no presentation" \
	csv_all '$9 == "presented" && $10 - $4 < 400000000 && $6 != "" && $7 != "" && $6 < $7'

run never -- --buffer udmabuf --fence-delay never --frames 5 --duration 1 --drain 200
expect "a fence that never signals: the first frame is held, the client ends at --duration" \
	summary_has 'committed 1, presented 0'

run rate -- --buffer heap --rate 100 --frames 30 --fence-delay 5
expect "--rate 100 with fences: 30 frames committed and presented" \
	summary_has 'committed 30, presented 30'

run v3-async --dmabuf-version 3 -- --buffer udmabuf --dmabuf-create async --frames 5
expect "zwp_linux_dmabuf_v1 v3 modifier events, create + created" \
	summary_has 'committed 5, presented 5'

run v4-immed -- --buffer udmabuf --dmabuf-version 4 --dmabuf-create immed --frames 5
expect "zwp_linux_dmabuf_v1 v4 default feedback format table, create_immed" \
	summary_has 'committed 5, presented 5'

run surfaces -- --buffer vgem --surfaces 3 --frames 10 --fence-delay 10 --pattern counter
expect "3 surfaces, vgem buffers, sw_sync fences: 30 frames presented" \
	summary_has 'committed 30, presented 30'

run dup-fence -- --buffer udmabuf --misbehave duplicate-fence \
	--expect-error zwp_linux_surface_synchronization_v1:1
expect "--misbehave duplicate-fence: the expected protocol error" true

run fence-on-shm -- --buffer shm --misbehave fence-on-shm \
	--expect-error zwp_linux_surface_synchronization_v1:4
expect "--misbehave fence-on-shm: the expected protocol error" true

# GBM buffers against syncbridge itself: headless, pixman (which reads the dma-buf through
# mmap), 1 s of frame-callback pacing; every frame the client sees presented was composited.
sock=sbc-syncbridge-gbm
out=$tmp/syncbridge-gbm.out
flog=$tmp/syncbridge-gbm.log
csv=$tmp/syncbridge-gbm.csv
if [ -x "$syncbridge" ]; then
	"$syncbridge" --backend headless --renderer pixman --output-size 320x240 --socket "$sock" \
		2>"$flog" &
	comp_pid=$!
	i=0
	while [ ! -S "$XDG_RUNTIME_DIR/$sock" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
	"$client" --display "$sock" --csv "$csv" --buffer gbm --duration 1 --color 112233 \
		>"$out" 2>&1
	rc=$?
	kill -TERM "$comp_pid"
	wait "$comp_pid"
	comp_status=$?
	echo "# syncbridge exited $comp_status on SIGTERM"
	presented=$(sed -n 's/.*, presented \([0-9]*\),.*/\1/p' "$out")
	syncbridge_gbm_ok() {
		[ "$comp_status" -eq 0 ] && [ "${presented:-0}" -ge 1 ] &&
			[ "$(csv_count '$9 == "presented"')" -eq "$presented" ] &&
			grep -q -- '--buffer gbm: /dev/dri/' "$out"
	}
	expect "syncbridge headless: --buffer gbm for 1 s, frames presented (${presented:-0})" \
		syncbridge_gbm_ok
else
	not_ok "syncbridge headless: --buffer gbm: no syncbridge at $syncbridge"
fi

echo "1..$n"
exit $failed

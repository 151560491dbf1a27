#!/usr/bin/env bash
# Instructions per surface frame (tests/bench/README.md, "Instructions per surface frame"): each
# compositor under callgrind, headless 1024x768 at 60 Hz with pixman, while sb_load drives
# INSTR_SURFACES 32x32 ARGB sub-surfaces at 60 Hz on wl_shm; the count over the measured window
# divided by the surface frames the client saw. Instruction counts do not depend on the
# machine's load (CPU time does), so this is the measure that says what a change bought.
# Under callgrind every compositor runs some 50x slower and composes fewer output frames than
# the client asks for; each output frame still holds every surface, so the count per surface
# frame is what one composition, one commit and one frame callback cost.
#   tests/bench/run-load-instructions.sh [BUILD_DIR]
# Environment: INSTR_SURFACES [100], INSTR_SECONDS [10], INSTR_PEERS [weston sway],
# INSTR_VARIANTS [plain wlroots-path libffi]: syncbridge as built, with SB_PIXMAN_PLAIN=0 (every
# texture through wlroots' transform: compositor/renderer.c's change undone), and with
# SB_WL_DISPATCH=0 (wl_surface requests through libffi: compositor/surface_dispatch.c undone);
# INSTR_BASELINE=PATH adds a syncbridge binary of another commit as "baseline".
# Writes tests/bench/results/load-instructions.csv, doc/bench-load-instructions.png and the
# table in tests/bench/README.md; raw profiles in BUILD_DIR/bench-instructions/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
build=$(cd "${1:-build}" && pwd)
sb_load=$build/tests/bench/sb_load
syncbridge=$build/compositor/syncbridge
for prog in "$sb_load" "$syncbridge" valgrind callgrind_control; do
	command -v "$prog" >/dev/null || { echo "run-load-instructions: $prog missing" >&2; exit 2; }
done
surfaces=${INSTR_SURFACES:-100}
seconds=${INSTR_SECONDS:-10}
n=$(((surfaces + 49) / 50))
m=$((surfaces / n))
raw=$build/bench-instructions
rm -rf "$raw"
mkdir -p "$raw"
chmod 777 "$raw" # sway runs as nobody and writes its profile here
work=$(mktemp -d "${TMPDIR:-/tmp}/load-instr.XXXXXX")
chmod 755 "$work"
trap 'pkill -f "callgrind-out-file=$raw/" 2>/dev/null; rm -rf "$work"' EXIT

# wait_line FILE TEXT PID: until FILE has a line with TEXT; 1 if PID exits first.
wait_line() {
	until grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || { echo "run-load-instructions: $1: no \"$2\"" >&2; return 1; }
		sleep 0.05
	done
}

# run LABEL COMPOSITOR VARIANT BINARY: one compositor under callgrind while sb_load runs.
run() {
	local label=$1 comp=$2 variant=$3 bin=$4 xdg=$work/$1 as=() vpid sock i
	mkdir -m 0700 "$xdg"
	local vg=(valgrind --tool=callgrind "--callgrind-out-file=$raw/$label.cg")
	echo "run-load-instructions: $label: $comp ${variant:+($variant) }under callgrind" >&2
	case $comp in
	syncbridge)
		env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR="$xdg" \
			SB_PIXMAN_PLAIN=$([ "$variant" = wlroots-path ] && echo 0 || echo 1) \
			SB_WL_DISPATCH=$([ "$variant" = libffi ] && echo 0 || echo 1) \
			"${vg[@]}" "$bin" -c "$root/weston-ini/conformance.ini" --output-size 1024x768 \
			--refresh 60 --socket sb-load >"$raw/$label.log" 2>&1 &
		;;
	weston)
		env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR="$xdg" "${vg[@]}" weston \
			--config="$here/load-weston.ini" --socket=sb-load --use-pixman \
			>"$raw/$label.log" 2>&1 &
		;;
	sway)
		# As in load-peers.sh: sway refuses root; callgrind_control must be its user too.
		cp "$here/load-sway.config" "$xdg/sway.config"
		chown -R nobody:nogroup "$xdg"
		as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
		env -i PATH=/usr/bin:/bin HOME="$xdg" XDG_RUNTIME_DIR="$xdg" WLR_BACKENDS=headless \
			WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 "${as[@]}" "${vg[@]}" sway \
			-c "$xdg/sway.config" >"$raw/$label.log" 2>&1 &
		;;
	esac
	vpid=$!
	sock=
	for i in $(seq 600); do
		for s in "$xdg"/sb-load "$xdg"/wayland-?; do
			[ -S "$s" ] && { sock=$s; break 2; }
		done
		kill -0 $vpid 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$sock" ]; then
		echo "run-load-instructions: $comp did not start; its log:" >&2
		sed 's/^/  /' "$raw/$label.log" >&2
		return 1
	fi
	sleep 2
	WAYLAND_DISPLAY=$sock XDG_RUNTIME_DIR=$xdg "$sb_load" -n "$n" -m "$m" -r 60 -w 3 \
		-t "$seconds" -o /dev/null -l "$label" >"$work/out" 2>"$raw/$label.err" &
	local client=$!
	# The counts start and end with the client's measured window, which it announces: its set-up
	# takes the slowed compositor a while, longer for some than for others.
	wait_line "$raw/$label.err" "measured window starts" $client || return 1
	"${as[@]}" callgrind_control -z $vpid >/dev/null
	wait_line "$raw/$label.err" "measured window ends" $client || return 1
	"${as[@]}" callgrind_control -d $vpid >/dev/null
	wait $client
	kill -TERM $vpid 2>/dev/null
	for i in $(seq 100); do kill -0 $vpid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $vpid 2>/dev/null
	wait $vpid 2>/dev/null
	local profile
	profile=$(cd "$raw" && ls "$label".cg.* 2>/dev/null | head -1)
	[ -n "$profile" ] || { echo "run-load-instructions: $label: no dump" >&2; return 1; }
	echo "compositor=$comp variant=$variant binary=$(basename "$bin") surfaces=$((n * m))" \
		"profile=$profile $(cat "$work/out")" >"$raw/$label.summary"
	cat "$raw/$label.summary" >&2
}

status=0
for variant in ${INSTR_VARIANTS:-plain wlroots-path libffi}; do
	run "syncbridge-$variant" syncbridge "$variant" "$syncbridge" || status=1
done
if [ -n "${INSTR_BASELINE:-}" ]; then
	run syncbridge-baseline syncbridge baseline "$INSTR_BASELINE" || status=1
fi
for peer in ${INSTR_PEERS:-weston sway}; do
	if command -v "$peer" >/dev/null; then
		run "$peer" "$peer" "" "$(command -v "$peer")" || status=1
	else
		echo "run-load-instructions: $peer is not installed: left out" >&2
	fi
done
/usr/bin/python3 "$here/load_instructions.py" "$raw" tests/bench/results/load-instructions.csv \
	doc/bench-load-instructions.png tests/bench/README.md || status=1
exit $status
